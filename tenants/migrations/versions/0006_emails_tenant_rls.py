"""emails: row-level security, a workspace's email seen only in its context

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00.000000
"""

from alembic import op

from tenants.migrations.rls import PLATFORM_OR_TENANT_POLICY, disable_tenant_rls, enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    enable_tenant_rls(op, "emails", PLATFORM_OR_TENANT_POLICY)


def downgrade(app_role: str = "") -> None:
    disable_tenant_rls(op, "emails")
