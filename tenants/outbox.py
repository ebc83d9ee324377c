"""Work a service asks for once its transaction commits (render a letter, thank a debtor).

`tenants` imports no jobs (DESIGN.md: imports point `web -> jobs -> letters -> tenants`), so a
service names the work by topic and the jobs layer, which registers a handler per topic, enqueues
it after the commit (jobs/enqueue.py). A rollback drops the requests with the transaction.
"""

from __future__ import annotations

from tenants.db import session

PENDING = "amparo_outbox"

RENDER_LETTER = "render_letter"  # (tenant_id, letter_id)
DELIVER_LETTER = "deliver_letter"  # (tenant_id, letter_id)
THANK_DEBTOR = "thank_debtor"  # (tenant_id, case_id, cycle)


def request(topic: str, *args) -> None:
    sess = session()
    if not sess.in_transaction():
        sess.begin()  # a rollback with no transaction begun fires no event
    sess.info.setdefault(PENDING, []).append((topic, args))
