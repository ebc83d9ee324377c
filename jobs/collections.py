"""The collections sweep as jobs: a fan-out every 15 minutes, one sweep per workspace.

The sweep records letters and asks for their rendering after its commit (tenants/outbox.py);
it sends nothing itself, so running it twice, or twice at once, creates nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from jobs.enqueue import enqueue_now
from jobs.queues import CRON, DEFAULT
from jobs.runtime import job
from tenants.db import utcnow
from tenants.services.collections import sweep

SWEEP_EVERY_SECONDS = 15 * 60


@job(CRON, tenant=False, retries=0)
def fan_out_collections(now_iso: str | None = None) -> int:
    """One sweep job per workspace with due work. Finds work, does none itself."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    tenant_ids = sweep.tenants_with_due_work(now)
    for tenant_id in tenant_ids:
        enqueue_now(sweep_workspace, tenant_id, now.isoformat())
    return len(tenant_ids)


@job(DEFAULT)
def sweep_workspace(tenant_id: int, now_iso: str) -> dict:
    """Take in new debts and move every due case of the workspace one step."""
    return sweep.sweep(datetime.fromisoformat(now_iso)).as_dict()
