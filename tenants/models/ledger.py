"""What is owed and what was paid. A rent charge and (later) an invoice are both a Charge.

`Charge.paid` is kept equal to the sum of its allocations by
tenants/services/receivables/payments.py, the only writer of allocations, so arrears and
dashboards are simple set-based queries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow

Money = Numeric(12, 2)

CHARGE_KINDS = ("rent", "invoice", "credit_note", "other")
LINE_KINDS = ("rent", "community", "utilities", "ibi", "other")
PAYMENT_METHODS = ("transfer", "direct_debit", "cash", "card", "other")
CHASED_KINDS = ("rent", "invoice", "other")
UNCHASED = (
    "case_id IS NULL AND kind IN ('rent', 'invoice', 'other') "
    "AND paid + credited < amount AND written_off_at IS NULL"
)


class Charge(TenantOwned, Base):
    __tablename__ = "charges"
    __table_args__ = (
        # Exactly one rent charge per lease and period, whatever the cron does.
        UniqueConstraint("lease_id", "kind", "period_start"),
        # An invoice number (and a credit note number) is unique in its workspace.
        UniqueConstraint("tenant_id", "kind", "number"),
        # The collections sweep takes in overdue charges that no case holds yet. Paid and
        # chased charges leave this index, so the intake costs what is new, not the book.
        Index(
            "ix_charges_unchased",
            "due_date",
            postgresql_where=text(UNCHASED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="rent")
    lease_id: Mapped[int | None] = mapped_column(
        ForeignKey("leases.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"), index=True
    )  # the debtor when there is no lease (invoices)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    due_date: Mapped[date] = mapped_column(index=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Invoices (kind "invoice") and credit notes (kind "credit_note"):
    number: Mapped[str | None] = mapped_column(String(40))
    issue_date: Mapped[date | None]
    base: Mapped[Decimal | None] = mapped_column(Money)  # taxable base
    vat: Mapped[Decimal | None] = mapped_column(Money)  # VAT amount
    credited: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("0"), server_default="0"
    )  # taken off by credit notes
    credits_charge_id: Mapped[int | None] = mapped_column(
        ForeignKey("charges.id", ondelete="CASCADE"), index=True
    )  # on a credit note: the invoice it corrects
    disputed_at: Mapped[datetime | None]
    dispute_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    written_off_at: Mapped[datetime | None]
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    # Collections: the case chasing this charge, and a pause of this charge alone.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    chase_paused_until: Mapped[date | None]
    chase_pause_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    lines: Mapped[list[ChargeLine]] = relationship(
        back_populates="charge",
        cascade="all, delete-orphan",
        order_by="ChargeLine.id",
        lazy="selectin",
    )

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.credited - self.paid

    @property
    def ordered_lines(self) -> list[ChargeLine]:
        """The rent first, then the extras."""
        return sorted(self.lines, key=lambda line: (line.kind != "rent", line.id))

    @property
    def status(self) -> str:
        if self.outstanding <= 0:
            return "paid"
        if self.written_off_at is not None:
            return "written_off"
        if self.disputed_at is not None:
            return "disputed"
        if self.paid > 0:
            return "partly_paid"
        return "open"


class ChargeLine(TenantOwned, Base):
    """One item of a charge: the rent itself, community fees, utilities…"""

    __tablename__ = "charge_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="rent")
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)

    charge: Mapped[Charge] = relationship(back_populates="lines")


class Payment(TenantOwned, Base):
    """Money received. What is not allocated to charges is the payer's credit."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int | None] = mapped_column(
        ForeignKey("leases.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"), index=True
    )
    received_on: Mapped[date] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    method: Mapped[str] = mapped_column(String(16), default="transfer")
    reference: Mapped[str] = mapped_column(String(140), default="")
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual / bank
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal("0"))

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated


class Allocation(TenantOwned, Base):
    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    charge: Mapped[Charge] = relationship(lazy="joined")
