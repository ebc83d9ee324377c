"""Sending workspace invitations, with progress for a batch."""

from __future__ import annotations

from flask import current_app, url_for

from jobs.mail import DeliveryFailed, DeliveryRefused, compose_email, deliver_now
from jobs.progress import report_progress
from jobs.queues import DEFAULT
from jobs.runtime import TryAgain, job
from tenants import db
from tenants.db import utcnow
from tenants.models import Workspace
from tenants.services.errors import ServiceError
from tenants.services.platform.secrets import sign_link
from tenants.services.platform.workspaces import get_invitation


def invitation_link(invitation) -> str:
    token = sign_link(
        current_app.config["SECRET_KEY"], "invite", {"i": invitation.id, "e": invitation.email}
    )
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for("auth.accept_invitation", token=token, _external=True)


@job(DEFAULT, with_run=True)
def deliver_invitations(tenant_id: int, run_id: int, *invitation_ids: int) -> None:
    """Email each invitation once; a retry skips those already sent. An address the mail
    server refuses stops the batch: the run says which, and the rest can be invited again."""
    workspace = db.session.get(Workspace, tenant_id)
    total = len(invitation_ids)
    report_progress(run_id, done=0, total=total)
    for done, invitation_id in enumerate(invitation_ids, start=1):
        invitation = get_invitation(invitation_id)
        if invitation.sent_at is None and invitation.is_open:
            inviter = invitation.invited_by
            email = compose_email(
                "invitation",
                to=invitation.email,
                language=inviter.language if inviter else "es",
                key=f"invitation:{invitation.id}",
                tenant_id=tenant_id,
                workspace=workspace,
                inviter=inviter,
                role=invitation.role,
                link=invitation_link(invitation),
                expires_at=invitation.expires_at,
            )
            db.session.commit()
            try:
                deliver_now(email.id)
            except DeliveryRefused as refused:
                # The invitation stays open and unsent: the owner can revoke it and invite
                # the right address. Another try would be refused again.
                raise ServiceError("invitation_refused", email=invitation.email) from refused
            except DeliveryFailed as failed:
                raise TryAgain("invitation_not_sent", email=invitation.email) from failed
            invitation = get_invitation(invitation_id)
            invitation.sent_at = utcnow()
            db.session.commit()
        report_progress(run_id, done=done, status="running" if done < total else "done")
