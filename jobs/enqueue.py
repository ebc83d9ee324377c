"""Enqueue after commit: a job must find the rows it was sent for.

`enqueue_after_commit` (and a service's `tenants.outbox.request`) records the job as an outbox
row in the session's transaction; it reaches Redis only when that transaction commits, and is
dropped when it rolls back. Reaching Redis is best-effort: the commit has happened, so a Redis
that is down must not turn it into an error page. The row stays not done and the cron re-drive
(jobs/maintenance.py) enqueues it again; every job is idempotent, so running twice is safe.

An outbox job's RQ id is `outbox-<row id>`: the re-drive asks Redis whether it is still alive,
and the job wrapper (jobs/runtime.py) marks the row done in the job's own commit.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from flask import current_app
from rq.job import Job
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from jobs import badge_cache  # noqa: F401 - its after-commit hook drops changed badges
from jobs.queues import get_queue
from jobs.runtime import outbox_job_id, retry_policy
from tenants import outbox
from tenants.models import OutboxItem

log = logging.getLogger("amparo.jobs")

# The job that does each piece of work a service asked for (tenants/outbox.py).
OUTBOX_JOBS = {
    outbox.RENDER_LETTER: "jobs.letters:render_letter",
    outbox.DELIVER_LETTER: "jobs.letters:deliver_letter",
    outbox.THANK_DEBTOR: "jobs.letters:thank_debtor",
    outbox.DEBTOR_TOLD: "jobs.portal:tell_owner",
}


def outbox_job(topic: str) -> Callable:
    """The job of an outbox topic, or of a job recorded by name ("jobs.module:function")."""
    path = OUTBOX_JOBS.get(topic, topic)
    module, _, name = path.partition(":")
    if not module.startswith("jobs.") or not name:
        raise ValueError(f"unknown outbox topic {topic!r}")
    fn = getattr(importlib.import_module(module), name)
    if not hasattr(fn, "queue_name"):
        raise ValueError(f"{topic!r} is not a job")
    return fn


def enqueue_after_commit(fn: Callable, *args) -> OutboxItem:
    """Run the job `fn(*args)` once this transaction commits (never if it rolls back)."""
    return outbox.request(f"{fn.__module__}:{fn.__name__}", *args)


def enqueue_now(fn: Callable, *args, app=None, job_id: str | None = None) -> Job:
    """Enqueue at once; for code that has nothing to commit (cron fan-out, CLI)."""
    app = app or current_app._get_current_object()
    return get_queue(fn.queue_name, app).enqueue(
        fn,
        *args,
        job_id=job_id,
        job_timeout=fn.timeout,
        retry=retry_policy(app, fn.retries),
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_item(item: OutboxItem, *, app=None) -> Job:
    return enqueue_now(outbox_job(item.topic), *item.args, app=app, job_id=outbox_job_id(item.id))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(sess: Session) -> None:
    if sess.in_nested_transaction():
        return  # only a savepoint was released: the real commit is still to come
    # An item added in a savepoint that was rolled back was never written: it is transient.
    items = [item for item in sess.info.pop(outbox.PENDING, []) if inspect(item).persistent]
    for sent, item in enumerate(items):
        try:
            enqueue_item(item)
        except Exception:
            # Committed already: never an error for the caller. Redis is probably down, and
            # the rest would wait on it too; the re-drive enqueues them all when it is back.
            log.warning(
                "could not enqueue %s (outbox %s) after the commit; %d job(s) left to the "
                "cron re-drive",
                item.topic,
                item.id,
                len(items) - sent,
                exc_info=True,
            )
            return


@event.listens_for(Session, "after_rollback")
def _drop_pending(sess: Session) -> None:
    sess.info.pop(outbox.PENDING, None)
