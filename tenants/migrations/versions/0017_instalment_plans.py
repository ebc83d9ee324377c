"""Instalment plans: proposals, schedules, SEPA mandates (issue 12)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
