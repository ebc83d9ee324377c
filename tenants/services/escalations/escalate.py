"""The creditor hands a case to a law firm, or takes it back before it is filed.

- `escalate` (the owner's: it commits the workspace to the firm's fees) checks everything
  eligibility lists and the explicit acceptance of the fee terms, refusing with the whole list
  and changing nothing; then copies the firm's fee terms onto the escalation with what the case
  claims today, stops the ladder (the case is held with the pause reason "escalation": no
  letter leaves, those not sent are cancelled, the sweep never wakes it), offers it to the
  firm for 48 hours and asks for the dossier (jobs/dossiers.py, after the commit).
- `withdraw` (the owner's) before filing: the open offer is closed, the firm is told, and the
  case stays paused by hand for the creditor to decide (resume the letters, or escalate anew).
- `payment_arrived` is what the payment services reach through cases.after_payment: money
  booked on an escalated case goes on the escalation's timeline and the firm is told; the
  ladder stays stopped (docs/law.md#escalation-payments).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from tenants import outbox, permissions
from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Case, Charge, Payment, User, Workspace
from tenants.models.escalations import (
    FILED_STATUSES,
    Escalation,
    EscalationEvent,
    EscalationOffer,
)
from tenants.models.ledger import Allocation
from tenants.services.collections import cases, claims
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core, eligibility
from tenants.services.platform.workspaces import record_activity

MAX_REASON = 500


class NotEligible(ServiceError):
    """The case cannot be escalated as asked: `missing` lists every reason."""

    def __init__(self, missing: list[eligibility.Missing]):
        super().__init__("escalation_not_eligible", None, count=len(missing))
        self.missing = missing


def get_escalation(escalation_id: int) -> Escalation:
    escalation = session.scalar(select(Escalation).where(Escalation.id == escalation_id))
    if escalation is None:
        raise NotFound(escalation_id)
    return escalation


def hold_case(case: Case) -> int:
    """Stop the ladder for good while the escalation runs; returns the letters cancelled."""
    cancelled = cases.cancel_unsent(case, "escalation")
    case.status = "paused"
    case.pause_reason = "escalation"
    case.paused_until = None
    case.promised_amount = None
    case.next_action_at = None
    return cancelled


def escalate(
    case_id: int,
    *,
    case_type: str,
    firm_id: int | None,
    accept_terms: bool,
    actor: User,
    today: date,
    now: datetime | None = None,
) -> Escalation:
    """Hand the case to `firm_id` (None: the suggested firm, the first that fits) as
    `case_type`, on the firm's fee terms, which the owner accepts with `accept_terms`."""
    permissions.check(actor, "escalations.escalate")
    now = now or utcnow()
    case = cases.get_case(case_id)
    missing = eligibility.check(case, case_type, firm_id, today=today)
    if missing:
        raise NotEligible(missing)
    if not accept_terms:
        raise ServiceError("terms_not_accepted", "accept_terms")
    claim = claims.claim_of_case(case, today)
    firms = core.fitting_firms(
        case_type=case_type,
        province=core.province_of_case(case),
        amount=claim.total,
        any_terms=True,
    )
    firm = next((f for f in firms if f.workspace_id == firm_id), None) if firm_id else firms[0]
    if firm is None:
        raise ServiceError("choice_invalid", "firm")
    escalation = Escalation(
        case_id=case.id,
        case_type=case_type,
        status="offered",
        claimed_amount=claim.total,
        currency=claim.currency,
        flat_fee=firm.flat_fee,
        success_percent=firm.success_percent,
        terms_accepted_at=now,
        escalated_by_id=actor.id,
    )
    session.add(escalation)
    session.flush()
    cancelled = hold_case(case)
    name = session.get(Workspace, firm.workspace_id).name
    core.record(
        escalation,
        "escalated",
        side="creditor",
        actor=actor,
        case_type=case_type,
        firm=name,
        amount=claim.total,
        flat_fee=firm.flat_fee,
        success_percent=firm.success_percent,
        cancelled=cancelled,
    )
    core.offer_to(escalation, firm.workspace_id, now)
    record_activity(
        actor, "escalation.escalated", firm=name, case=case.party.name, amount=str(claim.total)
    )
    # Last: if the dossier job cannot be enqueued now, the emails before it still are.
    outbox.request(core.BUILD_DOSSIER, current_tenant_id(), escalation.id)
    session.flush()
    return escalation


def withdraw(escalation_id: int, *, reason: str, actor: User) -> Escalation:
    """Take the case back before it is filed: the firm is told, the case stays paused (by
    hand) for the creditor to resume the letters or decide otherwise."""
    permissions.check(actor, "escalations.escalate")
    escalation = get_escalation(escalation_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("required", "reason")
    if len(reason) > MAX_REASON:
        raise ServiceError("too_long", "reason", max=MAX_REASON)
    if not escalation.is_open:
        raise ServiceError("escalation_closed")
    if escalation.status in FILED_STATUSES:
        raise ServiceError("escalation_filed", court=escalation.court)
    now = utcnow()
    offer = session.scalar(
        select(EscalationOffer).where(
            EscalationOffer.escalation_id == escalation.id, EscalationOffer.answer.is_(None)
        )
    )
    if offer is not None:
        offer.answer, offer.answered_at = "withdrawn", now
        offer.answered_by_id, offer.reason = actor.id, reason
    firm_id = escalation.firm_id
    escalation.status = "withdrawn"
    escalation.withdrawn_reason = reason
    escalation.closed_at = now
    escalation.offer_expires_at = None
    case = session.get(Case, escalation.case_id)
    if case.status == "paused" and case.pause_reason == "escalation":
        case.pause_reason = "manual"
        case.pause_note = reason[:500]
    # The firm had it (offered or working on it): it is told. Unplaced, nobody is.
    core.record(
        escalation,
        "withdrawn",
        side="creditor",
        actor=actor,
        tell=("firm",) if firm_id is not None else (),
        reason=reason,
    )
    record_activity(actor, "escalation.withdrawn", case=case.party.name, reason=reason)
    session.flush()
    return escalation


def _reported_payment_ids(escalation: Escalation) -> set[int]:
    details = session.scalars(
        select(EscalationEvent.detail).where(
            EscalationEvent.escalation_id == escalation.id, EscalationEvent.kind == "payment"
        )
    )
    return {pid for detail in details for pid in (detail or {}).get("payment_ids", [])}


def payment_arrived(case: Case, received_on: date) -> EscalationEvent | None:
    """Money reached the charges of an escalated case (any path: portal card, Stripe, bank
    matching, by hand): one "payment" line per payment not told yet, with its amount and
    method, and the firm told. The ladder stays stopped; a case paid in full closes as paid,
    the escalation stays for the firm to close with its outcome."""
    escalation = eligibility.open_escalation(case)
    if escalation is None:
        return None
    rows = session.execute(
        select(Payment.id, Payment.method, Payment.source, Allocation.amount)
        .join(Allocation, Allocation.payment_id == Payment.id)
        .join(Charge, Charge.id == Allocation.charge_id)
        .where(Charge.case_id == case.id, Payment.created_at >= escalation.created_at)
        .order_by(Payment.id)
    ).all()
    reported = _reported_payment_ids(escalation)
    new = [row for row in rows if row.id not in reported]
    if not new:
        return None
    amount = sum((Decimal(row.amount) for row in new), Decimal("0.00"))
    methods = sorted({row.method for row in new})
    return core.record(
        escalation,
        "payment",
        side="system",
        tell=("firm",),
        amount=amount,
        method=methods[0] if len(methods) == 1 else "mixed",
        source=new[0].source,
        received_on=received_on,
        balance=cases.case_balance(case.id),
        payment_ids=sorted({row.id for row in new}),
    )
