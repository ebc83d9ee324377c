"""The fianza and additional guarantees of a lease (LAU art. 36), lodgement and settlement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned

Money = Numeric(12, 2)

GUARANTEE_KINDS = ("none", "cash", "bank_guarantee", "other")
DEDUCTION_KINDS = ("unpaid_rent", "damages", "other")


class Deposit(TenantOwned, Base):
    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)  # the cash fianza held
    legal_amount: Mapped[Decimal] = mapped_column(Money)  # what the law asks (1 or 2 months)
    guarantee_kind: Mapped[str] = mapped_column(String(16), default="none")
    guarantee_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    region: Mapped[str | None] = mapped_column(String(32))  # key of LODGEMENT_BODIES
    lodged_reference: Mapped[str | None] = mapped_column(String(60))
    lodged_on: Mapped[date | None]
    keys_returned_on: Mapped[date | None]
    returned_on: Mapped[date | None]
    returned_amount: Mapped[Decimal | None] = mapped_column(Money)

    deductions: Mapped[list[DepositDeduction]] = relationship(
        back_populates="deposit",
        cascade="all, delete-orphan",
        order_by="DepositDeduction.id",
        lazy="selectin",
    )


class DepositDeduction(TenantOwned, Base):
    __tablename__ = "deposit_deductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(
        ForeignKey("deposits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)

    deposit: Mapped[Deposit] = relationship(back_populates="deductions")
