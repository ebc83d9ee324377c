"""members: the owner's grants to managers (may approve demands)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    # members already has tenant_id and its RLS policy (0001): a new column needs neither.
    op.add_column(
        "members",
        sa.Column("may_approve_demands", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade(app_role: str = "") -> None:
    op.drop_column("members", "may_approve_demands")
