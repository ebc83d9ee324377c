"""Debtor portal: token revocation and expiry, what debtors tell (reasons, promises, attachments) (issue 12)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _tenant() -> sa.Column:
    return sa.Column(
        "tenant_id",
        sa.Integer(),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade(app_role: str = "") -> None:
    op.add_column(
        "cases", sa.Column("portal_revoked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "portal_old_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "debtor_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True, index=True),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "debtor_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("debtor_messages.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    for table in ("portal_old_tokens", "debtor_messages", "debtor_attachments"):
        enable_tenant_rls(op, table)


def downgrade(app_role: str = "") -> None:
    for table in ("debtor_attachments", "debtor_messages", "portal_old_tokens"):
        disable_tenant_rls(op, table)
        op.drop_table(table)
    op.drop_column("cases", "portal_revoked_at")
