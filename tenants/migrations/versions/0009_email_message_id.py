"""emails: a Message-ID fixed before the first attempt, one per row, and the display names and
reply address of the headers; letters: render attempts, counted to a cap

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade(app_role: str = "") -> None:
    # Emails recorded before this revision get their Message-ID from the delivery job, which
    # stores it before its first attempt (jobs/mail.py).
    op.add_column("emails", sa.Column("message_id", sa.String(length=255), nullable=True))
    op.create_unique_constraint("uq_emails_message_id", "emails", ["message_id"])
    for name, length in (("to_name", 255), ("from_name", 255), ("reply_to", 254)):
        op.add_column(
            "emails",
            sa.Column(name, sa.String(length=length), server_default="", nullable=False),
        )
    op.add_column(
        "letters",
        sa.Column("render_attempts", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade(app_role: str = "") -> None:
    op.drop_column("letters", "render_attempts")
    for name in ("reply_to", "from_name", "to_name"):
        op.drop_column("emails", name)
    op.drop_constraint("uq_emails_message_id", "emails", type_="unique")
    op.drop_column("emails", "message_id")
