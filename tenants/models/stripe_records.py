"""What Amparo keeps of its conversation with Stripe (issue 12, points 5 and 7).

Platform tables (no tenant): a key is taken, and an event arrives, before any workspace is
known. Neither holds what a workspace owns: the effects of an event live in the tenant's own
tables (payments, subscriptions), written in the same commit as the event's row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, utcnow


class StripeRequest(Base):
    """The idempotency key of one effect we ask Stripe for (stripe_api.options).

    `purpose` names the effect ("instalment:42:charge:1"); the key is fixed, and committed,
    before the first attempt, so every retry of that effect sends the same key and Stripe
    answers it with the first attempt's result instead of doing it again.
    """

    __tablename__ = "stripe_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(200), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    account: Mapped[str | None] = mapped_column(String(64))  # the Connect account, if any
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(Base):
    """A webhook event already handled: written in the commit of its effects, so a replay
    finds it and does nothing (events.receive)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_…
    type: Mapped[str] = mapped_column(String(128))
    account: Mapped[str | None] = mapped_column(String(64))  # set on Connect events
    created: Mapped[datetime | None]  # when Stripe made the event
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
