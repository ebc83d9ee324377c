"""emails: a Message-ID fixed before the first attempt, one per row

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000
"""

from alembic import op  # noqa: F401 - filled by the change that owns this revision

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
