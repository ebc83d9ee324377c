"""`flask worker` and `flask cron`, the two long-running job processes of the Procfile, and
`flask collections sweep`, the collections sweep run by hand."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from rq import Worker
from rq.cron import CronScheduler

from jobs import letters as letter_jobs  # noqa: F401 - enqueue: the outbox runs after each commit
from jobs import queues
from jobs.cron import register_periodic_jobs
from jobs.runtime import bind_app, fail_killed_run
from tenants import db
from tenants.clock import as_spanish_time
from tenants.db import tenant_context, utcnow
from tenants.services.collections import sweep

CRON_LOCK = "amparo:cron:leader"
CRON_LOCK_SECONDS = 150  # > the scheduler's longest sleep (60 s) plus a margin


class _Worker(Worker):
    """RQ's worker, telling a job's run when its work horse died under it."""

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        fail_killed_run(current_app._get_current_object(), job)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@click.option("--queue", "queue_names", multiple=True, help="Queues to take (default: all).")
@with_appcontext
def worker_command(burst: bool, queue_names: tuple[str, ...]) -> None:
    """Run an RQ worker with its scheduler (which runs delayed retries)."""
    app = current_app._get_current_object()
    bind_app(app)
    connection = queues.redis_connection(app)
    names = queue_names or queues.ALL
    if queues.LETTERS in names:
        # RQ forks a work horse per job: load WeasyPrint, fonts and templates once, here.
        letter_jobs.warm_up()
    worker = _Worker([queues.get_queue(n, app) for n in names], connection=connection)
    # RQ's Worker finishes the current job on SIGTERM (warm shutdown) before exiting.
    worker.work(burst=burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


class _LeaderCron(CronScheduler):
    """A CronScheduler that keeps a Redis lease, so only one cron process enqueues."""

    def __init__(self, *args, lock, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = lock

    def heartbeat(self) -> None:
        super().heartbeat()
        self._lock.extend(CRON_LOCK_SECONDS, replace_ttl=True)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Enqueue the periodic jobs of jobs/cron.py. Only one cron process runs at a time."""
    app = current_app._get_current_object()
    connection = queues.redis_connection(app)
    log = logging.getLogger("amparo.cron")
    lock = connection.lock(CRON_LOCK, timeout=CRON_LOCK_SECONDS, blocking=False)
    while not lock.acquire(blocking=False):
        log.warning("another cron process holds the lease; waiting")
        time.sleep(30)
    scheduler = _LeaderCron(connection=connection, lock=lock, logging_level=app.config["LOG_LEVEL"])
    register_periodic_jobs(scheduler)
    try:
        scheduler.start()
    finally:
        try:
            lock.release()
        except Exception:  # noqa: S110 - the lease may have expired already; nothing to undo
            pass


collections_cli = AppGroup("collections", help="The collections ladder.")


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        now = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO date or time: {value!r}") from error
    return as_spanish_time(now)  # a person typing a time means Spanish time


@collections_cli.command("sweep")
@click.option("--now", "now_iso", help="Sweep as of this ISO time (Madrid time if no offset).")
@with_appcontext
def collections_sweep(now_iso: str | None) -> None:
    """Run the collections sweep now for every workspace with due work, one commit each.

    The letters it records are rendered and sent by the workers, enqueued after each commit."""
    now = _parse_now(now_iso)
    tenant_ids = sweep.tenants_with_due_work(now)
    db.session.commit()
    for tenant_id in tenant_ids:
        with tenant_context(tenant_id):
            try:
                result = sweep.sweep(now).as_dict()
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
        summary = ", ".join(f"{key} {value}" for key, value in result.items())
        click.echo(f"workspace {tenant_id}: {summary}")
    click.echo(f"swept {len(tenant_ids)} workspace(s) as of {now.isoformat()}")
