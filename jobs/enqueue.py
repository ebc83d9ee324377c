"""Enqueue after commit: a job must find the rows it was sent for.

`enqueue_after_commit` parks the job on the session; it reaches Redis only when that session's
transaction commits, and is dropped when it rolls back.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from flask import current_app
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from jobs.queues import get_queue
from jobs.runtime import retry_policy
from tenants import db, outbox

_PENDING = "amparo_jobs_after_commit"

# The job that does each piece of work a service asked for (tenants/outbox.py).
OUTBOX_JOBS = {
    outbox.RENDER_LETTER: "jobs.letters:render_letter",
    outbox.DELIVER_LETTER: "jobs.letters:deliver_letter",
    outbox.THANK_DEBTOR: "jobs.letters:thank_debtor",
}


def outbox_job(topic: str) -> Callable:
    module, _, name = OUTBOX_JOBS[topic].partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue_after_commit(fn: Callable, *args) -> None:
    app = current_app._get_current_object()
    sess = db.session()
    if not sess.in_transaction():
        # Session.rollback() with no transaction begun fires no event and would keep the job.
        sess.begin()
    sess.info.setdefault(_PENDING, []).append((app, fn, args))


def enqueue_now(fn: Callable, *args, app=None) -> Job:
    """Enqueue at once; for code that has nothing to commit (cron fan-out, CLI)."""
    app = app or current_app._get_current_object()
    return get_queue(fn.queue_name, app).enqueue(
        fn,
        *args,
        job_timeout=fn.timeout,
        retry=retry_policy(app, fn.retries),
        failure_ttl=7 * 24 * 3600,
    )


@event.listens_for(Session, "after_commit")
def _enqueue_pending(sess: Session) -> None:
    if sess.in_nested_transaction():
        return  # only a savepoint was released: the real commit is still to come
    for app, fn, args in sess.info.pop(_PENDING, []):
        enqueue_now(fn, *args, app=app)
    for topic, args in sess.info.pop(outbox.PENDING, []):
        enqueue_now(outbox_job(topic), *args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(sess: Session) -> None:
    sess.info.pop(_PENDING, None)
    sess.info.pop(outbox.PENDING, None)
