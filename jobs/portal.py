"""Portal jobs: tell a case's owner what its debtor wrote through the portal."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jobs.mail import DeliveryRefused, compose_email, deliver_now
from jobs.queues import MAIL
from jobs.runtime import job
from tenants import db
from tenants.models import Case, DebtorMessage, Member, Workspace

# What the debtor gave as the reason, as the creditor reads it (the case page, the email, the
# collections overview) and as the debtor chooses it on the portal.
REASON_LABELS = {
    "hardship": _l("Temporary financial hardship"),
    "amount": _l("I disagree with the amount"),
    "paid": _l("I have already paid"),
    "quality": _l("A problem with what was supplied"),
    "other": _l("Something else"),
}
PROMISE_LABEL = _l("Promised to pay")


def _recipients(case: Case) -> list:
    """The case's owner; a case nobody follows goes to the workspace's owners."""
    if case.owner is not None:
        return [case.owner]
    members = db.session.scalars(select(Member).where(Member.role == "owner")).all()
    return [member.user for member in members]


def case_link(workspace: Workspace, case_id: int) -> str:
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(
            "ws.collections.case_detail", slug=workspace.slug, case_id=case_id, _external=True
        )


@job(MAIL)
def tell_owner(tenant_id: int, message_id: int) -> list[int]:
    """Email the case's owner, in their language, what the debtor told: once per recipient."""
    message = db.session.get(DebtorMessage, message_id)
    if message is None:
        return []
    case = db.session.get(Case, message.case_id)
    workspace = db.session.get(Workspace, tenant_id)
    link = case_link(workspace, case.id)
    sent = []
    for user in _recipients(case):
        email = compose_email(
            "debtor_told",
            to=user.email,
            language=user.language,
            key=f"debtor-told:{message.id}:{user.id}",
            tenant_id=tenant_id,
            to_name=user.name,
            debtor=case.party.name,
            message=message,
            reason=REASON_LABELS.get(message.reason) if message.reason else None,
            link=link,
        )
        db.session.commit()
        sent.append(email.id)
    for email_id in sent:
        try:
            deliver_now(email_id)
        except DeliveryRefused:
            continue  # recorded on the email; asking again would be refused again
    return sent
