"""work recorded before it is enqueued: re-driven by cron when Redis lost it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    # A platform table (no tenant_id, no RLS): a job's name and its ids, as the RQ queue holds.
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("redrives", sa.Integer(), nullable=False),
        sa.Column("redriven_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_done_at"), "outbox", ["done_at"], unique=False)


def downgrade(app_role: str = "") -> None:
    op.drop_index(op.f("ix_outbox_done_at"), table_name="outbox")
    op.drop_table("outbox")
