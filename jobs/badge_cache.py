"""The badge's public state in Redis, its views per day, and their flush into the database.

Every view of every embedded badge asks for `/badge/<token>.svg`, so the image's answer must
not cost a database query. `image_state(token)` asks Redis in one round trip (one Lua script)
for the token's state and, when the token is known, counts the view; only on a miss does it
read the database (tenants/services/badge/lookup.py) and store what it found:

- a known token for `STATE_TTL` seconds, listed under its workspace so that a change of state
  drops all of the workspace's tokens (its own and its invoices') at once;
- an unknown token for `UNKNOWN_TTL` seconds (a made-up badge asked for again and again costs
  one query a minute, not one a view).

A change of state is seen at once: the issuance service names the workspace in
`session.info[CHANGED]` (tenants/services/badge/issuance.py mark_changed) and the after-commit
hook here drops its entries. Lost invalidations (Redis down at that commit) are bounded by
`STATE_TTL`. A reader that read the database before a change committed must not store the old
state after the hook dropped it: every drop bumps a generation counter, the reader notes the
generation with its miss and stores only if it did not move.

Redis down is never an error: the image is answered from the database (uncounted), and a commit
that changed a badge stays committed.

Views are counted per token and per day (Madrid) in one hash; `flush_badge_views` (cron, every
ten minutes) moves them into `BadgeView` rows.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from typing import NamedTuple

from flask import current_app, has_app_context
from redis import Redis
from sqlalchemy import event, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from jobs.queues import CRON
from jobs.runtime import job
from tenants import db
from tenants.clock import today_in_spain
from tenants.db import across_tenants
from tenants.models import Badge, BadgeView, InvoiceBadge
from tenants.services.badge import lookup
from tenants.services.badge.issuance import CHANGED  # tenant ids whose badge changed

log = logging.getLogger("amparo.badge")

STATE_TTL = 600  # seconds a known token's state may be served from Redis at most
UNKNOWN_TTL = 60  # seconds an unknown token is remembered as unknown
UNKNOWN = "-"

PREFIX = "amparo:badge:"
GENERATION = PREFIX + "generation"
VIEWS = PREFIX + "views"  # hash "YYYY-MM-DD|token" -> views not yet flushed
FLUSHING = PREFIX + "views:flushing"  # the batch a flush is writing
FLUSH_LOCK = PREFIX + "views:lock"
FLUSH_BATCH = 1000
FLUSH_EVERY_SECONDS = 10 * 60


def state_key(token: str) -> str:
    return PREFIX + "state:" + token


def tenant_key(tenant_id: int) -> str:
    return PREFIX + "tenant:" + str(tenant_id)


class ImageState(NamedTuple):
    """What a token's image shows."""

    tenant_id: int
    state: str
    name: str
    version: int


# KEYS: state, generation, views. ARGV: the views field. -> {state or "", generation}
_READ = """
local entry = redis.call('GET', KEYS[1])
if entry then
  if entry ~= ARGV[2] then redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
  return {entry, ''}
end
return {'', redis.call('GET', KEYS[2]) or '0'}
"""

# KEYS: state, generation, tenant set ('' for an unknown token), views.
# ARGV: generation seen, value, ttl, views field ('' not to count).
_STORE = """
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
if KEYS[3] ~= '' then
  redis.call('SADD', KEYS[3], KEYS[1])
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
end
return 1
"""

# KEYS: generation, then the tenant sets. Drops every state listed in each set, and the sets.
_FORGET = """
redis.call('INCR', KEYS[1])
for i = 2, #KEYS do
  local states = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(states) do redis.call('DEL', key) end
  redis.call('DEL', KEYS[i])
end
return 1
"""

# KEYS: views, flushing. 1 when there is a batch to write (a failed flush's left first).
_CLAIM = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


def connection(app=None) -> Redis:
    """Redis with short timeouts: a slow Redis must not hold an image for long (the database
    answers instead). One pool per app."""
    app = app or current_app
    conn = app.extensions.get("amparo_badge_redis")
    if conn is None:
        conn = Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5
        )
        app.extensions["amparo_badge_redis"] = conn
    return conn


def _scripts(conn: Redis) -> dict:
    scripts = getattr(conn, "_amparo_badge_scripts", None)
    if scripts is None:
        scripts = {
            name: conn.register_script(source)
            for name, source in (("read", _READ), ("store", _STORE), ("forget", _FORGET))
        }
        conn._amparo_badge_scripts = scripts
    return scripts


_last_warning = 0.0


def _warn(what: str) -> None:
    """One warning a minute per process while Redis is down, not one per view."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("badge cache: %s; answering from the database", what, exc_info=True)


def _encode(public: dict | None) -> str:
    if public is None:
        return UNKNOWN
    return json.dumps(
        [public["tenant_id"], public["state"], public["name"], public["version"]],
        ensure_ascii=False,
    )


def _decode(entry: str) -> ImageState | None:
    if entry == UNKNOWN:
        return None
    return ImageState(*json.loads(entry))


def _from_db(token: str) -> ImageState | None:
    public = lookup.public_badge(token)
    return None if public is None else _decode(_encode(public))


def image_state(token: str) -> ImageState | None:
    """The state the image of `token` shows, None for a token that names no badge; counts the
    view of a known token. From Redis when it has it (no database query), else from the
    database, then kept in Redis."""
    if not lookup.well_formed(token):
        return None
    views_field = f"{today_in_spain().isoformat()}|{token}"
    try:
        conn = connection()
        scripts = _scripts(conn)
        entry, generation = scripts["read"](
            keys=[state_key(token), GENERATION, VIEWS], args=[views_field, UNKNOWN]
        )
    except Exception:
        _warn("Redis did not answer")
        return _from_db(token)
    if entry:
        return _decode(entry.decode("utf-8"))
    public = lookup.public_badge(token)
    try:
        scripts["store"](
            keys=[
                state_key(token),
                GENERATION,
                "" if public is None else tenant_key(public["tenant_id"]),
                VIEWS,
            ],
            args=[
                generation,
                _encode(public),
                UNKNOWN_TTL if public is None else STATE_TTL,
                "" if public is None else views_field,
            ],
        )
    except Exception:
        _warn("Redis did not store a badge's state")
    return None if public is None else _decode(_encode(public))


def forget(tenant_ids) -> None:
    """Drop the cached state of every token of these workspaces (a badge changed)."""
    keys = [GENERATION, *(tenant_key(t) for t in sorted(tenant_ids))]
    _scripts(connection())["forget"](keys=keys)


@event.listens_for(Session, "after_commit")
def _forget_changed_badges(sess: Session) -> None:
    if sess.in_nested_transaction():
        return  # a savepoint: the real commit is still to come
    tenant_ids = sess.info.pop(CHANGED, None)
    if not tenant_ids:
        return
    if not has_app_context():
        log.warning("badge cache: no app to reach Redis; %s stale for %ss", tenant_ids, STATE_TTL)
        return
    try:
        forget(tenant_ids)
    except Exception:
        # Committed already: never an error for the caller. The entries expire in STATE_TTL.
        log.warning(
            "badge cache: could not drop workspaces %s; their badges may show the old state "
            "for up to %s seconds",
            sorted(tenant_ids),
            STATE_TTL,
            exc_info=True,
        )


@event.listens_for(Session, "after_rollback")
def _drop_changed_badges(sess: Session) -> None:
    sess.info.pop(CHANGED, None)


# --- views -------------------------------------------------------------------------------


@job(CRON, tenant=False, retries=1)
def flush_badge_views() -> int:
    """Every ten minutes: the views counted in Redis added to each token's `BadgeView` row of
    the day. Returns how many (token, day) rows it wrote.

    The counts are moved aside (RENAME, atomic: views keep being counted in a new hash) and
    deleted only after the database committed them; a flush that failed leaves them for the
    next one. One flush at a time (a lock), or two could add the same batch twice."""
    conn = connection()
    lock = conn.lock(FLUSH_LOCK, timeout=300, blocking=False)
    if not lock.acquire():
        return 0
    written = 0
    try:
        claim = conn.register_script(_CLAIM)
        for _ in range(2):  # a failed flush's batch, then the new views
            if not claim(keys=[VIEWS, FLUSHING]):
                break
            written += _write_views(conn.hgetall(FLUSHING))
            db.session.commit()
            # Between the commit and this delete a killed worker would leave the batch to be
            # added again; the window is one Redis call.
            conn.delete(FLUSHING)
    finally:
        lock.release()
    return written


def _write_views(batch: dict[bytes, bytes]) -> int:
    counts: dict[tuple[str, date], int] = {}
    for field, value in batch.items():
        day, _, token = field.decode("utf-8").partition("|")
        if lookup.well_formed(token):
            key = (token, date.fromisoformat(day))
            counts[key] = counts.get(key, 0) + int(value)
    tokens = sorted({token for token, _day in counts})
    owners: dict[str, int] = {}
    with across_tenants("badge views: flushed from Redis for every workspace"):
        for start in range(0, len(tokens), FLUSH_BATCH):
            chunk = tokens[start : start + FLUSH_BATCH]
            owners.update(
                db.session.execute(
                    union_all(
                        select(Badge.token, Badge.tenant_id).where(Badge.token.in_(chunk)),
                        select(InvoiceBadge.token, InvoiceBadge.tenant_id).where(
                            InvoiceBadge.token.in_(chunk)
                        ),
                    )
                ).all()
            )
        # A token no longer in the database (its workspace was deleted) is dropped.
        rows = [
            {"tenant_id": owners[token], "token": token, "day": day, "views": views}
            for (token, day), views in sorted(counts.items())
            if token in owners
        ]
        table = BadgeView.__table__
        for start in range(0, len(rows), FLUSH_BATCH):
            statement = insert(table).values(rows[start : start + FLUSH_BATCH])
            statement = statement.on_conflict_do_update(
                index_elements=["token", "day"],
                set_={"views": table.c.views + statement.excluded.views},
            )
            db.session.execute(statement)
    return len(rows)
