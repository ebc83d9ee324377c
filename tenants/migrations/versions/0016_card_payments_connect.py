"""Card payments (issue 12): the creditor's Stripe Connect account and Checkout payments

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db
from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

NEW_TABLES = ("stripe_accounts", "card_payments", "card_bookings")
MONEY = sa.Numeric(precision=12, scale=2)


def _tenant(table: str) -> list:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f(f"fk_{table}_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade(app_role: str = "") -> None:
    op.create_table(
        "stripe_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("requirements_due", sa.JSON(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=120), server_default="", nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        *_tenant("stripe_accounts"),
        sa.UniqueConstraint("account_id", name=op.f("uq_stripe_accounts_account_id")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_stripe_accounts_tenant_id")),
    )
    op.create_index(
        op.f("ix_stripe_accounts_tenant_id"), "stripe_accounts", ["tenant_id"], unique=False
    )
    op.create_table(
        "card_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("application_fee", MONEY, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("refunded", MONEY, nullable=False),
        sa.Column("dispute_id", sa.String(length=255), nullable=True),
        sa.Column("dispute_status", sa.String(length=32), server_default="", nullable=False),
        sa.Column("disputed", MONEY, nullable=False),
        sa.Column("booked", MONEY, nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_card_payments_case_id_cases"),
            ondelete="CASCADE",
        ),
        *_tenant("card_payments"),
        sa.UniqueConstraint("session_id", name=op.f("uq_card_payments_session_id")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_card_payments_payment_intent_id")),
        sa.UniqueConstraint(
            "tenant_id", "purpose", name=op.f("uq_card_payments_tenant_id_purpose")
        ),
    )
    for column in ("case_id", "tenant_id"):
        op.create_index(op.f(f"ix_card_payments_{column}"), "card_payments", [column], unique=False)
    op.create_table(
        "card_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_payment_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_payment_id"],
            ["card_payments.id"],
            name=op.f("fk_card_bookings_card_payment_id_card_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_card_bookings_payment_id_payments"),
            ondelete="CASCADE",
        ),
        *_tenant("card_bookings"),
    )
    for column in ("card_payment_id", "payment_id", "tenant_id"):
        op.create_index(op.f(f"ix_card_bookings_{column}"), "card_bookings", [column], unique=False)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)


def downgrade(app_role: str = "") -> None:
    for table in reversed(NEW_TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
