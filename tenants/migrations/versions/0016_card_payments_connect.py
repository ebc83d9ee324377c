"""Card payments: the creditor's Stripe Connect account and the portal's Checkout payments (issue 12)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:20:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
