"""A record of a long job, so the UI can show a progress bar and the outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, utcnow

# What a run can be doing. `retrying`: a try failed and RQ will run the job again;
# `failed`: it stopped for good and `error_code` says why.
STATUSES = ("queued", "running", "retrying", "done", "failed")


class JobRun(TenantOwned, Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    # Why the run failed (or why the last try did, while retrying): a message code and its
    # parameters, translated when shown, in the language of whoever looks at the page.
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0
