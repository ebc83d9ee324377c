"""Cases: one per debtor per workspace, holding all that debtor's overdue charges.

Charges enter a case when they become overdue (`take_in_overdue`, run by the sweep). A case
climbs the ladder one step at a time (tenants/services/sweep.py); this module keeps its clock:
when the next step is due, and what stops it (payment) or moves it (a partial payment
re-anchors it). What holds it (a dispute, a promise to pay, a pause of the case or of one
charge) is in case_actions.py. Everything that happens is a line on the timeline (`CaseEvent`).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy import case as sql_case

from tenants import outbox
from tenants.clock import date_in_spain, spanish_time
from tenants.db import across_tenants, current_tenant_id, session, utcnow
from tenants.models import (
    Case,
    CaseEvent,
    Charge,
    Lease,
    LeaseParty,
    Letter,
    Member,
    Party,
    User,
)
from tenants.models.collections import UNSENT_STATUSES
from tenants.models.escalations import CLOSED_STATUSES as ESCALATION_CLOSED_STATUSES
from tenants.models.escalations import Escalation
from tenants.models.ledger import CHASED_KINDS
from tenants.services.collections import ladders
from tenants.services.errors import NotFound

ACTION_HOUR = time(9, 0)  # letters leave at 9:00 in Spain, not at midnight
ZERO = Decimal("0.00")


def action_time(day: date) -> datetime:
    """9:00 in Madrid on `day`, in UTC (the database keeps UTC)."""
    return spanish_time(day, ACTION_HOUR)


def record_event(case: Case, kind: str, *, letter_id=None, actor: User | None = None, **detail):
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        letter_id=letter_id,
        actor_id=actor.id if actor is not None else None,
        detail={k: _plain(v) for k, v in detail.items()},
    )
    session.add(event)
    return event


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- which charges a case chases ----------------------------------------------------------


def outstanding_clause():
    return and_(
        Charge.paid + Charge.credited < Charge.amount,
        Charge.written_off_at.is_(None),
    )


def chaseable_clause(today: date):
    """Overdue, unpaid, not disputed, not paused: what a letter may claim today."""
    return and_(
        outstanding_clause(),
        Charge.due_date < today,
        Charge.disputed_at.is_(None),
        or_(Charge.chase_paused_until.is_(None), Charge.chase_paused_until <= today),
    )


def charges_of_cases(case_ids: list[int], today: date) -> dict[int, list[Charge]]:
    """Chaseable charges per case, oldest first, in one query."""
    result: dict[int, list[Charge]] = defaultdict(list)
    if not case_ids:
        return result
    rows = session.scalars(
        select(Charge)
        .where(Charge.case_id.in_(case_ids), chaseable_clause(today))
        .order_by(Charge.due_date, Charge.id)
    )
    for charge in rows:
        result[charge.case_id].append(charge)
    return result


def open_charges(case_id: int) -> list[Charge]:
    """Every unpaid charge of the case (paused and disputed ones too), oldest first."""
    return list(
        session.scalars(
            select(Charge)
            .where(Charge.case_id == case_id, outstanding_clause())
            .order_by(Charge.due_date, Charge.id)
        )
    )


def case_balance(case_id: int) -> Decimal:
    value = session.scalar(
        select(func.coalesce(func.sum(Charge.amount - Charge.credited - Charge.paid), 0)).where(
            Charge.case_id == case_id, outstanding_clause()
        )
    )
    return Decimal(value).quantize(Decimal("0.01"))


# --- intake --------------------------------------------------------------------------------


def _unchased_overdue(today: date):
    # Mirrors the partial index ix_charges_unchased, so PostgreSQL can use it.
    return and_(
        Charge.case_id.is_(None),
        Charge.kind.in_(CHASED_KINDS),
        Charge.paid + Charge.credited < Charge.amount,
        Charge.written_off_at.is_(None),
        Charge.due_date < today,
    )


def take_in_overdue(today: date, workspace_kind: str = "landlord", limit: int = 5000) -> list[int]:
    """Put every overdue charge no case holds yet into its debtor's case.

    A rent charge's debtor is the lease's first renter; an invoice's is its client. New cases
    start at the step their oldest debt's age calls for; a closed case of the same debtor
    opens again for a new climb. Returns the ids of the cases opened or re-opened.
    """
    rows = session.execute(
        select(Charge.id, Charge.lease_id, Charge.party_id, Charge.due_date)
        .where(_unchased_overdue(today))
        .order_by(Charge.due_date, Charge.id)
        .limit(limit)
        # A second sweep running at once skips the charges this one is taking in, rather than
        # opening the same debtor's case again (and failing on the unique key).
        .with_for_update(skip_locked=True, of=Charge)
    ).all()
    if not rows:
        return []
    renters = _first_renters({r.lease_id for r in rows if r.lease_id is not None})
    by_debtor: dict[int, list] = defaultdict(list)
    for row in rows:
        debtor = row.party_id if row.party_id is not None else renters.get(row.lease_id)
        if debtor is not None:  # a lease with no renter has nobody to write to
            by_debtor[debtor].append(row)
    existing = {
        c.party_id: c for c in session.scalars(select(Case).where(Case.party_id.in_(by_debtor)))
    }
    ladder = ladders.workspace_ladder(workspace_kind)
    owner_id = default_owner_id()
    opened = []
    for debtor in by_debtor:
        if debtor not in existing:
            existing[debtor] = Case(
                party_id=debtor,
                owner_id=owner_id,
                ladder_id=ladder.id,
                ladder=ladder,
                anchor_date=min(d.due_date for d in by_debtor[debtor]),
                portal_token=secrets.token_urlsafe(24),
            )
            session.add(existing[debtor])
            opened.append(existing[debtor])
    session.flush()  # one INSERT for every new case
    touched = []
    for debtor, debts in by_debtor.items():
        case = existing[debtor]
        if case in opened:
            record_event(case, "opened", charges=len(debts))
            _start_climb(case, ladder, today)
            touched.append(case.id)
        elif case.status == "closed":
            case.status, case.closed_at, case.closed_reason = "open", None, None
            case.cycle += 1
            case.stage = 0
            case.anchor_date = min(d.due_date for d in debts)
            record_event(case, "reopened", charges=len(debts))
            _start_climb(case, case.ladder, today)
            if _escalated(case.id):
                # With a law firm still: the new debts wait with the case, no new climb.
                case.status, case.pause_reason, case.next_action_at = "paused", "escalation", None
            touched.append(case.id)
        else:
            record_event(case, "charges_added", charges=len(debts))
    owner = {d.id: existing[debtor].id for debtor, debts in by_debtor.items() for d in debts}
    charge_ids = list(owner)
    for start in range(0, len(charge_ids), 1000):  # one UPDATE per thousand charges
        chunk = charge_ids[start : start + 1000]
        session.execute(
            update(Charge)
            .where(Charge.id.in_(chunk))
            .values(case_id=sql_case({i: owner[i] for i in chunk}, value=Charge.id))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return touched


def _escalated(case_id: int) -> bool:
    """The case has an escalation a law firm still works (issue 14): its ladder stays stopped."""
    return (
        session.scalar(
            select(Escalation.id)
            .where(
                Escalation.case_id == case_id,
                Escalation.status.not_in(ESCALATION_CLOSED_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


def take_in_for_case(case: Case, today: date) -> int:
    """Put into `case` its debtor's charges overdue on `today` that no case holds yet, so that
    a letter written today claims every one of them (docs/law.md#amounts-on-the-letters-day),
    not only those the last sweep took in. Returns how many were taken in; a closed case takes
    in nothing (the sweep opens it again)."""
    if case.status == "closed":
        return 0
    own_leases = select(LeaseParty.lease_id).where(
        LeaseParty.party_id == case.party_id, LeaseParty.role == "renter"
    )
    found = session.scalars(
        select(Charge)
        .where(
            _unchased_overdue(today),
            or_(Charge.party_id == case.party_id, Charge.lease_id.in_(own_leases)),
        )
        .with_for_update(skip_locked=True, of=Charge)
    ).all()
    renters = _first_renters({c.lease_id for c in found if c.lease_id is not None})
    taken = [
        c
        for c in found
        if (c.party_id if c.party_id is not None else renters.get(c.lease_id)) == case.party_id
    ]
    for charge in taken:  # a handful: the charges fallen due since the last sweep
        charge.case_id = case.id
    if taken:
        record_event(case, "charges_added", charges=len(taken))
        session.flush()
    return len(taken)


def _first_renters(lease_ids: set[int]) -> dict[int, int]:
    if not lease_ids:
        return {}
    first = (
        select(LeaseParty.lease_id, func.min(LeaseParty.id).label("first_id"))
        .where(LeaseParty.lease_id.in_(lease_ids), LeaseParty.role == "renter")
        .group_by(LeaseParty.lease_id)
        .subquery()
    )
    rows = session.execute(
        select(LeaseParty.lease_id, LeaseParty.party_id).join(
            first, LeaseParty.id == first.c.first_id
        )
    )
    return {lease_id: party_id for lease_id, party_id in rows}


def _start_climb(case: Case, ladder, today: date) -> None:
    """A debt that is already very late starts at the step its age calls for."""
    start = ladders.starting_position(ladder, case.anchor_date, today)
    case.stage = start - 1
    if start > 1:
        record_event(case, "started_late", step=start, days_late=(today - case.anchor_date).days)
    schedule(case, ladder, today)


# --- the clock -----------------------------------------------------------------------------


def schedule(case: Case, ladder, today: date) -> None:
    """Set when the case's next step is due: its place on the ladder, never sooner than the
    minimum gap after the last contact, never in the past."""
    step = ladders.step_at(ladder, case.stage + 1)
    if step is None or case.status != "open":
        case.next_action_at = None
        return
    due = ladders.step_due_on(ladder, case.anchor_date, step.position)
    if case.last_contact_on is not None:
        due = max(due, case.last_contact_on + timedelta(days=ladder.min_gap_days))
    case.next_action_at = action_time(max(due, today))


# --- stop and resume -----------------------------------------------------------------------


def cancel_unsent(case: Case, reason: str) -> int:
    """Cancel the case's letters that have not left (queued, awaiting approval, not posted)."""
    letters = list(
        session.scalars(
            select(Letter).where(Letter.case_id == case.id, Letter.status.in_(UNSENT_STATUSES))
        )
    )
    for letter in letters:
        letter.status = "cancelled"
        letter.note = reason
        if letter.copy_of_id is None:
            record_event(case, "letter_cancelled", letter_id=letter.id, reason=reason)
    return len(letters)


def close_case(case: Case, reason: str, actor: User | None = None) -> None:
    cancelled = cancel_unsent(case, reason)
    case.status = "closed"
    case.closed_reason = reason
    case.closed_at = utcnow()
    case.next_action_at = None
    case.paused_until = None
    case.pause_reason = None
    record_event(case, "closed", actor=actor, reason=reason, cancelled=cancelled)
    if reason == "paid":
        outbox.request(outbox.THANK_DEBTOR, current_tenant_id(), case.id, case.cycle)


def after_payment(case_ids, received_on: date, reason: str = "paid") -> None:
    """A payment reached charges of these cases: close the cases it clears; re-anchor the
    others, so the next step counts from the payment (and letters with old amounts go).

    `received_on` is also the day the clock restarts from. `reason` is "written_off" when the
    owner gave up a charge rather than being paid (no thank-you then)."""
    # Imported here: the escalations' services import this module.
    from tenants.services.escalations import escalate

    today = received_on
    for case in session.scalars(select(Case).where(Case.id.in_(set(case_ids)))):
        if case.status == "closed":
            continue
        if reason == "paid":
            # An escalated case: the firm is told, the ladder stays stopped (the case is held).
            escalate.payment_arrived(case, received_on)
        balance = case_balance(case.id)
        if balance <= 0:
            if reason == "paid":
                record_event(case, "payment", received_on=received_on, balance=ZERO)
            close_case(case, reason)
            continue
        record_event(case, "partial_payment", received_on=received_on, balance=balance)
        ladder = case.ladder
        if cancel_unsent(case, "partial_payment"):
            # The cancelled step is taken again, with the new amounts, in a new cycle.
            case.stage = max(_last_sent_stage(case), 0)
            case.cycle += 1
        table = ladders.offsets(ladder)
        case.anchor_date = received_on - timedelta(days=table.get(case.stage, 0))
        if case.status == "open":
            schedule(case, ladder, today)
    session.flush()


def _last_sent_stage(case: Case) -> int:
    value = session.scalar(
        select(func.max(Letter.step_position)).where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.status.not_in(("cancelled", "skipped", *UNSENT_STATUSES)),
        )
    )
    return value or 0


def refresh_after_payment(*, charge_ids, received_on: date, reason: str = "paid") -> None:
    """Called by the payment services once money (or a credit note, a write-off) reached
    these charges."""
    case_ids = set(
        session.scalars(
            select(Charge.case_id).where(
                Charge.id.in_(list(charge_ids)), Charge.case_id.is_not(None)
            )
        )
    )
    if case_ids:
        after_payment(case_ids, received_on, reason)


def charge_dispute_changed(charge: Charge) -> None:
    """A charge was disputed (it leaves the letters) or its dispute settled (it comes back)."""
    if charge.case_id is None:
        return
    case = session.get(Case, charge.case_id)
    if charge.disputed_at is not None:
        record_event(
            case,
            "charge_disputed",
            charge=charge.number or charge.description,
            reason=charge.dispute_reason,
        )
    else:
        record_event(case, "charge_dispute_settled", charge=charge.number or charge.description)
        if case.status == "open":
            schedule(case, case.ladder, date_in_spain(utcnow()))


def tenant_of_portal_token(token: str) -> int | None:
    """The workspace of the case a letter's portal link names (platform code: the debtor has
    no account, the secret token is the key). None for an unknown token."""
    if not token or len(token) > 64:
        return None
    with across_tenants("debtor portal: a case found by its secret token"):
        return session.scalar(select(Case.tenant_id).where(Case.portal_token == token))


def case_by_portal_token(token: str) -> Case:
    """In the workspace `tenant_of_portal_token` gave: the case itself."""
    case = session.scalar(select(Case).where(Case.portal_token == token))
    if case is None:
        raise NotFound(token)
    return case


def get_case(case_id: int) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        raise NotFound(case_id)
    return case


def default_owner_id() -> int | None:
    """New cases go to the workspace's first owner (a landlord alone is everyone)."""
    return session.scalar(
        select(Member.user_id).where(Member.role.in_(("owner", "partner"))).order_by(Member.id)
    )


# --- reading -------------------------------------------------------------------------------


@dataclass
class CaseRow:
    case: Case
    balance: Decimal
    charges: int
    oldest_due: date | None


def list_cases(status: str | None = None, limit: int = 500) -> list[CaseRow]:
    """Cases with their balance, newest activity first; `status` open/paused/closed."""
    totals = (
        select(
            Charge.case_id,
            func.sum(Charge.amount - Charge.credited - Charge.paid).label("balance"),
            func.count().label("charges"),
            func.min(Charge.due_date).label("oldest"),
        )
        .where(Charge.case_id.is_not(None), outstanding_clause())
        .group_by(Charge.case_id)
        .subquery()
    )
    query = select(Case, totals.c.balance, totals.c.charges, totals.c.oldest).outerjoin(
        totals, totals.c.case_id == Case.id
    )
    if status:
        query = query.where(Case.status == status)
    query = query.order_by(Case.status, totals.c.oldest.nulls_last(), Case.id).limit(limit)
    return [
        CaseRow(case, Decimal(balance or 0).quantize(Decimal("0.01")), charges or 0, oldest)
        for case, balance, charges, oldest in session.execute(query)
    ]


def timeline(case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
        )
    )


def guarantors_of(case_id: int) -> list[Party]:
    """The guarantors of the leases whose charges the case holds: they get a copy."""
    lease_ids = select(Charge.lease_id).where(
        Charge.case_id == case_id, Charge.lease_id.is_not(None)
    )
    return list(
        session.scalars(
            select(Party)
            .join(LeaseParty, LeaseParty.party_id == Party.id)
            .where(LeaseParty.lease_id.in_(lease_ids), LeaseParty.role == "guarantor")
            .distinct()
            .order_by(Party.id)
        )
    )


def leases_of(case_id: int) -> list[Lease]:
    lease_ids = select(Charge.lease_id).where(
        Charge.case_id == case_id, Charge.lease_id.is_not(None)
    )
    return list(session.scalars(select(Lease).where(Lease.id.in_(lease_ids)).order_by(Lease.id)))
