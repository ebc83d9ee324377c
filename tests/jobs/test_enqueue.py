"""Enqueue after commit: a job reaches Redis only when its transaction commits."""

from __future__ import annotations

from jobs.enqueue import enqueue_after_commit
from jobs.mail import deliver_email
from jobs.queues import MAIL
from tenants import db
from tenants.services.platform.mail import record_email


def _record(key: str = "test:rollback") -> int:
    return record_email(key=key, to="someone@example.com", subject="Hola", text="Hola.\n").id


def test_the_job_reaches_the_queue_when_the_transaction_commits(ctx, queued):
    email_id = _record()
    enqueue_after_commit(deliver_email, email_id)
    assert queued() == 0  # the worker would not find the row yet
    db.session.commit()
    assert queued(MAIL) == 1


def test_a_job_enqueued_in_a_rolled_back_transaction_is_dropped(ctx, queued):
    enqueue_after_commit(deliver_email, _record())
    db.session.rollback()
    assert queued() == 0
    db.session.commit()  # a later commit of the same session does not bring it back
    assert queued() == 0


def test_a_rollback_before_any_query_drops_the_job_too(ctx, queued):
    enqueue_after_commit(deliver_email, 1)
    db.session.rollback()
    _record()
    db.session.commit()
    assert queued() == 0


def test_releasing_a_savepoint_is_not_the_commit(ctx, queued):
    _record()
    with db.session.begin_nested():
        enqueue_after_commit(deliver_email, 1)
    assert queued() == 0
    db.session.commit()
    assert queued(MAIL) == 1


def test_a_rolled_back_job_never_runs_in_a_worker(app, queued, inbox, row, run_worker):
    with app.app_context():
        enqueue_after_commit(deliver_email, _record())
        db.session.rollback()
    assert queued() == 0

    run_worker()

    assert inbox.messages == []
    assert row("SELECT count(*) AS n FROM emails")["n"] == 0
