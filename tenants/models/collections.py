"""Collections: the ladder a workspace climbs, the case of each debtor, and its letters.

- A `Ladder` is a workspace's ordered `LadderStep`s (reminder, claims, formal demand, certified
  demand, escalation). Each step waits `delay_days` from the oldest due date (or from the
  previous step), goes out on a channel, and may need the owner's approval.
- A `Case` is one debtor's file in one workspace: every overdue charge of that debtor points to
  it (`Charge.case_id`), so one letter lists them all. `next_action_at` (indexed) is all the
  sweep looks at, so its cost follows the number of due cases, not the size of the book.
- A `Letter` is one archived PDF to one party. Its `key` is the idempotency record of the
  step: (case, cycle, step, recipient) can be created once, however often the sweep runs.
- `CaseEvent` is the timeline: letters, deliveries, payments, replies, notes, pauses.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow
from tenants.models.accounts import User
from tenants.models.parties import Party

Money = Numeric(12, 2)

STEP_KINDS = (
    "reminder",
    "claim_1",
    "claim_2",
    "formal_demand",
    "certified_demand",
    "escalation",
)
CHANNELS = ("email", "postal", "certified")
ANCHORS = ("due", "previous")
CASE_STATUSES = ("open", "paused", "closed")
# plan: an accepted instalment plan; escalation: the case is with a law firm (issue 14), the
# ladder stays stopped whatever happens (a payment, a promise) until the escalation ends.
PAUSE_REASONS = ("manual", "dispute", "promise", "plan", "escalation")
# Letter life: rendering -> awaiting_approval? -> sending (email) / to_post (paper)
#   -> sent / posted -> delivered (acknowledgement of receipt uploaded)
# or failed / bounced / cancelled / skipped.
LETTER_STATUSES = (
    "rendering",
    "awaiting_approval",
    "sending",
    "to_post",
    "sent",
    "posted",
    "delivered",
    "failed",
    "bounced",
    "cancelled",
    "skipped",
)
UNSENT_STATUSES = ("rendering", "awaiting_approval", "sending", "to_post")
LETTER_KINDS = (*STEP_KINDS[:-1], "statement", "rent_update", "deposit_settlement")


class Ladder(TenantOwned, Base):
    __tablename__ = "ladders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # No two contacts closer than this, whatever the steps say (no five letters in one day).
    min_gap_days: Mapped[int] = mapped_column(default=5)
    # Days from a letter's date the formal demand gives to pay, counted in business days.
    payment_days: Mapped[int] = mapped_column(default=10)
    # LOPDGDD art. 20: a debtor may only be reported to a credit file after a warning naming it.
    credit_file_warning: Mapped[bool] = mapped_column(default=False, server_default=false())
    credit_file_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    steps: Mapped[list[LadderStep]] = relationship(
        back_populates="ladder",
        cascade="all, delete-orphan",
        order_by="LadderStep.position",
        lazy="selectin",
    )


class LadderStep(TenantOwned, Base):
    __tablename__ = "ladder_steps"
    __table_args__ = (UniqueConstraint("ladder_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ladder_id: Mapped[int] = mapped_column(ForeignKey("ladders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 1, 2, 3…
    kind: Mapped[str] = mapped_column(String(24))  # STEP_KINDS; also the letter template
    delay_days: Mapped[int]
    anchor: Mapped[str] = mapped_column(String(8), default="due")  # due / previous
    channel: Mapped[str] = mapped_column(String(16), default="email")
    needs_approval: Mapped[bool] = mapped_column(default=False)

    ladder: Mapped[Ladder] = relationship(back_populates="steps")


class Case(TenantOwned, Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("tenant_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    ladder_id: Mapped[int] = mapped_column(ForeignKey("ladders.id", ondelete="RESTRICT"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # Position of the last ladder step taken in this cycle (0: none yet).
    stage: Mapped[int] = mapped_column(default=0)
    # A cycle is one climb of the ladder; a case re-opened or re-anchored climbs again.
    cycle: Mapped[int] = mapped_column(default=1)
    # The day the ladder counts from: the oldest unpaid due date, or the last partial payment.
    anchor_date: Mapped[date]
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    last_contact_on: Mapped[date | None]
    paused_until: Mapped[date | None]
    pause_reason: Mapped[str | None] = mapped_column(String(16))  # PAUSE_REASONS
    pause_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    promised_amount: Mapped[Decimal | None] = mapped_column(Money)
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(16))  # paid / written_off / manual
    # The debtor portal link printed on letters (/p/<token>).
    portal_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The creditor withdrew the link (until a new one is issued): it shows the revoked page.
    portal_revoked_at: Mapped[datetime | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)

    party: Mapped[Party] = relationship(lazy="joined")
    ladder: Mapped[Ladder] = relationship()
    owner: Mapped[User | None] = relationship(lazy="joined")


class Letter(TenantOwned, Base):
    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key: "case:<id>:c<cycle>:s<step>:p<party>" for ladder letters.
    key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))  # LETTER_KINDS
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    lease_id: Mapped[int | None] = mapped_column(
        ForeignKey("leases.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    # A guarantor's copy points to the debtor's letter.
    copy_of_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    step_position: Mapped[int | None]
    cycle: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(16), default="email")
    language: Mapped[str] = mapped_column(String(2), default="es")
    status: Mapped[str] = mapped_column(String(20), default="rendering", index=True)
    # Tries at rendering, counted before each (a try that kills its worker counts too): at
    # MAX_RENDER_ATTEMPTS the letter fails instead of being asked for again forever.
    render_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    needs_approval: Mapped[bool] = mapped_column(default=False)
    # Extra data the letter is built from when it is not a ladder letter (an update, a
    # settlement): ids and figures, never ORM objects.
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    # What was rendered, kept for the record: the context dict and the archived PDF.
    context: Mapped[dict | None] = mapped_column(JSON)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str | None] = mapped_column(String(64))  # certified: body only
    total: Mapped[Decimal | None] = mapped_column(Money)
    rendered_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    posted_on: Mapped[date | None]
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    acknowledgement_sha256: Mapped[str | None] = mapped_column(String(64))
    delivered_on: Mapped[date | None]
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    party: Mapped[Party] = relationship(lazy="joined")
    case: Mapped[Case | None] = relationship()


class CaseEvent(TenantOwned, Base):
    """One line of a case's timeline."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. "letter_sent", "payment", "paused"
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(lazy="joined")
