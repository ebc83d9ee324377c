"""Stripe: idempotency keys of our calls and the webhook events already handled (issue 12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    # Platform tables (no tenant_id, no RLS): a key is taken and an event arrives before any
    # workspace is known (tenants/models/stripe_records.py).
    op.create_table(
        "stripe_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_requests")),
        sa.UniqueConstraint("purpose", name=op.f("uq_stripe_requests_purpose")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stripe_requests_idempotency_key")),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("created", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )


def downgrade(app_role: str = "") -> None:
    op.drop_table("stripe_events")
    op.drop_table("stripe_requests")
