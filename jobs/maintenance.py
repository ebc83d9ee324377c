"""Platform housekeeping run by cron."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job, JobStatus
from sqlalchemy import delete, select, update

from jobs.enqueue import enqueue_item, enqueue_now
from jobs.mail import deliver_email
from jobs.queues import CRON, redis_connection
from jobs.runtime import job, job_app, outbox_job_id
from tenants import db
from tenants.db import across_tenants, utcnow
from tenants.models import Email, JobRun, OutboxItem, UserSession

MAX_EMAIL_ATTEMPTS = 8
# No job with a JobRun lives this long: 4 tries of at most 10 minutes each plus the waits
# between them (AMPARO_JOB_RETRY_INTERVALS, 10 + 60 + 300 s by default) is under 50 minutes.
ABANDONED_AFTER = timedelta(hours=2)
# An outbox job not done is enqueued again at most this often, with waits doubling each time
# (OUTBOX_REDRIVE_AFTER seconds first): a job that keeps failing is not asked for forever.
MAX_REDRIVES = 6
REDRIVE_BATCH = 500
# RQ still has these jobs (waiting, running, or waiting for a retry): not lost, leave them.
_ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


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


@job(CRON, tenant=False, retries=0)
def redrive_outbox() -> int:
    """Enqueue again the work a commit asked for that is still not done minutes later: its
    enqueue failed (Redis was down at the commit) or Redis lost the job (restarted empty).
    Invitations, account and thank-you email, letters: every outbox job is idempotent, so one
    that was only slow and runs twice does its work once. Returns how many were re-driven."""
    app = job_app()
    now = utcnow()
    first_wait = timedelta(seconds=int(app.config["OUTBOX_REDRIVE_AFTER"]))
    candidates = db.session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.done_at.is_(None),
            OutboxItem.created_at < now - first_wait,
            OutboxItem.redrives < MAX_REDRIVES,
        )
        .order_by(OutboxItem.id)
        .limit(REDRIVE_BATCH)
    ).all()
    due = [
        item
        for item in candidates
        if item.redriven_at is None or item.redriven_at < now - first_wait * 2**item.redrives
    ]
    connection = redis_connection(app)
    jobs = Job.fetch_many([outbox_job_id(item.id) for item in due], connection=connection)
    redriven = 0
    for item, rq_job in zip(due, jobs, strict=True):
        status = rq_job.get_status(refresh=False) if rq_job is not None else None
        if status in _ALIVE:
            continue
        if status == JobStatus.FINISHED:
            item.done_at = now  # it ran (before the wrapper marked outbox rows)
            continue
        if rq_job is not None:
            rq_job.delete()  # failed or stopped for good: out of its registry, then anew
        enqueue_item(item, app=app)
        item.redrives += 1
        item.redriven_at = now
        redriven += 1
    return redriven


@job(CRON, tenant=False, retries=0)
def prune_outbox() -> int:
    """Forget outbox rows done over a week ago, and those given up on over a month ago."""
    now = utcnow()
    result = db.session.execute(
        delete(OutboxItem).where(
            (OutboxItem.done_at < now - timedelta(days=7))
            | (OutboxItem.created_at < now - timedelta(days=30))
        )
    )
    return result.rowcount
