"""work recorded before it is enqueued: re-driven by cron when Redis lost it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00.000000
"""

from alembic import op  # noqa: F401 - filled by the change that owns this revision

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    pass


def downgrade(app_role: str = "") -> None:
    pass
