"""Escalation to partner law firms (issue 14): the firms, the cases handed to them, and what
happens to each.

- `LawFirm` is the platform's directory entry of a `law_firm` workspace, kept by the platform
  admin: where it works (provinces), what it takes (case types), how many open escalations it
  takes at once (capacity), the smallest claim it takes, and its fee terms (a flat fee per case
  and/or a percentage of what is recovered). Not tenant-owned: creditors read it to choose a
  firm. It also records the firm's acceptance of the data-processing agreement (GDPR art. 28),
  with its version and date; a firm that has not accepted the current version gets no case.
- An `Escalation` is one case handed over, owned by the creditor's workspace (`tenant_id`);
  `firm_id` is the firm it is offered to or placed with (None while no firm that fits is
  left). The fee terms the creditor accepted are copied onto it: the fee is computed from
  them, and only a firm whose terms are no higher is offered it after a decline or a time-out.
- `EscalationOffer`: each firm it was offered to, its answer (accepted, declined with a reason,
  expired after 48 hours, withdrawn) and, for an acceptance, the lawyer who declared no conflict
  of interest.
- `EscalationEvent`: the escalation's own timeline, which both sides see (status changes,
  filings, payments that arrive after escalation, reassignments). The creditor's case timeline
  gets a line for each as well.
- `EscalationMessage`: the thread between creditor and firm; a `request` is a firm's request
  for documents, answered by the creditor's upload (`answered_at`).
- `EscalationDocument`: a file either side added (an answer to a request, evidence).
- `EscalationDeadline`: dates the firm keeps (a hearing, the 20 days to oppose a monitorio).
- `EscalationAccess`: every view and download by a firm member, which the creditor can read.

A firm reads these rows across tenants, only through tenants/services/escalations/inbox.py,
always filtered to its own `firm_id` (the named opt-out of tenants/db.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow
from tenants.models.accounts import User
from tenants.models.collections import Case

Money = Numeric(12, 2)

CASE_TYPES = ("monitorio", "eviction", "ordinary")
# An escalation's life. `offered` waits on a firm's answer; `unplaced`: every firm that fits
# declined or let the offer expire; from `accepted` on, the firm moves it.
FIRM_STATUSES = (
    "accepted",
    "demand_sent",
    "monitorio_filed",
    "opposed",
    "hearing",
    "judgment",
    "enforcement",
    "recovered",
    "closed_unrecoverable",
)
STATUSES = ("offered", "unplaced", *FIRM_STATUSES, "withdrawn")
CLOSED_STATUSES = ("recovered", "closed_unrecoverable", "withdrawn")
# Filing (a court and a procedure number) and everything after it: no withdrawal any more.
FILED_STATUSES = FIRM_STATUSES[2:]
OFFER_ANSWERS = ("accepted", "declined", "expired", "withdrawn")
SIDES = ("creditor", "firm", "system")
DOSSIER_STATES = ("pending", "ready", "failed")
ACCESS_ACTIONS = (
    "viewed",
    "downloaded_dossier",
    "downloaded_zip",
    "downloaded_petition",
    "downloaded_document",
)


class LawFirm(Base):
    __tablename__ = "law_firms"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    provinces: Mapped[list] = mapped_column(JSON, default=list)  # PROVINCES names
    case_types: Mapped[list] = mapped_column(JSON, default=list)  # CASE_TYPES
    capacity: Mapped[int] = mapped_column(default=20)  # open escalations at once
    min_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    flat_fee: Mapped[Decimal | None] = mapped_column(Money)  # per case, EUR, VAT excluded
    success_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # of what is recovered
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    dpa_version: Mapped[str | None] = mapped_column(String(16))
    dpa_accepted_at: Mapped[datetime | None]
    dpa_accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(TenantOwned, Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL"), index=True
    )
    case_type: Mapped[str] = mapped_column(String(16))  # CASE_TYPES
    status: Mapped[str] = mapped_column(String(24), default="offered", index=True)  # STATUSES
    # What the case claimed on the day it was escalated (principal, interest, fees).
    claimed_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # The fee terms the creditor accepted (copied from the firm when it escalated).
    flat_fee: Mapped[Decimal | None] = mapped_column(Money)
    success_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    terms_accepted_at: Mapped[datetime]
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The open offer's deadline: unanswered by then, the cron offers it to the next firm.
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The filing: the court and its procedure number.
    court: Mapped[str] = mapped_column(String(200), default="", server_default="")
    procedure_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    filed_on: Mapped[date | None]
    # The outcome and the fee computed from the terms.
    recovered_amount: Mapped[Decimal | None] = mapped_column(Money)
    fee_amount: Mapped[Decimal | None] = mapped_column(Money)
    outcome_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The dossier, built by a job: one signed PDF, a ZIP with an index of hashes, the draft
    # monitorio petition. Each is in the DocumentStore under its SHA-256.
    dossier_state: Mapped[str] = mapped_column(String(16), default="pending")  # DOSSIER_STATES
    dossier_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    dossier_zip_sha256: Mapped[str | None] = mapped_column(String(64))
    petition_sha256: Mapped[str | None] = mapped_column(String(64))
    dossier_pages: Mapped[int | None]
    dossier_built_at: Mapped[datetime | None]
    dossier_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Something the other side must look at (a message, an upload, an offer): cleared when a
    # member of that side opens the escalation. The inbox counts `firm_attention_at`.
    firm_attention_at: Mapped[datetime | None]
    creditor_attention_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


class EscalationOffer(TenantOwned, Base):
    __tablename__ = "escalation_offers"
    __table_args__ = (UniqueConstraint("escalation_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(16))  # OFFER_ANSWERS; None: open
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The lawyer who accepted declared no conflict of interest with either party.
    no_conflict: Mapped[bool] = mapped_column(default=False)

    answered_by: Mapped[User | None] = relationship(lazy="joined")


class EscalationEvent(TenantOwned, Base):
    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # e.g. "status", "payment", "reassigned"
    side: Mapped[str] = mapped_column(String(8))  # SIDES
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(lazy="joined")


class EscalationMessage(TenantOwned, Base):
    __tablename__ = "escalation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(8))  # creditor / firm
    kind: Mapped[str] = mapped_column(String(8), default="message")  # message / request
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None]  # a request's deadline
    answered_at: Mapped[datetime | None]  # a request answered by an upload
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    author: Mapped[User | None] = relationship(lazy="joined")


class EscalationDocument(TenantOwned, Base):
    __tablename__ = "escalation_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_messages.id", ondelete="SET NULL")
    )
    side: Mapped[str] = mapped_column(String(8))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))  # in the DocumentStore
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationDeadline(TenantOwned, Base):
    __tablename__ = "escalation_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    due_on: Mapped[date] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationAccess(TenantOwned, Base):
    """One view or download by a member of the firm: the creditor's audit log."""

    __tablename__ = "escalation_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(24))  # ACCESS_ACTIONS
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User | None] = relationship(lazy="joined")
