"""The debtor portal: links replaced by a new one, and what debtors tell through it.

- `PortalOldToken`: a case's portal link that the creditor replaced with a new one. Letters
  already sent keep printing it; it opens the "withdrawn" page, never the case.
- `DebtorMessage`: a debtor telling why they have not paid: a promise to pay by a date, or a
  dispute or explanation with a reason (REASONS), free text and up to 3 attachments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow

MESSAGE_KINDS = ("promise", "dispute")
REASONS = ("hardship", "amount", "paid", "quality", "other")
# The reasons that put the case on hold as a dispute does (the debt itself is contested).
DISPUTING_REASONS = ("amount", "paid")


class PortalOldToken(TenantOwned, Base):
    __tablename__ = "portal_old_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class DebtorMessage(TenantOwned, Base):
    __tablename__ = "debtor_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # MESSAGE_KINDS
    reason: Mapped[str | None] = mapped_column(String(16), index=True)  # REASONS; None: promise
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    promised_on: Mapped[date | None]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    attachments: Mapped[list[DebtorAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="DebtorAttachment.id", lazy="selectin"
    )


class DebtorAttachment(TenantOwned, Base):
    __tablename__ = "debtor_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("debtor_messages.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))  # in the DocumentStore
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
