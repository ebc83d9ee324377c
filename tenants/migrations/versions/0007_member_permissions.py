"""members: the owner's grants to managers (may approve demands)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000
"""

from alembic import op  # noqa: F401 - filled by the change that owns this revision

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
