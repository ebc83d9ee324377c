"""workspaces: who the creditor is in law, a natural person (persona física) or a company
(persona jurídica), filled in from the NIF/CIF already on the letterhead where there is one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    # LAU art. 36.5 caps a housing lease's additional guarantee up to 5 years for a landlord who
    # is a person, 7 for a company (docs/law.md#lau-36-5-guarantees). A CIF starts with a letter
    # that is not X, Y, Z, K, L or M (those are NIE and special NIF); a DNI with a digit.
    op.add_column(
        "workspaces",
        sa.Column("entity_kind", sa.String(length=8), server_default="", nullable=False),
    )
    op.execute(
        "UPDATE workspaces SET entity_kind = CASE "
        "WHEN tax_id ~ '^[ABCDEFGHJNPQRSUVW]' THEN 'company' "
        "WHEN tax_id ~ '^[0-9XYZKLM]' THEN 'person' ELSE '' END"
    )


def downgrade(app_role: str = "") -> None:
    op.drop_column("workspaces", "entity_kind")
