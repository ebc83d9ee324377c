"""Progress and failures of long jobs, written in their own transaction, so the UI sees them
while the job runs, and a failure is recorded even when the job's own connection is dead."""

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


def report_failure(run_id: int, code: str, params: dict, *, final: bool) -> None:
    """The run failed for good (`final`), or this try did and RQ will run it again.

    A new session checks out another pooled connection, tested before use (`pool_pre_ping`):
    the one the job was using may be the reason it failed.
    """
    with SessionFactory() as side:
        run = side.get(JobRun, run_id)
        if run is None or run.finished:
            return  # a run that finished is not un-finished by a late failure of a retry
        run.status = "failed" if final else "retrying"
        run.error_code = code
        run.error_params = params
        if final:
            run.finished_at = utcnow()
        side.commit()
