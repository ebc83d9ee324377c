"""Rates and indexes kept as data, not constants (docs/law.md#rates-as-data: values to "verify").

Platform tables, not tenant-owned: every workspace reads the same values, and the platform
admin extends them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
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
