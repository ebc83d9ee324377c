"""Platform housekeeping run by cron."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from jobs.enqueue import enqueue_now
from jobs.mail import deliver_email
from jobs.queues import CRON
from jobs.runtime import job
from tenants import db
from tenants.db import across_tenants, utcnow
from tenants.models import Email, UserSession

MAX_EMAIL_ATTEMPTS = 8


@job(CRON, tenant=False, retries=0)
def requeue_stuck_emails() -> int:
    """Re-enqueue email still unsent after 10 minutes: Redis may have lost the job."""
    cutoff = utcnow() - timedelta(minutes=10)
    with across_tenants("cron: stuck email of every workspace and of the platform"):
        ids = list(
            db.session.scalars(
                select(Email.id).where(
                    Email.status.in_(("queued", "failed")),
                    Email.created_at < cutoff,
                    Email.attempts < MAX_EMAIL_ATTEMPTS,
                )
            )
        )
    for email_id in ids:
        enqueue_now(deliver_email, email_id)
    return len(ids)


@job(CRON, tenant=False, retries=0)
def prune_sessions() -> int:
    """Forget sessions revoked more than 30 days ago."""
    cutoff = utcnow() - timedelta(days=30)
    result = db.session.execute(delete(UserSession).where(UserSession.revoked_at < cutoff))
    return result.rowcount
