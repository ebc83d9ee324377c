"""Every periodic job, in one place. The cron process only enqueues; workers do the work."""

from __future__ import annotations

from rq.cron import CronScheduler

from jobs import maintenance


def register_periodic_jobs(scheduler: CronScheduler) -> None:
    scheduler.register(maintenance.requeue_stuck_emails, maintenance.CRON, interval=300)
    scheduler.register(maintenance.prune_sessions, maintenance.CRON, cron="17 3 * * *")
