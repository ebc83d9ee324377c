"""Instalment plans: a debtor's proposal (or the creditor's offer) to pay a case in parts, and,
once accepted, its schedule.

- An `InstalmentPlan` belongs to one case. Its life: `proposed` (by the debtor, for the
  creditor to decide) or `offered` (by the creditor: an offer from the case page, or a
  counter-proposal, for the debtor to accept) -> `accepted` -> `completed` (all paid) or
  `broken` (an instalment was not paid by its date: the ladder resumes the day after).
  A proposal may also end `rejected` (with a reason the debtor sees), `countered` (the creditor
  answered with another plan, `counter_of_id` on the new one) or `superseded` (a newer proposal
  replaced it). The creditor may also end a running plan (`cancelled`, with a reason the debtor
  is shown: the ladder resumes). One case has at most one plan open or running at a time.
- An `Instalment` is one row of the schedule: due date, amount (the last one takes the cents)
  and status pending / paid / failed (a SEPA debit bounced) / missed (its date passed unpaid).
  `reminded_on` makes the reminder email once-only; `charge_key` (the Stripe idempotency key,
  stored before the first attempt) and `payment_intent_id` make the SEPA charge once-only.
- The SEPA Direct Debit mandate, saved once per plan: the Stripe Customer, PaymentMethod and
  SetupIntent on the creditor's Connect account, the mandate reference, the masked IBAN, and
  when, from which IP and browser the debtor accepted it (SEPA Core rulebook).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow

Money = Numeric(12, 2)

PLAN_STATUSES = (
    "proposed",
    "offered",
    "accepted",
    "completed",
    "broken",
    "rejected",
    "countered",
    "superseded",
    "cancelled",
)
OPEN_STATUSES = ("proposed", "offered")
LIVE_STATUSES = ("proposed", "offered", "accepted")
INSTALMENT_STATUSES = ("pending", "paid", "failed", "missed")
METHODS = ("card", "sepa_debit")


class InstalmentPlan(TenantOwned, Base):
    __tablename__ = "instalment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # PLAN_STATUSES
    proposed_by: Mapped[str] = mapped_column(String(16))  # "debtor" / "creditor"
    counter_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("instalment_plans.id", ondelete="SET NULL")
    )
    count: Mapped[int]
    first_due_on: Mapped[date]
    amount_each: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)  # what the case claimed when it was made
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The creditor's reason, shown to the debtor: for a rejected proposal or a cancelled plan.
    reject_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # SEPA Direct Debit, saved once (empty until the debtor gives an IBAN and the mandate).
    method: Mapped[str] = mapped_column(String(16), default="card", server_default="card")
    sepa_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    iban_last4: Mapped[str] = mapped_column(String(4), default="", server_default="")
    mandate_reference: Mapped[str] = mapped_column(String(35), default="", server_default="")
    mandate_accepted_at: Mapped[datetime | None]
    mandate_ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    mandate_user_agent: Mapped[str] = mapped_column(String(300), default="", server_default="")
    stripe_account: Mapped[str] = mapped_column(String(64), default="", server_default="")
    stripe_customer_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    stripe_payment_method_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    stripe_setup_intent_id: Mapped[str] = mapped_column(String(64), default="", server_default="")

    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="Instalment.position",
        lazy="selectin",
    )

    @property
    def last_amount(self) -> Decimal:
        return self.total - self.amount_each * (self.count - 1)


class Instalment(TenantOwned, Base):
    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("instalment_plans.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]  # 1, 2, 3…
    due_on: Mapped[date] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # INSTALMENT_STATUSES
    paid_on: Mapped[date | None]
    paid_by: Mapped[str] = mapped_column(String(16), default="", server_default="")  # METHODS
    reminded_on: Mapped[date | None]
    failure: Mapped[str] = mapped_column(String(300), default="", server_default="")
    charge_key: Mapped[str] = mapped_column(String(255), default="", server_default="")
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    plan: Mapped[InstalmentPlan] = relationship(back_populates="instalments")
