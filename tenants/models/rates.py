"""Rates and indexes kept as data, not constants (docs/law.md#rates-as-data: values to "verify").

Platform tables, not tenant-owned: every workspace reads the same values, and the platform
admin extends them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, utcnow

RATE_KINDS = ("legal", "late_payment")  # interés legal del dinero; Ley 3/2004
INDEX_KINDS = ("ipc", "irav")


class InterestRate(Base):
    """A yearly rate in force from `valid_from` until the next row of the same kind."""

    __tablename__ = "interest_rates"
    __table_args__ = (UniqueConstraint("kind", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date]
    valid_to: Mapped[date]  # inclusive; a gap before the next row is a missing rate
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))  # percent per year
    source: Mapped[str] = mapped_column(String(200), default="")
    boe_reference: Mapped[str] = mapped_column(
        String(40), default="", server_default=""
    )  # e.g. BOE-A-2025-13217
    # Read in the BOE by the platform admin. A letter whose interest uses an unverified rate
    # waits for approval (docs/law.md#rates-as-data).
    verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str] = mapped_column(
        String(254), default="", server_default=""
    )  # the admin's email


class RentIndexValue(Base):
    """A monthly annual-variation value of IPC or IRAV (INE), in percent."""

    __tablename__ = "rent_index_values"
    __table_args__ = (UniqueConstraint("index", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    index: Mapped[str] = mapped_column(String(8))
    month: Mapped[date]  # first day of the month the value refers to
    value: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    source: Mapped[str] = mapped_column(String(200), default="INE")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )  # checked against INE
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str] = mapped_column(String(254), default="", server_default="")


class RentUpdate(TenantOwned, Base):
    """A rent update proposed on a lease's anniversary; applies once the landlord confirms."""

    __tablename__ = "rent_updates"
    __table_args__ = (UniqueConstraint("lease_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date]
    index: Mapped[str] = mapped_column(String(8))  # ipc / irav / fixed
    index_month: Mapped[date | None]
    index_value: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    old_rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    new_rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # confirmed / dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
