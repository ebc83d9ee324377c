"""Work a service asks for once its transaction commits (render a letter, thank a debtor).

`tenants` imports no jobs (DESIGN.md: imports point `web -> jobs -> letters -> tenants`), so a
service names the work by topic and the jobs layer, which registers a handler per topic, enqueues
it after the commit (jobs/enqueue.py). The request is an `OutboxItem` row written in the same
transaction: a rollback drops it with the rest, and a commit keeps it even if Redis is down
when the commit ends, for the cron re-drive to enqueue later.
"""

from __future__ import annotations

from sqlalchemy import update

from tenants.db import session, utcnow
from tenants.models.outbox import OutboxItem

PENDING = "amparo_outbox"

RENDER_LETTER = "render_letter"  # (tenant_id, letter_id)
DELIVER_LETTER = "deliver_letter"  # (tenant_id, letter_id)
THANK_DEBTOR = "thank_debtor"  # (tenant_id, case_id, cycle)
DEBTOR_TOLD = "debtor_told"  # (tenant_id, debtor_message_id): tell the case owner


def request(topic: str, *args) -> OutboxItem:
    """Record that `topic` must run with `args` (ids, JSON-able) once this transaction commits."""
    sess = session()
    if not sess.in_transaction():
        sess.begin()  # a rollback with no transaction begun fires no event
    item = OutboxItem(topic=topic, args=list(args))
    sess.add(item)
    sess.info.setdefault(PENDING, []).append(item)
    return item


def mark_done(item_id: int) -> None:
    """The work of `item_id` is done: the re-drive leaves it alone. Flushed, not committed."""
    session().execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.done_at.is_(None))
        .values(done_at=utcnow())
    )
