"""The "Protegido por Amparo" badge: badges, invoice badges, daily views; closing a workspace
(issue 13)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db
from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

NEW_TABLES = ("badges", "invoice_badges", "badge_views")


def _tenant(table: str) -> list:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f(f"fk_{table}_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
    ]


def upgrade(app_role: str = "") -> None:
    op.add_column(
        "workspaces",
        sa.Column("closed_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        *_tenant("badges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badges")),
        sa.UniqueConstraint("token", name=op.f("uq_badges_token")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_badges_tenant_id")),
    )
    op.create_index(op.f("ix_badges_tenant_id"), "badges", ["tenant_id"], unique=False)
    op.create_table(
        "invoice_badges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stamped_sha256", sa.String(length=64), nullable=True),
        sa.Column("stamped_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        *_tenant("invoice_badges"),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["charges.id"],
            name=op.f("fk_invoice_badges_charge_id_charges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_badges")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_invoice_badges_charge_id")),
        sa.UniqueConstraint("token", name=op.f("uq_invoice_badges_token")),
    )
    op.create_index(
        op.f("ix_invoice_badges_tenant_id"), "invoice_badges", ["tenant_id"], unique=False
    )
    op.create_table(
        "badge_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        *_tenant("badge_views"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_views")),
        sa.UniqueConstraint("token", "day", name=op.f("uq_badge_views_token_day")),
    )
    for column in ("tenant_id", "token"):
        op.create_index(op.f(f"ix_badge_views_{column}"), "badge_views", [column], unique=False)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)


def downgrade(app_role: str = "") -> None:
    for table in reversed(NEW_TABLES):
        disable_tenant_rls(op, table)
        op.drop_table(table)
    op.drop_column("workspaces", "closed_at")
