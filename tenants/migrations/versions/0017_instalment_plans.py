"""Instalment plans: proposals, schedules, SEPA mandates (issue 12)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db
from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

NEW_TABLES = ("instalment_plans", "instalments")


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), server_default="", nullable=False)


def upgrade(app_role: str = "") -> None:
    op.create_table(
        "instalment_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=16), nullable=False),
        sa.Column("counter_of_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("amount_each", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        _text("note", 500),
        _text("reject_reason", 500),
        sa.Column("decided_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), server_default="card", nullable=False),
        _text("sepa_name", 120),
        _text("iban_last4", 4),
        _text("mandate_reference", 35),
        sa.Column("mandate_accepted_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        _text("mandate_ip", 64),
        _text("mandate_user_agent", 300),
        _text("stripe_account", 64),
        _text("stripe_customer_id", 64),
        _text("stripe_payment_method_id", 64),
        _text("stripe_setup_intent_id", 64),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_instalment_plans_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counter_of_id"],
            ["instalment_plans.id"],
            name=op.f("fk_instalment_plans_counter_of_id_instalment_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_instalment_plans_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_instalment_plans_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalment_plans")),
    )
    for column in ("case_id", "status", "tenant_id"):
        op.create_index(
            op.f(f"ix_instalment_plans_{column}"), "instalment_plans", [column], unique=False
        )
    op.create_table(
        "instalments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        _text("paid_by", 16),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        _text("failure", 300),
        _text("charge_key", 255),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["instalment_plans.id"],
            name=op.f("fk_instalments_plan_id_instalment_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_instalments_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalments")),
        sa.UniqueConstraint("plan_id", "position", name=op.f("uq_instalments_plan_id_position")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_instalments_payment_intent_id")),
    )
    for column in ("due_on", "plan_id", "tenant_id"):
        op.create_index(op.f(f"ix_instalments_{column}"), "instalments", [column], unique=False)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)


def downgrade(app_role: str = "") -> None:
    for table in reversed(NEW_TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
