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
    # Batch mode: SQLite rebuilds the table to add constraints; PostgreSQL alters in place.
    with op.batch_alter_table("charges") as batch:
        batch.add_column(sa.Column("number", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("issue_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("base", MONEY, nullable=True))
        batch.add_column(sa.Column("vat", MONEY, nullable=True))
        batch.add_column(sa.Column("credited", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("credits_charge_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("disputed_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("dispute_reason", sa.String(length=500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("written_off_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("attachment_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("attachment_name", sa.String(length=200), nullable=True))
        batch.create_index(batch.f("ix_charges_credits_charge_id"), ["credits_charge_id"])
        batch.create_unique_constraint(
            batch.f("uq_charges_tenant_id_kind_number"), ["tenant_id", "kind", "number"]
        )
        batch.create_foreign_key(
            batch.f("fk_charges_credits_charge_id_charges"), "charges",
            ["credits_charge_id"], ["id"], ondelete="CASCADE",
        )
    with op.batch_alter_table("parties") as batch:
        batch.add_column(
            sa.Column("is_business", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE parties SET is_business = true WHERE kind = 'company'")


def downgrade(app_role: str = "") -> None:
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("is_business")
    with op.batch_alter_table("charges") as batch:
        batch.drop_constraint(batch.f("fk_charges_credits_charge_id_charges"), type_="foreignkey")
        batch.drop_constraint(batch.f("uq_charges_tenant_id_kind_number"), type_="unique")
        batch.drop_index(batch.f("ix_charges_credits_charge_id"))
        for column in (
            "attachment_name", "attachment_sha256", "written_off_at", "dispute_reason",
            "disputed_at", "credits_charge_id", "credited", "vat", "base", "issue_date", "number",
        ):
            batch.drop_column(column)
