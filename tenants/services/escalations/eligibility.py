"""May this case go to a lawyer, and as what: everything that is missing, not the first thing.

`check` returns a list of `Missing` (empty: eligible), each with a code the case page turns
into a sentence, its figures, and where to fix it (`link`: a part of the case page, or the
plan page). What it checks:

- The case type fits the debt: an eviction (desahucio por falta de pago) only for a case with
  a lease; the monitorio and the ordinary claim for any money debt (docs/law.md#court-routes).
- The ladder was climbed up to the certified demand: a certified demand of the case's current
  climb has left (sent, posted or delivered).
- For an eviction, 30 days have passed since that demand was delivered, so the renter can no
  longer stop the eviction by paying (LEC art. 22.4, docs/law.md#lec-22-4-enervacion).
- The out-of-court attempt LO 1/2025 requires is on record: a demand that reached the debtor
  (delivered, or sent by email and not bounced) with its archived PDF
  (docs/law.md#lo-1-2025-masc).
- No open dispute: no charge disputed, the case not held for a dispute, no dispute the debtor
  sent through the portal ("the amount is wrong", "I have paid") that nobody answered by
  resuming the case (docs/law.md#escalation-no-dispute).
- The case open (not closed, not in an instalment plan) and not with a lawyer already.
- The claim reaches the chosen firm's minimum; with no firm chosen, some firm fits.
- The workspace's plan has "escalation" (Profesional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select

from tenants.db import session
from tenants.models import Case, CaseEvent, Charge, DebtorMessage, Letter
from tenants.models.escalations import CASE_TYPES, CLOSED_STATUSES, Escalation, LawFirm
from tenants.models.portal import DISPUTING_REASONS
from tenants.services.billing import plans
from tenants.services.collections import cases, claims
from tenants.services.escalations import core

# LEC art. 22.4: the demand must precede the eviction claim by at least 30 days.
EVICTION_WAIT_DAYS = 30
LEFT_STATUSES = ("sent", "posted", "delivered")


@dataclass(frozen=True)
class Missing:
    code: str
    params: dict = field(default_factory=dict)
    link: str | None = None  # "letters", "charges", "actions", "timeline", "instalments", "plan"


def case_types_for(case: Case) -> tuple[str, ...]:
    """The case types a case may be escalated as: eviction only with a lease."""
    if cases.leases_of(case.id):
        return CASE_TYPES
    return tuple(t for t in CASE_TYPES if t != "eviction")


def certified_demand(case: Case) -> Letter | None:
    """The certified demand of the current climb that left (the latest), if any."""
    return session.scalar(
        select(Letter)
        .where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.kind == "certified_demand",
            Letter.copy_of_id.is_(None),
            Letter.status.in_(LEFT_STATUSES),
        )
        .order_by(Letter.delivered_on.desc().nulls_last(), Letter.id.desc())
        .limit(1)
    )


def masc_letter(case: Case) -> Letter | None:
    """The demand that shows the out-of-court attempt: it reached the debtor (delivered, or
    sent by email without bouncing) and its PDF is archived."""
    return session.scalar(
        select(Letter)
        .where(
            Letter.case_id == case.id,
            Letter.kind.in_(claims.DEMANDS),
            Letter.copy_of_id.is_(None),
            Letter.pdf_sha256.is_not(None),
            or_(
                Letter.status == "delivered",
                (Letter.status == "sent") & (Letter.channel == "email"),
            ),
        )
        .order_by(Letter.id.desc())
        .limit(1)
    )


def open_escalation(case: Case) -> Escalation | None:
    return session.scalar(
        select(Escalation)
        .where(Escalation.case_id == case.id, Escalation.status.not_in(CLOSED_STATUSES))
        .limit(1)
    )


def unanswered_disputes(case: Case) -> list[DebtorMessage]:
    """The debtor's portal disputes of the debt itself that came after the case last resumed
    (resuming is how the creditor says they looked into it)."""
    resumed = session.scalar(
        select(CaseEvent.created_at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "resumed")
        .order_by(CaseEvent.created_at.desc())
        .limit(1)
    )
    query = select(DebtorMessage).where(
        DebtorMessage.case_id == case.id,
        DebtorMessage.kind == "dispute",
        DebtorMessage.reason.in_(DISPUTING_REASONS),
    )
    if resumed is not None:
        query = query.where(DebtorMessage.created_at > resumed)
    return list(session.scalars(query.order_by(DebtorMessage.id)))


def _disputes(case: Case) -> list[Missing]:
    missing = []
    disputed = session.scalars(
        select(Charge)
        .where(
            Charge.case_id == case.id, cases.outstanding_clause(), Charge.disputed_at.is_not(None)
        )
        .order_by(Charge.due_date, Charge.id)
    ).all()
    for charge in disputed:
        missing.append(
            Missing(
                "charge_disputed",
                {"charge": charge.number or charge.description, "reason": charge.dispute_reason},
                "charges",
            )
        )
    if case.status == "paused" and case.pause_reason == "dispute":
        missing.append(Missing("case_disputed", {"note": case.pause_note}, "actions"))
    elif unanswered_disputes(case):
        missing.append(Missing("debtor_disputes", {}, "timeline"))
    return missing


def _ladder(case: Case, case_type: str, today: date) -> list[Missing]:
    demand = certified_demand(case)
    missing = []
    if demand is None:
        missing.append(Missing("certified_demand_missing", {}, "letters"))
    elif case_type == "eviction":
        if demand.delivered_on is None:
            missing.append(Missing("certified_demand_not_delivered", {}, "letters"))
        else:
            ready_on = demand.delivered_on + timedelta(days=EVICTION_WAIT_DAYS)
            if today < ready_on:
                missing.append(
                    Missing(
                        "eviction_wait",
                        {
                            "delivered_on": demand.delivered_on,
                            "ready_on": ready_on,
                            "days": EVICTION_WAIT_DAYS,
                        },
                        "letters",
                    )
                )
    if masc_letter(case) is None:
        missing.append(Missing("masc_missing", {}, "letters"))
    return missing


def _firms(case: Case, case_type: str, firm_id: int | None, amount: Decimal) -> list[Missing]:
    province = core.province_of_case(case)
    if firm_id is not None:
        firm = session.get(LawFirm, firm_id)
        if firm is None:
            return [Missing("firm_unknown")]
        if amount < Decimal(firm.min_amount):
            return [
                Missing(
                    "amount_below_minimum",
                    {"amount": amount, "minimum": Decimal(firm.min_amount)},
                )
            ]
        fitting = core.fitting_firms(
            case_type=case_type, province=province, amount=amount, any_terms=True
        )
        if all(f.workspace_id != firm_id for f in fitting):
            return [Missing("firm_not_fitting", {"province": province or ""})]
        return []
    if not core.fitting_firms(
        case_type=case_type, province=province, amount=amount, any_terms=True
    ):
        return [Missing("no_firm_fits", {"province": province or "", "amount": amount})]
    return []


def check(case: Case, case_type: str, firm_id: int | None = None, *, today: date) -> list[Missing]:
    """Everything missing before `case` can be escalated as `case_type` to `firm_id` (None:
    to whichever firm fits). Reads only; an empty list means eligible."""
    missing: list[Missing] = []
    if not plans.has("escalation"):
        missing.append(Missing("plan", {"plan": plans.needed_for("escalation")}, "plan"))
    if case.status == "closed":
        missing.append(Missing("case_closed"))
    elif case.status == "paused" and case.pause_reason == "plan":
        missing.append(Missing("instalments_running", {}, "instalments"))
    if open_escalation(case) is not None:
        missing.append(Missing("already_escalated"))
    type_ok = case_type in case_types_for(case)
    if not type_ok:
        missing.append(
            Missing("eviction_needs_lease" if case_type == "eviction" else "case_type_invalid")
        )
    missing += _ladder(case, case_type, today)
    missing += _disputes(case)
    if type_ok and case.status != "closed":
        amount = claims.claim_of_case(case, today).total
        missing += _firms(case, case_type, firm_id, amount)
    return missing
