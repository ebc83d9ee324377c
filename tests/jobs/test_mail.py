"""Email delivery by real workers: retried when the SMTP server refuses, sent exactly once."""

from __future__ import annotations

from jobs.enqueue import enqueue_now
from jobs.mail import deliver_email
from jobs.queues import MAIL


def _enqueue(app, fn, *args, times: int = 1) -> None:
    with app.app_context():
        for _ in range(times):
            enqueue_now(fn, *args)


def test_a_refused_email_is_retried_and_sent_once(
    app, record_email, inbox, queued, row, run_worker
):
    email_id = record_email(to="carla@example.com")
    _enqueue(app, deliver_email, email_id)
    inbox.refuse_next = 1  # "451 Try again later" to the first attempt

    # With JOB_RETRY_INTERVALS=0, RQ puts the failed job straight back on its queue (Job.retry
    # schedules only for a non-zero interval), so the same burst worker takes it again.
    run_worker()

    assert queued() == 0
    assert len(inbox.to("carla@example.com")) == 1
    email = row("SELECT status, attempts, error, sent_at FROM emails WHERE id = :i", i=email_id)
    assert (email["status"], email["attempts"], email["error"]) == ("sent", 2, "")
    assert email["sent_at"] is not None


def test_an_email_still_refused_after_every_retry_stays_failed(
    app, record_email, inbox, row, run_worker
):
    email_id = record_email(to="carla@example.com")
    _enqueue(app, deliver_email, email_id)
    inbox.refuse_next = 10

    run_worker()

    assert inbox.messages == []
    email = row("SELECT status, attempts, error FROM emails WHERE id = :i", i=email_id)
    assert (email["status"], email["attempts"]) == ("failed", 1 + deliver_email.retries)
    assert "451" in email["error"]


def test_the_same_email_delivered_twice_arrives_once(app, record_email, inbox, row, run_worker):
    email_id = record_email(to="carla@example.com")
    _enqueue(app, deliver_email, email_id, times=2)  # RQ runs a job at least once

    run_worker()

    assert len(inbox.messages) == 1
    assert row("SELECT attempts FROM emails WHERE id = :i", i=email_id)["attempts"] == 1


def test_two_workers_racing_over_one_email_send_it_once(
    app, record_email, inbox, queued, row, run_workers
):
    email_id = record_email(to="carla@example.com")
    _enqueue(app, deliver_email, email_id, times=8)
    assert queued(MAIL) == 8

    run_workers(2)

    assert queued() == 0
    assert len(inbox.messages) == 1
    email = row("SELECT status, attempts FROM emails WHERE id = :i", i=email_id)
    assert (email["status"], email["attempts"]) == ("sent", 1)
