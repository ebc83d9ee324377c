"""workspaces: who signs the letters (signatory_name, signatory_role); parties: how a person is
addressed (form_of_address "sr" / "sra", NULL while not said), so letters can greet
"Estimada Sra. Gómez Ruiz:" and sign "Fdo.: Ana Pérez, abogada"

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    op.add_column(
        "workspaces",
        sa.Column("signatory_name", sa.String(length=120), server_default="", nullable=False),
    )
    op.add_column(
        "workspaces",
        sa.Column("signatory_role", sa.String(length=80), server_default="", nullable=False),
    )
    op.add_column("parties", sa.Column("form_of_address", sa.String(length=8), nullable=True))


def downgrade(app_role: str = "") -> None:
    op.drop_column("parties", "form_of_address")
    op.drop_column("workspaces", "signatory_role")
    op.drop_column("workspaces", "signatory_name")
