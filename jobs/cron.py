"""Every periodic job, in one place. The cron process only enqueues; workers do the work."""

from __future__ import annotations

from rq.cron import CronScheduler

from jobs import (
    badge_cache,
    badges,
    billing,
    collections,
    escalation_offers,
    instalments,
    maintenance,
    rentals,
)


def register_periodic_jobs(scheduler: CronScheduler, config) -> None:
    scheduler.register(maintenance.requeue_stuck_emails, maintenance.CRON, interval=300)
    # Work whose enqueue failed (Redis down at the commit) or that Redis lost: OUTBOX_REDRIVE_*.
    scheduler.register(
        maintenance.redrive_outbox,
        maintenance.CRON,
        interval=int(config["OUTBOX_REDRIVE_EVERY"]),
    )
    scheduler.register(maintenance.prune_outbox, maintenance.CRON, cron="27 3 * * *")
    scheduler.register(maintenance.prune_sessions, maintenance.CRON, cron="17 3 * * *")
    scheduler.register(maintenance.fail_abandoned_runs, maintenance.CRON, interval=600)
    # Charges appear on the 1st in Spain: 23:05 UTC is 00:05 or 01:05 in Madrid. Running every
    # day also catches up any missed run and proposes rent updates as anniversaries near.
    scheduler.register(rentals.fan_out_rent_book, maintenance.CRON, cron="5 23 * * *")
    # Letters leave at 9:00 Madrid time (tenants/services/collections/cases.py); a quarter-hourly
    # sweep sends them soon after, and picks up new debts and resumed cases through the day.
    scheduler.register(
        collections.fan_out_collections,
        maintenance.CRON,
        interval=collections.SWEEP_EVERY_SECONDS,
    )
    # Plans: trials and grace periods that ended (tenants/services/billing/plans.py).
    scheduler.register(
        billing.expire_plans, maintenance.CRON, interval=billing.EXPIRE_EVERY_SECONDS
    )
    # Instalment plans at 7:30 UTC (8:30 or 9:30 in Madrid): missed ones break (the ladder
    # resumes), reminders 3 days before, the day's SEPA debits.
    scheduler.register(instalments.fan_out_instalments, maintenance.CRON, cron="30 7 * * *")
    # Badges whose state the clock changed with no event (a trial or a grace period that
    # ended): suspended within the hour; closed workspaces' badges revoked if a refresh was lost.
    scheduler.register(
        badges.fan_out_badges, maintenance.CRON, interval=badges.FAN_OUT_EVERY_SECONDS
    )
    # The badges' views counted in Redis, into the database for the workspaces' charts.
    scheduler.register(
        badge_cache.flush_badge_views, maintenance.CRON, interval=badge_cache.FLUSH_EVERY_SECONDS
    )
    # Offers a law firm left unanswered for 48 hours go to the next firm that fits (issue 14).
    scheduler.register(
        escalation_offers.expire_offers,
        maintenance.CRON,
        interval=escalation_offers.EXPIRE_EVERY_SECONDS,
    )
