"""Stripe: idempotency keys of our calls and the webhook events already handled (issue 12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
