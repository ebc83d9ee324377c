"""Card payments: the creditor's own Stripe account (Connect) and each payment a debtor makes
by card through Stripe Checkout.

- `StripeAccount` is the workspace's Connect account (one per workspace): its Stripe id and
  what Stripe last told us of it (charges and payouts enabled, what is still required). It is
  refreshed from `account.updated` webhooks and when the owner comes back from onboarding.
- `CardPayment` is one Checkout Session opened for a case: its session and PaymentIntent ids
  (unique, so an event can be applied once), the amount, the platform fee, and how much of it
  is booked now. `booked` follows what Stripe says the creditor keeps: the amount received,
  less refunds, less a chargeback while it is open or lost (tenants/services/portal/card.py).
- `CardBooking` links a card payment to the `Payment` rows its money was booked as (one per
  lease or invoice it reached), so a refund or a chargeback takes off exactly that money.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow
from tenants.models.collections import Case
from tenants.models.ledger import Payment

Money = Numeric(12, 2)
ZERO = Decimal("0.00")

# open: the debtor was sent to the hosted page; paid; failed: the card was refused (the
# debtor may try again on the same page); refunded / partly_refunded; disputed: a chargeback
# is open or was lost.
CARD_PAYMENT_STATUSES = ("open", "paid", "failed", "partly_refunded", "refunded", "disputed")


class StripeAccount(TenantOwned, Base):
    __tablename__ = "stripe_accounts"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), unique=True)  # acct_…
    details_submitted: Mapped[bool] = mapped_column(default=False)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    # What Stripe still asks for (requirements.currently_due + past_due), and why it disabled
    # the account if it did (requirements.disabled_reason).
    requirements_due: Mapped[list] = mapped_column(JSON, default=list)
    disabled_reason: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None]

    @property
    def status(self) -> str:
        """ "active" when the account takes charges and receives payouts, "pending" until the
        owner has finished onboarding, "restricted" when Stripe holds either back after it."""
        if self.charges_enabled and self.payouts_enabled:
            return "active"
        if not self.details_submitted:
            return "pending"
        return "restricted"


class CardPayment(TenantOwned, Base):
    __tablename__ = "card_payments"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # The effect the session is for ("case:42:c1:card:130.00:2026-12-03"): the idempotency
    # purpose of the call that created it, also in the session's and the PaymentIntent's
    # metadata, so an event that arrives first finds its row.
    purpose: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(String(64))  # the Connect account it was made on
    session_id: Mapped[str] = mapped_column(String(255), unique=True)  # cs_…
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # pi_…
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    application_fee: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    status: Mapped[str] = mapped_column(String(16), default="open")
    received_on: Mapped[date | None]  # the day the card was charged (Madrid)
    refunded: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    dispute_id: Mapped[str | None] = mapped_column(String(255))
    dispute_status: Mapped[str] = mapped_column(String(32), default="", server_default="")
    disputed: Mapped[Decimal] = mapped_column(Money, default=ZERO)  # taken back by the bank
    booked: Mapped[Decimal] = mapped_column(Money, default=ZERO)  # on the ledger now
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # metadata of the caller
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined")
    bookings: Mapped[list[CardBooking]] = relationship(
        back_populates="card_payment",
        cascade="all, delete-orphan",
        order_by="CardBooking.id",
        lazy="selectin",
    )


class CardBooking(TenantOwned, Base):
    __tablename__ = "card_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_payment_id: Mapped[int] = mapped_column(
        ForeignKey("card_payments.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )

    card_payment: Mapped[CardPayment] = relationship(back_populates="bookings")
    payment: Mapped[Payment] = relationship(lazy="joined")
