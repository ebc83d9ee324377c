"""Work a commit asked for, recorded in that same commit (tenants/outbox.py).

Redis may be down when the commit ends, or lose the job later: the row outlives both, and the
cron re-drive (jobs/maintenance.py) enqueues again whatever is not done a few minutes on. A
platform table: it holds a job's name and its arguments (ids), as the RQ queue does, and no
workspace reads it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, utcnow


class OutboxItem(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The job: a topic of tenants/outbox.py or a job's "module:function" (jobs/enqueue.py).
    topic: Mapped[str] = mapped_column(String(128))
    args: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    redrives: Mapped[int] = mapped_column(default=0)
    redriven_at: Mapped[datetime | None]
    # Set by the job wrapper in the job's own commit: the work is done (or failed for good,
    # as its JobRun says), and nothing will ask for it again.
    done_at: Mapped[datetime | None] = mapped_column(index=True)
