"""The emails of an escalation: each line of its timeline tells the sides stored on it.

`escalation_email(tenant_id, escalation_id, event_id)` is requested by core.record (after the
commit) for a line whose `detail["tell"]` names a side (tenants/services/escalations/core.py
TELL says which, by kind). The creditor's side is the case's owner, else the workspace's
owners, with a link to the case page; the firm's side is its partners and lawyers, with a
link to the escalation in the firm's inbox. Each email is in its recipient's language and
sent once per line and recipient (the email row's key), however often the job runs.

The firm's email never says more than the inbox's offer shows: the debtor's name and tax id,
the creditor's name, the amount claimed and the type of case.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import format_currency, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jobs.escalation_words import CASE_TYPE_LABELS, status_label
from jobs.instalments import _creditor_people
from jobs.mail import compose_email, deliver_now
from jobs.queues import MAIL
from jobs.runtime import job
from tenants import db
from tenants.db import tenant_context
from tenants.models import Case, Member, User, Workspace
from tenants.models.escalations import Escalation, EscalationEvent
from tenants.models.workspaces import WorkspaceKind

FIRM_ROLES = ("partner", "lawyer")
# What the firm's emails may name: the offer's facts, and a payment's figures.
FIRM_FACTS = ("debtor", "tax_id", "creditor", "amount", "case_type", "paid", "balance", "method")

# (subject, sentence) of each line's email, by the side it goes to. Only what the firm's offer
# shows is ever named to the firm (debtor, tax id, creditor, amount, type of case).
TO_CREDITOR = {
    "accepted": (
        _l("%(firm)s accepted the case of %(debtor)s"),
        _l(
            "%(firm)s accepted the case of %(debtor)s and declared that it has no conflict of "
            "interest. The firm works it from now on; you will be told of each step."
        ),
    ),
    "declined": (
        _l("%(firm)s declined the case of %(debtor)s"),
        _l(
            "%(firm)s declined the case of %(debtor)s. Amparo offers it to the next firm that "
            "fits, on terms no higher than those you accepted."
        ),
    ),
    "expired": (
        _l("The case of %(debtor)s goes to another firm"),
        _l(
            "The firm did not answer within 48 hours. Amparo offers the case of %(debtor)s to "
            "the next firm that fits, on terms no higher than those you accepted."
        ),
    ),
    "reassigned": (
        _l("The case of %(debtor)s goes to another firm"),
        _l(
            "Amparo offered the case of %(debtor)s to another firm that fits, on terms no "
            "higher than those you accepted."
        ),
    ),
    "unplaced": (
        _l("No law firm could take the case of %(debtor)s"),
        _l(
            "No law firm that fits could take the case of %(debtor)s. The letters stay "
            "stopped: you can withdraw the escalation on the case page and decide what to do."
        ),
    ),
    "status": (
        _l("The case of %(debtor)s: %(status)s"),
        _l("The firm moved the case of %(debtor)s to “%(status)s”."),
    ),
    "filed": (
        _l("The case of %(debtor)s: %(status)s"),
        _l("The firm moved the case of %(debtor)s to “%(status)s”."),
    ),
    "outcome": (
        _l("The case of %(debtor)s is closed: %(status)s"),
        _l(
            "The firm closed the case of %(debtor)s (“%(status)s”). Recovered: %(recovered)s. "
            "The firm's fee: %(fee)s."
        ),
    ),
    "message": (
        _l("The law firm wrote about the case of %(debtor)s"),
        _l(
            "%(firm)s wrote to you about the case of %(debtor)s. Read it and answer on the "
            "case page."
        ),
    ),
    "request": (
        _l("The law firm asks for a document: %(debtor)s"),
        _l(
            "%(firm)s asks you for a document for the case of %(debtor)s. Upload it on the "
            "case page, under the request."
        ),
    ),
    "document": (
        _l("The law firm added a document: %(debtor)s"),
        _l("%(firm)s added a document to the case of %(debtor)s."),
    ),
    "deadline": (
        _l("A date in the case of %(debtor)s"),
        _l("%(firm)s noted a date in the case of %(debtor)s: %(label)s, %(due_on)s."),
    ),
}
TO_FIRM = {
    "offered": (
        _l("A new case for your firm: %(debtor)s"),
        _l(
            "%(creditor)s escalates a case to your firm: %(case_type)s against %(debtor)s "
            "(%(tax_id)s) for %(amount)s. Check for conflicts of interest, then accept or "
            "decline it within 48 hours in your inbox."
        ),
    ),
    "message": (
        _l("%(creditor)s wrote about the case of %(debtor)s"),
        _l("%(creditor)s wrote to you about the case of %(debtor)s. Read it in your inbox."),
    ),
    "document": (
        _l("%(creditor)s sent a document: %(debtor)s"),
        _l("%(creditor)s sent a document for the case of %(debtor)s. It is in your inbox."),
    ),
    "payment": (
        _l("A payment in the case of %(debtor)s"),
        _l(
            "%(debtor)s paid %(paid)s (%(method)s) after the case was escalated. Still owed: "
            "%(balance)s."
        ),
    ),
    "withdrawn": (
        _l("%(creditor)s withdrew the case of %(debtor)s"),
        _l(
            "%(creditor)s withdrew the case of %(debtor)s. It leaves your inbox; do nothing "
            "more on it."
        ),
    ),
}
GENERIC = (
    _l("News in the case of %(debtor)s"),
    _l("There is news in the case of %(debtor)s."),
)
METHOD_WORDS = {
    "transfer": _l("bank transfer"),
    "direct_debit": _l("direct debit"),
    "cash": _l("cash"),
    "card": _l("card"),
    "other": _l("other"),
    "mixed": _l("several methods"),
}


class Said:
    """A text formatted when the email is rendered, so in the recipient's language (the
    template escapes it in HTML)."""

    def __init__(self, template, params: dict):
        self.template, self.params = template, params

    def __str__(self) -> str:
        params = {k: _word(k, v) for k, v in self.params.items()}
        if "status" in self.params:  # an eviction's filing is a claim, not a monitorio
            params["status"] = status_label(self.params["status"], self.params.get("case_type"))
        try:
            return str(self.template) % params
        except (KeyError, TypeError, ValueError):
            return str(GENERIC[1]) % params


def _word(key: str, value):
    if key in ("amount", "paid", "balance", "recovered", "fee"):
        return format_currency(value, "EUR") if value not in (None, "") else "—"
    if key == "due_on" and value:
        return format_date(date.fromisoformat(value), "long")
    if key == "case_type":
        return CASE_TYPE_LABELS.get(value, value)
    if key == "method":
        return METHOD_WORDS.get(value, value)
    return value


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def firm_people(firm_id: int) -> list[User]:
    """The partners and lawyers of the firm (its workspace's members, read in its context)."""
    with tenant_context(firm_id):
        return list(
            db.session.scalars(
                select(User)
                .join(Member, Member.user_id == User.id)
                .where(Member.role.in_(FIRM_ROLES))
                .order_by(User.id)
            )
        )


def _send(email) -> None:
    db.session.commit()
    if email.status == "queued":
        deliver_now(email.id)


@job(MAIL)
def escalation_email(tenant_id: int, escalation_id: int, event_id: int) -> int:
    """Email the line `event_id` of the escalation to the sides it tells. Returns emails sent."""
    event = db.session.get(EscalationEvent, event_id)
    escalation = db.session.get(Escalation, escalation_id)
    if event is None or escalation is None or event.escalation_id != escalation.id:
        return 0
    sides = (event.detail or {}).get("tell") or []
    case = db.session.get(Case, escalation.case_id)
    creditor = db.session.get(Workspace, tenant_id)
    # The firm the line is about (an offer names it; a later line is the current firm's).
    firm_id = (event.detail or {}).get("firm_id") or escalation.firm_id
    firm = db.session.get(Workspace, firm_id) if firm_id else None
    if firm is not None and firm.kind != WorkspaceKind.LAW_FIRM:
        firm = None
    detail = event.detail or {}
    params = {
        "debtor": case.party.name,
        "tax_id": case.party.tax_id or "—",
        "creditor": creditor.letterhead_name or creditor.name,
        "firm": firm.name if firm is not None else "",
        "amount": escalation.claimed_amount,
        "case_type": escalation.case_type,
        "status": detail.get("status") or escalation.status,
        "recovered": detail.get("recovered_amount"),
        "fee": detail.get("fee_amount"),
        "paid": detail.get("amount"),
        "balance": detail.get("balance"),
        "method": detail.get("method"),
        "label": detail.get("label", ""),
        "due_on": detail.get("due_on"),
    }
    sent = 0
    if "creditor" in sides:
        link = f"{_base_url()}/w/{creditor.slug}/cases/{case.id}#escalation"
        for person in _creditor_people(case, creditor):
            sent += _one(event, person, link, tenant_id, _texts(TO_CREDITOR, event, params))
    if "firm" in sides and firm is not None:
        firm_params = {k: params[k] for k in FIRM_FACTS}
        link = f"{_base_url()}/w/{firm.slug}/inbox/{escalation.id}"
        for person in firm_people(firm.id):
            # The firm's email is the firm's (its workspace's rows, not the creditor's).
            with tenant_context(firm.id):
                sent += _one(event, person, link, firm.id, _texts(TO_FIRM, event, firm_params))
    return sent


def _texts(table: dict, event: EscalationEvent, params: dict) -> dict:
    subject, sentence = table.get(event.kind, GENERIC)
    return {"subject": Said(subject, params), "sentence": Said(sentence, params)}


def _one(event, person: User, link: str, tenant_id: int, texts: dict) -> int:
    email = compose_email(
        "escalation",
        to=person.email,
        language=person.language or "es",
        key=f"escalation:{event.escalation_id}:event:{event.id}:user:{person.id}",
        tenant_id=tenant_id,
        to_name=person.name,
        name=person.name,
        link=link,
        **texts,
    )
    _send(email)
    return 1
