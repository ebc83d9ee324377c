"""The periodic jobs of jobs/cron.py and the one-leader rule of `flask cron`."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from rq import Queue
from rq.cron import CronScheduler

from jobs import leader, maintenance
from jobs.cron import register_periodic_jobs
from jobs.enqueue import enqueue_now
from jobs.queues import CRON, MAIL, redis_connection
from tenants import db
from tenants.db import tenant_context, utcnow
from tenants.models import Email, JobRun, UserSession
from tests.conftest import login


class _Stop(Exception):
    """Ends `flask cron` where it would otherwise run (or wait) forever."""


@pytest.fixture
def connection(app):
    return redis_connection(app)


@pytest.fixture
def emails(app):
    """Emails in given states, created `age` ago; returns their ids."""

    def create(*specs: tuple[str, timedelta, int]) -> list[int]:
        with app.app_context():
            rows = [
                Email(
                    idempotency_key=f"cron:{n}",
                    to=f"person{n}@example.com",
                    subject="Hola",
                    text="Hola.\n",
                    status=status,
                    attempts=attempts,
                    created_at=utcnow() - age,
                )
                for n, (status, age, attempts) in enumerate(specs)
            ]
            db.session.add_all(rows)
            db.session.commit()
            return [r.id for r in rows]

    return create


def test_every_periodic_job_is_registered_on_the_cron_queue(app, connection):
    scheduler = CronScheduler(connection=connection)
    register_periodic_jobs(scheduler, app.config)
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "jobs.maintenance.requeue_stuck_emails",
        "jobs.maintenance.prune_sessions",
        "jobs.maintenance.fail_abandoned_runs",
        "jobs.maintenance.redrive_outbox",
        "jobs.maintenance.prune_outbox",
        "jobs.rentals.fan_out_rent_book",
        "jobs.collections.fan_out_collections",
        "jobs.billing.expire_plans",
        "jobs.instalments.fan_out_instalments",
        "jobs.badges.fan_out_badges",
        "jobs.badge_cache.flush_badge_views",
        "jobs.escalation_offers.expire_offers",
    }
    assert {job.queue_name for job in jobs.values()} == {CRON}
    assert jobs["jobs.maintenance.requeue_stuck_emails"].interval == 300
    assert jobs["jobs.maintenance.prune_sessions"].cron == "17 3 * * *"
    assert jobs["jobs.maintenance.fail_abandoned_runs"].interval == 600
    assert jobs["jobs.maintenance.redrive_outbox"].interval == app.config["OUTBOX_REDRIVE_EVERY"]
    assert jobs["jobs.collections.fan_out_collections"].interval == 15 * 60
    assert jobs["jobs.billing.expire_plans"].interval == 60 * 60
    assert jobs["jobs.instalments.fan_out_instalments"].cron == "30 7 * * *"
    assert jobs["jobs.badges.fan_out_badges"].interval == 60 * 60
    assert jobs["jobs.badge_cache.flush_badge_views"].interval == 10 * 60
    assert jobs["jobs.escalation_offers.expire_offers"].interval == 60 * 60


def test_only_old_unsent_email_is_requeued(bound_app, emails, connection):
    old, recent = timedelta(minutes=30), timedelta(minutes=2)
    stuck_queued, stuck_failed, *_ = emails(
        ("queued", old, 0),
        ("failed", old, 3),
        ("sent", old, 1),
        ("stored", old, 1),
        ("queued", recent, 0),  # its job is probably still in Redis
        ("failed", old, maintenance.MAX_EMAIL_ATTEMPTS),  # given up on
    )

    assert maintenance.requeue_stuck_emails() == 2

    requeued = Queue(MAIL, connection=connection).get_jobs()
    assert sorted(job.args[0] for job in requeued) == [stuck_queued, stuck_failed]
    assert {job.func_name for job in requeued} == {"jobs.mail.deliver_email"}


def test_the_cron_sweep_redelivers_stuck_email_through_a_worker(
    app, emails, inbox, row, run_worker
):
    [stuck] = emails(("queued", timedelta(hours=1), 0))
    with app.app_context():
        enqueue_now(maintenance.requeue_stuck_emails)

    run_worker()  # runs the sweep, then the delivery it enqueued

    assert len(inbox.to("person0@example.com")) == 1
    assert row("SELECT status FROM emails WHERE id = :i", i=stuck)["status"] == "sent"


def test_a_workspaces_stuck_email_is_redelivered_too(app, create_workspace, inbox, row, run_worker):
    """A workspace's email is hidden from code with no tenant set: the sweep and the delivery
    job read across workspaces by name, or a letter's covering email would never leave."""
    workspace_id, _slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        email = Email(
            idempotency_key="letter:stuck",
            to="debtor@example.com",
            subject="Hola",
            text="Hola.\n",
            created_at=utcnow() - timedelta(hours=1),
        )
        db.session.add(email)
        db.session.commit()
    with app.app_context():
        enqueue_now(maintenance.requeue_stuck_emails)

    run_worker()

    assert len(inbox.to("debtor@example.com")) == 1
    assert row("SELECT tenant_id, status FROM emails WHERE id = :i", i=email.id) == {
        "tenant_id": workspace_id,
        "status": "sent",
    }


def test_sessions_revoked_over_30_days_ago_are_pruned(bound_app, create_user):
    user_id = create_user()
    with bound_app.app_context():
        for n, revoked in enumerate((utcnow() - timedelta(days=31), utcnow(), None)):
            db.session.add(UserSession(user_id=user_id, key_hash=f"{n:064d}", revoked_at=revoked))
        db.session.commit()

    assert maintenance.prune_sessions() == 1

    with bound_app.app_context():
        assert db.session.query(UserSession).count() == 2


def test_a_run_left_unfinished_for_hours_is_shown_as_failed_with_what_to_do(
    bound_app, create_workspace, make_client, es
):
    """Its job died where it could not say so (the database was down when it tried): the page
    must not say "in progress" forever. A run still young, or finished, is left alone."""
    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    with bound_app.app_context(), tenant_context(workspace_id):
        runs = [
            JobRun(kind="invoice_import", status=status, total=5, created_at=utcnow() - age)
            for status, age in (
                ("running", timedelta(hours=3)),
                ("retrying", timedelta(hours=2, minutes=5)),
                ("running", timedelta(minutes=20)),
                ("done", timedelta(hours=5)),
            )
        ]
        db.session.add_all(runs)
        db.session.commit()
        ids = [r.id for r in runs]

    assert maintenance.fail_abandoned_runs() == 2

    with bound_app.app_context(), tenant_context(workspace_id):
        statuses = [db.session.get(JobRun, i).status for i in ids]
    assert statuses == ["failed", "failed", "running", "done"]
    client = make_client()
    login(client)
    page = client.get(f"/w/{slug}/invoices/import/runs/{ids[0]}").get_data(as_text=True)
    assert es("The process running it stopped unexpectedly.") in page
    assert es("In progress: %(done)s of %(total)s…", done=0, total=5) not in page
    young = client.get(f"/w/{slug}/invoices/import/runs/{ids[2]}").get_data(as_text=True)
    assert es("In progress: %(done)s of %(total)s…", done=0, total=5) in young


# --- one leader -----------------------------------------------------------------------------


def test_the_leader_holds_the_lease_while_it_runs_and_releases_it(app, connection, monkeypatch):
    seen = {}

    def start(scheduler):
        seen["ttl"] = connection.ttl(leader.CRON_LOCK)
        seen["jobs"] = len(scheduler.get_jobs())

    monkeypatch.setattr(leader.LeaderCron, "start", start)
    result = app.test_cli_runner().invoke(args=["cron"])

    assert result.exception is None, result.output
    assert 0 < seen["ttl"] <= leader.CRON_LOCK_SECONDS
    assert seen["jobs"] == 12  # every job of jobs/cron.py (the test above lists them)
    assert not connection.exists(leader.CRON_LOCK)  # a successor need not wait for it to expire


def test_a_second_cron_waits_while_another_holds_the_lease(app, connection, monkeypatch, caplog):
    holder = connection.lock(leader.CRON_LOCK, timeout=60)
    assert holder.acquire(blocking=False)

    def sleep(seconds):
        raise _Stop(seconds)

    def start(scheduler):
        raise AssertionError("a second cron process must not schedule anything")

    monkeypatch.setattr(leader.time, "sleep", sleep)
    monkeypatch.setattr(leader.LeaderCron, "start", start)
    with caplog.at_level(logging.WARNING, logger="amparo.cron"):
        result = app.test_cli_runner().invoke(args=["cron"])

    assert isinstance(result.exception, _Stop)
    assert "another cron process holds the lease" in caplog.text
    assert holder.owned()  # the waiting process did not take or break the lease
    holder.release()


def test_a_waiting_cron_takes_over_when_the_lease_expires(app, connection, monkeypatch):
    connection.set(leader.CRON_LOCK, "a leader that died", ex=60)
    waits, started = [], []

    def sleep(seconds):
        waits.append(seconds)
        connection.delete(leader.CRON_LOCK)  # the dead leader's lease runs out

    monkeypatch.setattr(leader.time, "sleep", sleep)
    monkeypatch.setattr(leader.LeaderCron, "start", lambda scheduler: started.append(scheduler))
    result = app.test_cli_runner().invoke(args=["cron"])

    assert result.exception is None, result.output
    assert len(waits) == 1
    assert len(started) == 1


def test_the_leaders_heartbeat_renews_its_lease(connection):
    lock = connection.lock(leader.CRON_LOCK, timeout=5)
    assert lock.acquire(blocking=False)
    scheduler = leader.LeaderCron(connection=connection, lock=lock)

    scheduler.heartbeat()

    assert connection.ttl(leader.CRON_LOCK) > 60
    lock.release()
