"""Riding out a Redis outage: what counts as one, and how long to wait before trying again."""

from __future__ import annotations

import logging
import random
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Redis restarting, unreachable or too slow. LockNotOwnedError and the like are not here:
# Redis answered, and what it said is handled where it is asked.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

FIRST_WAIT = 0.5
LONGEST_WAIT = 10.0  # a restart takes seconds: never wait long once Redis is back


class Backoff:
    """Waits doubling from FIRST_WAIT to LONGEST_WAIT (with jitter, so several processes do
    not retry in step), each one logged as a warning: an operator sees the retries."""

    def __init__(self, log: logging.Logger, what: str):
        self.log = log
        self.what = what
        self.retries = 0

    def wait(self, error: BaseException) -> None:
        self.retries += 1
        delay = min(LONGEST_WAIT, FIRST_WAIT * 2 ** (self.retries - 1))
        delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret
        self.log.warning(
            "%s: Redis unreachable (%s: %s); retry %d in %.1f s",
            self.what,
            type(error).__name__,
            error,
            self.retries,
            delay,
        )
        time.sleep(delay)

    def reset(self) -> None:
        if self.retries:
            self.log.warning("%s: Redis answers again after %d retries", self.what, self.retries)
        self.retries = 0
