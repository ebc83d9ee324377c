"""Progress of long jobs, written in its own transaction so the UI sees it while the job runs."""

from __future__ import annotations

from tenants.db import SessionFactory, utcnow
from tenants.models import JobRun


def report_progress(
    run_id: int,
    *,
    done: int,
    total: int | None = None,
    status="running",
    message: str | None = None,
) -> None:
    with SessionFactory() as side:
        # The job's own tenant context is current, so the flush check passes for this row.
        run = side.get(JobRun, run_id)
        if run is None:
            return
        run.done = done
        if total is not None:
            run.total = total
        run.status = status
        if message is not None:
            run.message = message
        if status in ("done", "failed"):
            run.finished_at = utcnow()
        side.commit()
