"""Every email the app sends, recorded before it leaves.

The row is the idempotency record: a job that runs twice finds it sent and does nothing. With
no SMTP server configured (development), the row is all there is, and the development
mailbox page shows it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOrPlatformOwned, utcnow


class Email(TenantOrPlatformOwned, Base):
    # A workspace's email (a letter, an invitation) is its own; account email (verification,
    # password reset) has no tenant_id and is seen only by platform code with no tenant set.
    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    to: Mapped[str] = mapped_column(String(254))
    # Display names and the reply address of the headers, as recorded; letters/mail.py makes
    # each fit for a header when the message is built.
    to_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    from_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # Fixed when the row is recorded and sent on every attempt: a copy sent twice (a crash
    # after the server took it, before we recorded it) carries the same id.
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    # queued / sent / stored (no SMTP) / failed (will retry) / refused (5xx: never retried)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    # A document from the DocumentStore sent with the email (a claim letter's PDF).
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
