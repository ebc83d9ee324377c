"""`flask worker` and `flask cron`: the two long-running job processes of the Procfile."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker
from rq.cron import CronScheduler

from jobs import queues
from jobs.cron import register_periodic_jobs
from jobs.runtime import bind_app

CRON_LOCK = "amparo:cron:leader"
CRON_LOCK_SECONDS = 150  # > the scheduler's longest sleep (60 s) plus a margin


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
    worker = Worker([queues.get_queue(n, app) for n in names], connection=connection)
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
