"""Leases (contratos de arrendamiento): who rents which unit, for how much, until when."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow
from tenants.models.parties import Party
from tenants.models.properties import Unit

Money = Numeric(12, 2)

LEASE_STATUSES = ("draft", "active", "ended", "terminated")
PAYMENT_METHODS = ("transfer", "direct_debit", "cash")
UPDATE_CLAUSES = ("none", "ipc", "irav", "fixed")
EXTRA_KINDS = ("community", "utilities", "ibi", "other")


class Lease(TenantOwned, Base):
    __tablename__ = "leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    reference: Mapped[str | None] = mapped_column(String(40))
    use: Mapped[str] = mapped_column(String(16), default="housing")
    start_date: Mapped[date]
    end_date: Mapped[date | None]  # the agreed end; None for an open term
    signed_on: Mapped[date | None]  # decides IRAV vs IPC (contracts from 25 May 2023)
    # Amparo charges rent from this day on. A lease that began before the landlord joined
    # starts its book here, instead of showing every past month as unpaid.
    billed_from: Mapped[date]
    rent: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    due_day: Mapped[int] = mapped_column(default=1)  # 31 means the last day of every month
    payment_method: Mapped[str] = mapped_column(String(16), default="transfer")
    iban: Mapped[str | None] = mapped_column(String(34))  # where the rent is paid, compact
    update_clause: Mapped[str] = mapped_column(String(8), default="none")
    update_fixed_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    ended_on: Mapped[date | None]  # when it really ended (early termination or end)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]  # an ended lease put away: hidden from the lists

    unit: Mapped[Unit] = relationship(lazy="joined")
    parties: Mapped[list[LeaseParty]] = relationship(
        back_populates="lease",
        cascade="all, delete-orphan",
        order_by="LeaseParty.id",
        lazy="selectin",
    )
    extras: Mapped[list[LeaseExtra]] = relationship(
        back_populates="lease",
        cascade="all, delete-orphan",
        order_by="LeaseExtra.id",
        lazy="selectin",
    )

    @property
    def renters(self) -> list[Party]:
        return [lp.party for lp in self.parties if lp.role == "renter"]

    @property
    def guarantors(self) -> list[Party]:
        return [lp.party for lp in self.parties if lp.role == "guarantor"]

    @property
    def monthly_total(self) -> Decimal:
        return self.rent + sum((e.amount for e in self.extras), Decimal("0"))

    @property
    def title(self) -> str:
        names = ", ".join(p.name for p in self.renters) or "—"
        return f"{self.unit.full_label} · {names}"


class LeaseParty(TenantOwned, Base):
    __tablename__ = "lease_parties"
    __table_args__ = (UniqueConstraint("lease_id", "party_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # renter / guarantor

    lease: Mapped[Lease] = relationship(back_populates="parties")
    party: Mapped[Party] = relationship(lazy="joined")


class LeaseExtra(TenantOwned, Base):
    """A recurring amount billed with the rent: community fees, utilities, IBI."""

    __tablename__ = "lease_extras"

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="other")
    description: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column(Money)

    lease: Mapped[Lease] = relationship(back_populates="extras")
