"""properties, units, parties and leases: archived_at, set when one is put away (hidden from
lists and choices, kept because payments, charges or letters point at it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import tenants.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("properties", "units", "parties", "leases")


def upgrade(app_role: str = "") -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("archived_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade(app_role: str = "") -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "archived_at")
