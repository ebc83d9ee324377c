"""`flask worker` and `flask cron`, the two long-running job processes of the Procfile, and
`flask collections sweep`, the collections sweep run by hand."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from jobs import leader, queues
from jobs import letters as letter_jobs  # noqa: F401 - enqueue: the outbox runs after each commit
from jobs.cron import register_periodic_jobs
from jobs.runtime import bind_app
from jobs.worker import run_worker
from tenants import db
from tenants.clock import as_spanish_time
from tenants.db import tenant_context, utcnow
from tenants.services.collections import sweep


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@click.option("--queue", "queue_names", multiple=True, help="Queues to take (default: all).")
@with_appcontext
def worker_command(burst: bool, queue_names: tuple[str, ...]) -> None:
    """Run an RQ worker with its scheduler (which runs delayed retries), through Redis
    restarts: see jobs/worker.py."""
    app = current_app._get_current_object()
    bind_app(app)
    names = queue_names or queues.ALL
    if queues.LETTERS in names:
        # RQ forks a work horse per job: load WeasyPrint, fonts and templates once, here.
        letter_jobs.warm_up()
    # RQ's Worker finishes the current job on SIGTERM (warm shutdown) before exiting.
    run_worker(app, names, burst=burst)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Enqueue the periodic jobs of jobs/cron.py. Only one cron process runs at a time, and
    it rides out Redis restarts: see jobs/leader.py."""
    app = current_app._get_current_object()
    connection = queues.redis_connection(app)
    lock = connection.lock(leader.CRON_LOCK, timeout=leader.CRON_LOCK_SECONDS, blocking=False)
    leader.take_lease(lock)
    scheduler = leader.LeaderCron(
        connection=connection, lock=lock, logging_level=app.config["LOG_LEVEL"]
    )
    register_periodic_jobs(scheduler, app.config)
    try:
        scheduler.start()
    finally:
        leader.release_lease(lock)


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
