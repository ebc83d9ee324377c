"""The "Protegido por Amparo" badge (issue 13): the workspace's badge, one per invoice, and
how often each is seen.

A workspace has at most one `Badge`: its token is public (it is in every embedded image's URL),
unguessable, and never reused. Its `state` is the protection state every image and verify page
shows: `active`, `suspended` (the plan lapsed or a requirement went missing: `reason` says which;
reinstated when it comes back) or `revoked` (the workspace closed: final). Each change bumps
`version`, which is part of every image's ETag.

An `InvoiceBadge` gives one registered invoice its own token, so its verify page can show the
invoice's number, date and amount and notice a tampered amount. It has no state of its own: it
shows its workspace badge's. `stamped_sha256` is the last PDF Amparo stamped for it.

`BadgeView` holds the views per token per day, flushed from Redis by cron.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, utcnow

BADGE_STATES = ("active", "suspended", "revoked")


class Badge(TenantOwned, Base):
    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="active")  # BADGE_STATES
    # Why it is suspended or revoked: "plan", "email", "tax_id", "ladder", "closed"; "" if active.
    reason: Mapped[str] = mapped_column(String(32), default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceBadge(TenantOwned, Base):
    __tablename__ = "invoice_badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(
        ForeignKey("charges.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stamped_sha256: Mapped[str | None] = mapped_column(String(64))
    stamped_at: Mapped[datetime | None]


class BadgeView(TenantOwned, Base):
    __tablename__ = "badge_views"
    __table_args__ = (UniqueConstraint("token", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[date]
    views: Mapped[int] = mapped_column(default=0)
