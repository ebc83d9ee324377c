"""The badge as jobs: a refresh per workspace, and the hourly fan-out that catches what the
clock changes (tenants/services/badge/issuance.py).

Services request `refresh_badge` after the commit that changed something it depends on (the
plan, the letterhead, the ladder); `fan_out_badges` runs it every hour for every workspace whose
badge may have changed with no event at all (a trial or a grace period that ended). Refreshing
twice changes nothing the second time, so RQ's at-least-once is safe.
"""

from __future__ import annotations

from datetime import datetime

from jobs.enqueue import enqueue_now
from jobs.queues import CRON, DEFAULT
from jobs.runtime import job
from tenants.db import utcnow
from tenants.services.badge import issuance

FAN_OUT_EVERY_SECONDS = 3600


@job(DEFAULT)
def refresh_badge(tenant_id: int, now_iso: str | None = None) -> str | None:
    """Issue, suspend, reinstate or revoke the workspace's badge as its requirements say."""
    return issuance.refresh_badge(datetime.fromisoformat(now_iso) if now_iso else None)


@job(CRON, tenant=False, retries=0)
def fan_out_badges(now_iso: str | None = None) -> int:
    """One refresh job per workspace whose badge may change. Finds work, does none itself."""
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    tenant_ids = issuance.tenants_to_refresh()
    for tenant_id in tenant_ids:
        enqueue_now(refresh_badge, tenant_id, now.isoformat())
    return len(tenant_ids)
