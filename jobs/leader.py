"""The cron process of `flask cron`: one leader at a time, through a Redis lease, that rides out
a Redis restart.

RQ's CronScheduler ends on the first Redis error, and the lease (a redis-py lock) is gone when
Redis restarts empty: extending it raised LockNotOwnedError and took the process down. Here
every Redis error waits (a logged backoff) and tries again, and a lost lease is taken again
unless another cron process took it first, in which case this one waits as a follower.
"""

from __future__ import annotations

import contextlib
import logging
import time

from redis.exceptions import LockError, LockNotOwnedError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from jobs.backoff import REDIS_DOWN, Backoff

log = logging.getLogger("amparo.cron")

CRON_LOCK = "amparo:cron:leader"
CRON_LOCK_SECONDS = 150  # > the scheduler's longest sleep (60 s) plus a margin
FOLLOWER_WAIT = 30  # seconds between two looks at a lease another process holds


class LeaseLost(Exception):
    """Another cron process holds the lease now: this one must stop enqueueing."""


def take_lease(lock) -> None:
    """Wait until this process holds the lease, however long Redis is away or another
    process leads."""
    backoff = Backoff(log, "cron")
    while True:
        try:
            if lock.acquire(blocking=False):
                backoff.reset()
                return
        except REDIS_DOWN as error:
            backoff.wait(error)
            continue
        backoff.reset()
        log.warning("another cron process holds the lease; waiting")
        time.sleep(FOLLOWER_WAIT)


class LeaderCron(CronScheduler):
    """A CronScheduler that keeps a Redis lease, so only one cron process enqueues."""

    def __init__(self, *args, lock, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = lock

    def heartbeat(self) -> None:
        super().heartbeat()
        self.renew_lease()

    def renew_lease(self) -> None:
        try:
            self._lock.extend(CRON_LOCK_SECONDS, replace_ttl=True)
        except LockNotOwnedError:
            # Redis restarted empty, or this process was paused past the lease: take it again
            # unless a successor already did.
            if not self._lock.acquire(blocking=False):
                raise LeaseLost() from None
            log.warning("the cron lease had been lost (Redis restarted?); taken again")

    def start(self) -> None:
        """Enqueue due jobs until SIGTERM or SIGINT, through Redis outages and lost leases."""
        self.log.info("CronScheduler %s: starting...", self.name)
        self._install_signal_handlers()
        backoff = Backoff(log, "cron")
        try:
            while True:
                try:
                    self._lead(backoff)
                except REDIS_DOWN as error:
                    backoff.wait(error)
                except LeaseLost:
                    log.warning("another cron process took the lease; this one now waits")
                    take_lease(self._lock)
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            with contextlib.suppress(*REDIS_DOWN):
                self.register_death()

    def _lead(self, backoff: Backoff) -> None:
        self.register_birth()  # again after an outage: Redis may have forgotten this process
        while True:
            self.renew_lease()  # before enqueueing: only the leader enqueues
            if self.enqueue_jobs():
                self.save()  # the next run times, for monitoring
            self.heartbeat()
            backoff.reset()
            sleep_time = self.calculate_sleep_interval()
            if sleep_time > 0:
                time.sleep(sleep_time)


def release_lease(lock) -> None:
    """Let a successor start at once instead of waiting for the lease to expire."""
    with contextlib.suppress(LockError, *REDIS_DOWN):
        lock.release()
