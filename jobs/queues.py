"""Queue names (the only place they are spelled) and the Redis connection."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

MAIL = "mail"  # account and notification email: small, latency matters
DEFAULT = "default"  # tenant work: invitations, imports, charges
LETTERS = "letters"  # rendering and sending claim letters
CRON = "cron"  # fan-out jobs enqueued by the cron process

# Workers take queues in this order: a person waiting for an email beats a batch.
ALL = (MAIL, DEFAULT, LETTERS, CRON)


def redis_connection(app=None) -> Redis:
    """One connection pool per app, from the REDIS_URL setting."""
    app = app or current_app
    conn = app.extensions.get("amparo_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=10)
        app.extensions["amparo_redis"] = conn
    return conn


def get_queue(name: str, app=None) -> Queue:
    if name not in ALL:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection(app))
