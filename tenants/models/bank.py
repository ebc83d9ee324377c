"""Bank statements imported from CSV. Nothing is booked until the landlord confirms a line."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow


class BankStatement(TenantOwned, Base):
    __tablename__ = "bank_statements"
    # The same file imported twice would book its payments twice.
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[BankLine]] = relationship(
        back_populates="statement",
        cascade="all, delete-orphan",
        order_by="BankLine.id",
        lazy="selectin",
    )


class BankLine(TenantOwned, Base):
    __tablename__ = "bank_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("bank_statements.id", ondelete="CASCADE"), index=True
    )
    booked_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    concept: Mapped[str] = mapped_column(String(300))
    suggested_lease_id: Mapped[int | None] = mapped_column(
        ForeignKey("leases.id", ondelete="SET NULL")
    )
    match: Mapped[str] = mapped_column(String(8), default="none")  # exact / fuzzy / none
    score: Mapped[int] = mapped_column(default=0)  # 0-100, how sure the suggestion is
    status: Mapped[str] = mapped_column(String(16), default="pending")  # booked / ignored
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))

    statement: Mapped[BankStatement] = relationship(back_populates="lines")
