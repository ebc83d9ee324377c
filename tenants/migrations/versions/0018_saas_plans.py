"""SaaS plans: plans as data and each workspace's subscription (issue 12)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
