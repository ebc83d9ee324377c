"""Platform housekeeping run by cron."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from jobs.enqueue import enqueue_now
from jobs.mail import deliver_email
from jobs.queues import CRON
from jobs.runtime import job
from tenants import db
from tenants.db import across_tenants, utcnow
from tenants.models import Email, JobRun, UserSession

MAX_EMAIL_ATTEMPTS = 8
# No job with a JobRun lives this long: 4 tries of at most 10 minutes each plus the waits
# between them (AMPARO_JOB_RETRY_INTERVALS, 10 + 60 + 300 s by default) is under 50 minutes.
ABANDONED_AFTER = timedelta(hours=2)


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
def fail_abandoned_runs() -> int:
    """Mark failed the runs still unfinished long after any try could have ended: their job
    died where it could not say so (the database was down when it tried, Redis lost it). The
    progress page then tells the person it stopped, instead of "in progress" forever."""
    cutoff = utcnow() - ABANDONED_AFTER
    with across_tenants("cron: abandoned job runs of every workspace"):
        result = db.session.execute(
            update(JobRun)
            .where(JobRun.status.in_(("queued", "running", "retrying")), JobRun.created_at < cutoff)
            .values(
                status="failed", error_code="job_interrupted", error_params={}, finished_at=utcnow()
            )
        )
    return result.rowcount


@job(CRON, tenant=False, retries=0)
def prune_sessions() -> int:
    """Forget sessions revoked more than 30 days ago."""
    cutoff = utcnow() - timedelta(days=30)
    result = db.session.execute(delete(UserSession).where(UserSession.revoked_at < cutoff))
    return result.rowcount
