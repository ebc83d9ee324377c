"""SaaS plans (a platform table, seeded by migration 0018) and each workspace's subscription.

A plan's price, limits and features are data: code asks `features` and `limits`, never a plan's
name (tenants/services/billing/plans.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, utcnow

SUBSCRIPTION_STATUSES = ("trialing", "active", "past_due", "suspended", "canceled")


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # "gratis", "proteccion", …
    position: Mapped[int]  # cheapest first: the order of the comparison and of upgrades
    name_es: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # EUR, VAT not included
    stripe_price_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # {"leases": 10, "invoices": 50}: a kind missing is unlimited.
    limits: Mapped[dict] = mapped_column(JSON, default=dict)
    # ["ladder", "paper_letters", "badge", "escalation", "api", "members"]
    features: Mapped[list] = mapped_column(JSON, default=list)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_es


class Subscription(TenantOwned, Base):
    """A workspace's plan and where it stands: one row per workspace."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # SUBSCRIPTION_STATUSES
    trial_ends_at: Mapped[datetime | None]
    grace_ends_at: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(100), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
