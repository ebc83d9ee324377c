"""job_runs: why a run failed, as a message code and its parameters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    op.add_column('job_runs', sa.Column('error_code', sa.String(length=64), nullable=True))
    op.add_column(
        'job_runs',
        sa.Column('error_params', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade(app_role: str = "") -> None:
    op.drop_column('job_runs', 'error_params')
    op.drop_column('job_runs', 'error_code')
