"""receivables: invoices, credit notes, business debtors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:16:11.680984
"""

import sqlalchemy as sa
from alembic import op

import tenants.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade(app_role: str = "") -> None:
    op.add_column("charges", sa.Column("number", sa.String(length=40), nullable=True))
    op.add_column("charges", sa.Column("issue_date", sa.Date(), nullable=True))
    op.add_column("charges", sa.Column("base", MONEY, nullable=True))
    op.add_column("charges", sa.Column("vat", MONEY, nullable=True))
    op.add_column("charges", sa.Column("credited", MONEY, nullable=False, server_default="0"))
    op.add_column("charges", sa.Column("credits_charge_id", sa.Integer(), nullable=True))
    op.add_column("charges",
        sa.Column("disputed_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("charges",
        sa.Column("dispute_reason", sa.String(length=500), nullable=False, server_default="")
    )
    op.add_column("charges",
        sa.Column("written_off_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("charges", sa.Column("attachment_sha256", sa.String(length=64), nullable=True))
    op.add_column("charges", sa.Column("attachment_name", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_charges_credits_charge_id"), "charges", ["credits_charge_id"])
    op.create_unique_constraint(
        op.f("uq_charges_tenant_id_kind_number"), "charges", ["tenant_id", "kind", "number"]
    )
    op.create_foreign_key(
        op.f("fk_charges_credits_charge_id_charges"), "charges", "charges",
        ["credits_charge_id"], ["id"], ondelete="CASCADE",
    )
    op.add_column("parties",
        sa.Column("is_business", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute("UPDATE parties SET is_business = true WHERE kind = 'company'")


def downgrade(app_role: str = "") -> None:
    op.drop_column("parties", "is_business")
    op.drop_constraint(op.f("fk_charges_credits_charge_id_charges"), "charges", type_="foreignkey")
    op.drop_constraint(op.f("uq_charges_tenant_id_kind_number"), "charges", type_="unique")
    op.drop_index(op.f("ix_charges_credits_charge_id"), table_name="charges")
    for column in (
        "attachment_name", "attachment_sha256", "written_off_at", "dispute_reason",
        "disputed_at", "credits_charge_id", "credited", "vat", "base", "issue_date", "number",
    ):
        op.drop_column("charges", column)
