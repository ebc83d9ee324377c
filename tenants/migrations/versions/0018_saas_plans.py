"""SaaS plans: plans as data and each workspace's subscription (issue 12)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:20:00.000000

The plans are seeded here (prices in EUR a month, VAT not included; limits and features as
data). Every landlord or business workspace that exists when this runs starts the same trial
a new sign-up gets: Profesional, 14 days from now, then Gratis unless subscribed.
"""

import sqlalchemy as sa
from alembic import op

import tenants.db
from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PLANS = [
    {
        "code": "gratis",
        "position": 1,
        "name_es": "Gratis",
        "name_en": "Free",
        "monthly_price": "0.00",
        "stripe_price_id": "",
        "limits": {"leases": 10, "invoices": 50},
        "features": [],
    },
    {
        "code": "proteccion",
        "position": 2,
        "name_es": "Protección",
        "name_en": "Protection",
        "monthly_price": "19.00",
        "stripe_price_id": "price_amparo_proteccion_monthly",
        "limits": {},
        "features": ["ladder", "paper_letters", "badge"],
    },
    {
        "code": "profesional",
        "position": 3,
        "name_es": "Profesional",
        "name_en": "Professional",
        "monthly_price": "49.00",
        "stripe_price_id": "price_amparo_profesional_monthly",
        "limits": {},
        "features": ["ladder", "paper_letters", "badge", "escalation", "api", "members"],
    },
]


def _seed_plans(table=None) -> None:
    """The plans (tests/conftest.py puts them back after emptying the tables)."""
    if table is None:
        table = sa.table(
            "plans",
            *(sa.column(name) for name in ("code", "position", "name_es", "name_en")),
            sa.column("monthly_price", sa.Numeric(10, 2)),
            sa.column("stripe_price_id"),
            sa.column("limits", sa.JSON()),
            sa.column("features", sa.JSON()),
        )
    op.bulk_insert(table, PLANS)


def upgrade(app_role: str = "") -> None:
    plans = op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_es", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=60), nullable=False),
        sa.Column("monthly_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("stripe_price_id", sa.String(length=100), server_default="", nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_plans_code")),
    )
    _seed_plans(plans)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trial_ends_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("grace_ends_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=100), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=100), nullable=True),
        sa.Column("updated_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_subscriptions_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_subscriptions_tenant_id")),
    )
    op.create_index(
        op.f("ix_subscriptions_tenant_id"), "subscriptions", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_subscriptions_stripe_customer_id"),
        "subscriptions",
        ["stripe_customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_subscriptions_stripe_subscription_id"),
        "subscriptions",
        ["stripe_subscription_id"],
        unique=False,
    )
    enable_tenant_rls(op, "subscriptions")
    # The workspaces already here start the trial a sign-up gets (law firms have no plan).
    op.execute("SET LOCAL amparo.across_tenants = 'on'")
    op.execute(
        "INSERT INTO subscriptions (tenant_id, plan_code, status, trial_ends_at, updated_at) "
        "SELECT id, 'profesional', 'trialing', now() + interval '14 days', now() "
        "FROM workspaces WHERE kind IN ('landlord', 'business')"
    )


def downgrade(app_role: str = "") -> None:
    disable_tenant_rls(op, "subscriptions")
    op.drop_index(op.f("ix_subscriptions_stripe_subscription_id"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_stripe_customer_id"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_tenant_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("plans")
