"""Escalation to partner law firms: firms, escalations and their offers, events, messages,
documents, deadlines and access log; TOTP and recovery codes for sign-in (issue 14)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:54:30.621287
"""

import sqlalchemy as sa
from alembic import op

import tenants.db
from tenants.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "escalations",
    "escalation_offers",
    "escalation_events",
    "escalation_messages",
    "escalation_deadlines",
    "escalation_access",
    "escalation_documents",
)


def upgrade(app_role: str = "") -> None:
    op.create_table(
        "law_firms",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("case_types", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("min_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("flat_fee", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("success_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("dpa_version", sa.String(length=16), nullable=True),
        sa.Column("dpa_accepted_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dpa_accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dpa_accepted_by_id"],
            ["users.id"],
            name=op.f("fk_law_firms_dpa_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_law_firms_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_law_firms")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"], unique=False)
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("case_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("claimed_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("flat_fee", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("success_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("terms_accepted_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offer_expires_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("court", sa.String(length=200), server_default="", nullable=False),
        sa.Column("procedure_number", sa.String(length=64), server_default="", nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("recovered_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("fee_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("closed_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("dossier_state", sa.String(length=16), nullable=False),
        sa.Column("dossier_pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("dossier_zip_sha256", sa.String(length=64), nullable=True),
        sa.Column("petition_sha256", sa.String(length=64), nullable=True),
        sa.Column("dossier_pages", sa.Integer(), nullable=True),
        sa.Column("dossier_built_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dossier_error", sa.Text(), server_default="", nullable=False),
        sa.Column("firm_attention_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("creditor_attention_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_escalations_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_escalations_case_id_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["escalated_by_id"],
            ["users.id"],
            name=op.f("fk_escalations_escalated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["workspaces.id"],
            name=op.f("fk_escalations_firm_id_workspaces"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalations_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_case_id"), "escalations", ["case_id"], unique=False)
    op.create_index(op.f("ix_escalations_firm_id"), "escalations", ["firm_id"], unique=False)
    op.create_index(
        op.f("ix_escalations_offer_expires_at"), "escalations", ["offer_expires_at"], unique=False
    )
    op.create_index(op.f("ix_escalations_status"), "escalations", ["status"], unique=False)
    op.create_index(op.f("ix_escalations_tenant_id"), "escalations", ["tenant_id"], unique=False)
    op.create_table(
        "escalation_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_access_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_access_firm_id_workspaces"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_access_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_escalation_access_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_access")),
    )
    op.create_index(
        op.f("ix_escalation_access_created_at"), "escalation_access", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_escalation_access_escalation_id"),
        "escalation_access",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_access_tenant_id"), "escalation_access", ["tenant_id"], unique=False
    )
    op.create_table(
        "escalation_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_escalation_deadlines_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_deadlines_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_deadlines_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_deadlines")),
    )
    op.create_index(
        op.f("ix_escalation_deadlines_due_on"), "escalation_deadlines", ["due_on"], unique=False
    )
    op.create_index(
        op.f("ix_escalation_deadlines_escalation_id"),
        "escalation_deadlines",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_deadlines_tenant_id"),
        "escalation_deadlines",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_escalation_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_events_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_events_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_events")),
    )
    op.create_index(
        op.f("ix_escalation_events_created_at"), "escalation_events", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_escalation_events_escalation_id"),
        "escalation_events",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_events_tenant_id"), "escalation_events", ["tenant_id"], unique=False
    )
    op.create_table(
        "escalation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("answered_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_escalation_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_messages_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_messages_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_messages")),
    )
    op.create_index(
        op.f("ix_escalation_messages_created_at"),
        "escalation_messages",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_messages_escalation_id"),
        "escalation_messages",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_messages_tenant_id"), "escalation_messages", ["tenant_id"], unique=False
    )
    op.create_table(
        "escalation_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("offered_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("no_conflict", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_escalation_offers_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_offers_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_offers_firm_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_offers_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_offers")),
        sa.UniqueConstraint(
            "escalation_id", "firm_id", name=op.f("uq_escalation_offers_escalation_id_firm_id")
        ),
    )
    op.create_index(
        op.f("ix_escalation_offers_escalation_id"),
        "escalation_offers",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_offers_tenant_id"), "escalation_offers", ["tenant_id"], unique=False
    )
    op.create_table(
        "escalation_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", tenants.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_documents_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["escalation_messages.id"],
            name=op.f("fk_escalation_documents_request_id_escalation_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["workspaces.id"],
            name=op.f("fk_escalation_documents_tenant_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_escalation_documents_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_documents")),
    )
    op.create_index(
        op.f("ix_escalation_documents_escalation_id"),
        "escalation_documents",
        ["escalation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_escalation_documents_tenant_id"),
        "escalation_documents",
        ["tenant_id"],
        unique=False,
    )
    op.add_column("users", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "users", sa.Column("totp_enabled_at", tenants.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("users", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade(app_role: str = "") -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_enabled_at")
    op.drop_column("users", "totp_secret")
    op.drop_index(op.f("ix_escalation_documents_tenant_id"), table_name="escalation_documents")
    op.drop_index(op.f("ix_escalation_documents_escalation_id"), table_name="escalation_documents")
    op.drop_table("escalation_documents")
    op.drop_index(op.f("ix_escalation_offers_tenant_id"), table_name="escalation_offers")
    op.drop_index(op.f("ix_escalation_offers_escalation_id"), table_name="escalation_offers")
    op.drop_table("escalation_offers")
    op.drop_index(op.f("ix_escalation_messages_tenant_id"), table_name="escalation_messages")
    op.drop_index(op.f("ix_escalation_messages_escalation_id"), table_name="escalation_messages")
    op.drop_index(op.f("ix_escalation_messages_created_at"), table_name="escalation_messages")
    op.drop_table("escalation_messages")
    op.drop_index(op.f("ix_escalation_events_tenant_id"), table_name="escalation_events")
    op.drop_index(op.f("ix_escalation_events_escalation_id"), table_name="escalation_events")
    op.drop_index(op.f("ix_escalation_events_created_at"), table_name="escalation_events")
    op.drop_table("escalation_events")
    op.drop_index(op.f("ix_escalation_deadlines_tenant_id"), table_name="escalation_deadlines")
    op.drop_index(op.f("ix_escalation_deadlines_escalation_id"), table_name="escalation_deadlines")
    op.drop_index(op.f("ix_escalation_deadlines_due_on"), table_name="escalation_deadlines")
    op.drop_table("escalation_deadlines")
    op.drop_index(op.f("ix_escalation_access_tenant_id"), table_name="escalation_access")
    op.drop_index(op.f("ix_escalation_access_escalation_id"), table_name="escalation_access")
    op.drop_index(op.f("ix_escalation_access_created_at"), table_name="escalation_access")
    op.drop_table("escalation_access")
    op.drop_index(op.f("ix_escalations_tenant_id"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_status"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_offer_expires_at"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_firm_id"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_case_id"), table_name="escalations")
    op.drop_table("escalations")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("law_firms")
