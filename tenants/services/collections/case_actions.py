"""What a person does to a case: pause it (by hand, for a dispute, for a promise to pay) and
resume it, leave one charge out of the letters, write a note or the debtor's reply, hand the
case to a colleague. Each one is a line on the timeline. The sweep wakes a paused case on its
date (`wake_paused`).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tenants.db import session
from tenants.models import Case, CaseEvent, Charge, Member, User
from tenants.services.collections.cases import (
    action_time,
    cancel_unsent,
    get_case,
    record_event,
    schedule,
)
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import parse_amount
from tenants.services.values import check_day

MAX_PAUSE_DAYS = 366
PAUSE_EVENTS = {
    "manual": "paused",
    "dispute": "disputed",
    "promise": "promised",
    "plan": "plan_paused",
}


def _check_until(until: date | None, today: date, *, required: bool) -> date | None:
    if until is None:
        if required:
            raise ServiceError("required", "until")
        return None
    check_day(until, "until")
    if until <= today:
        raise ServiceError("date_not_future", "until")
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise ServiceError("date_too_far", "until")
    return until


def pause_case(
    case_id: int,
    *,
    reason: str,
    note: str,
    until: date | None,
    actor: User | None,
    today: date,
    amount=None,
) -> Case:
    """Hold the ladder: `manual` (with an optional resume date), `dispute` (until someone
    resolves it), `promise` (the debtor promised to pay by `until`) or `plan` (an accepted
    instalment plan: it holds until the plan ends, and the plan's job resumes it)."""
    case = get_case(case_id)
    if case.status == "closed":
        raise ServiceError("case_closed")
    note = (note or "").strip()[:500]
    if reason not in PAUSE_EVENTS:  # "escalation" is the escalation's (escalations/escalate.py)
        raise ServiceError("choice_invalid", "reason")
    if reason in ("manual", "dispute") and not note:
        raise ServiceError("required", "note")
    if reason != "plan":
        until = _check_until(until, today, required=reason == "promise")
    promised = None
    if reason == "promise":
        promised = parse_amount(amount, "amount") if amount not in (None, "") else None
    if reason in ("dispute", "plan"):
        until = None  # held until it is resolved, or until the plan ends
    if case.status == "paused" and case.pause_reason == "escalation":
        # With a law firm: the escalation holds the case. What happened goes on the timeline,
        # but no pause of its own replaces it (its end would restart the letters).
        record_event(
            case,
            PAUSE_EVENTS[reason],
            actor=actor,
            note=note,
            until=until,
            amount=promised,
            cancelled=0,
        )
        session.flush()
        return case
    cancelled = cancel_unsent(case, reason)
    case.status = "paused"
    case.pause_reason = reason
    case.pause_note = note
    case.paused_until = until
    case.promised_amount = promised
    # The sweep wakes the case the day after a promise or on the resume date.
    if until is not None:
        wake = until + timedelta(days=1) if reason == "promise" else until
        case.next_action_at = action_time(wake)
    else:
        case.next_action_at = None
    record_event(
        case,
        PAUSE_EVENTS[reason],
        actor=actor,
        note=note,
        until=until,
        amount=promised,
        cancelled=cancelled,
    )
    session.flush()
    return case


def resume_case(case_id: int, *, actor: User | None, today: date, note: str = "") -> Case:
    case = get_case(case_id)
    if case.status != "paused":
        raise ServiceError("case_not_paused")
    if case.pause_reason == "plan":
        raise ServiceError("instalments_running")  # the plan's end resumes it
    if case.pause_reason == "escalation":
        raise ServiceError("escalation_running")  # withdrawn, it is paused by hand
    _resume(case, today, actor=actor, note=(note or "").strip()[:500])
    session.flush()
    return case


def resume_after_plan(case: Case, today: date, *, kind: str) -> None:
    """The case's instalment plan ended unpaid (`plan_broken`) or was cancelled: the ladder
    climbs again from `today`. Nothing to do when something else holds or closed the case."""
    if case.status == "paused" and case.pause_reason == "plan":
        _resume(case, today, kind=kind)


def _resume(case: Case, today: date, *, actor=None, note: str = "", kind: str = "resumed"):
    reason = case.pause_reason
    case.status = "open"
    case.pause_reason = None
    case.paused_until = None
    case.promised_amount = None
    case.pause_note = ""
    record_event(case, kind, actor=actor, note=note, reason=reason)
    schedule(case, case.ladder, today)


def wake_paused(case: Case, today: date) -> None:
    """The sweep reached a paused case's date: a promise not kept, or a pause that ends."""
    if case.pause_reason == "escalation":
        case.next_action_at = None  # the firm has it: no date wakes it
    elif case.pause_reason == "promise":
        _resume(case, today, kind="promise_broken")
    else:
        _resume(case, today)


def assign_owner(case_id: int, *, user_id: int | None, actor: User | None) -> Case:
    """Who follows the case: a member of the workspace who may act on it, or nobody."""
    case = get_case(case_id)
    if user_id is not None:
        member = session.scalar(select(Member).where(Member.user_id == user_id))
        if member is None or not member.can_write:
            raise ServiceError("choice_invalid", "owner")
    if case.owner_id != user_id:
        case.owner_id = user_id
        owner = session.get(User, user_id) if user_id is not None else None
        record_event(case, "owner_changed", actor=actor, owner=owner.name if owner else None)
    session.flush()
    return case


def add_note(case_id: int, *, text: str, actor: User | None, kind: str = "note") -> CaseEvent:
    """A note, or the debtor's reply (a call, an email) written down by the owner."""
    case = get_case(case_id)
    text = (text or "").strip()
    if not text:
        raise ServiceError("required", "text")
    if kind not in ("note", "debtor_reply"):
        raise ServiceError("choice_invalid", "kind")
    event = record_event(case, kind, actor=actor, text=text[:2000])
    session.flush()
    return event


def pause_charge(
    charge_id: int, *, until: date | None, reason: str, actor: User | None, today: date
) -> Charge:
    """Leave one charge out of the letters until `until` (or until resumed)."""
    charge = session.scalar(select(Charge).where(Charge.id == charge_id))
    if charge is None or charge.case_id is None:
        raise NotFound(charge_id)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ServiceError("required", "reason")
    until = _check_until(until, today, required=False)
    charge.chase_paused_until = until or date(9999, 12, 31)
    charge.chase_pause_reason = reason
    record_event(
        session.get(Case, charge.case_id),
        "charge_paused",
        actor=actor,
        charge=charge.number or charge.description,
        until=until,
        reason=reason,
    )
    session.flush()
    return charge


def resume_charge(charge_id: int, *, actor: User | None) -> Charge:
    charge = session.scalar(select(Charge).where(Charge.id == charge_id))
    if charge is None or charge.case_id is None:
        raise NotFound(charge_id)
    charge.chase_paused_until = None
    charge.chase_pause_reason = ""
    record_event(
        session.get(Case, charge.case_id),
        "charge_resumed",
        actor=actor,
        charge=charge.number or charge.description,
    )
    session.flush()
    return charge
