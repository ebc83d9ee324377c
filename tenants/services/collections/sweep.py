"""The collections sweep: take in new debts, then move every due case one step.

Its cost follows the work due, not the size of the book: new debts come from the partial index
`ix_charges_unchased`, due cases from the index on `cases.next_action_at`, and each batch is a
fixed number of queries. Due cases are locked with SKIP LOCKED on PostgreSQL, so two sweeps at
once split the cases between them; the letters' unique key (case, cycle, step, recipient) is
the last wall against a letter created twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from tenants import outbox
from tenants.clock import date_in_spain
from tenants.db import across_tenants, current_tenant_id, session, utcnow
from tenants.models import Case, Charge, LeaseParty, Letter, Party, Workspace
from tenants.services.billing import plans
from tenants.services.collections import case_actions, cases, ladders, letters

BATCH = 500
STUCK_AFTER = timedelta(minutes=30)  # a job this late was lost (Redis flushed, worker killed)


@dataclass
class SweepResult:
    opened: list[int] = field(default_factory=list)
    stepped: int = 0
    letters: int = 0
    closed: int = 0
    escalations: int = 0
    requeued: int = 0
    waiting_for_plan: int = 0

    def as_dict(self) -> dict:
        return {
            "opened": len(self.opened),
            "stepped": self.stepped,
            "letters": self.letters,
            "closed": self.closed,
            "escalations": self.escalations,
            "requeued": self.requeued,
            "waiting_for_plan": self.waiting_for_plan,
        }


def tenants_with_due_work(now: datetime) -> list[int]:
    """Workspaces with a new overdue charge or a case due (platform code, across tenants). A
    closed workspace has none: its owner closed it, nothing of it is chased any more."""
    today = date_in_spain(now)
    with across_tenants("collections sweep fan-out"):
        new_debts = select(Charge.tenant_id).where(cases._unchased_overdue(today)).distinct()
        due = (
            select(Case.tenant_id)
            .where(Case.next_action_at <= now, Case.status.in_(("open", "paused")))
            .distinct()
        )
        stuck = (
            select(Letter.tenant_id)
            .where(
                Letter.status.in_(("rendering", "sending")), Letter.created_at < now - STUCK_AFTER
            )
            .distinct()
        )
        ids = set(session.scalars(new_debts)) | set(session.scalars(due))
        ids |= set(session.scalars(stuck))
        ids -= set(session.scalars(select(Workspace.id).where(Workspace.closed_at.is_not(None))))
    return sorted(ids)


def sweep(now: datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """Sweep the current workspace at `now`. Flushes; the caller commits, and the letters are
    rendered by jobs requested for after that commit."""
    now = now or utcnow()
    today = date_in_spain(now)
    workspace = session.get(Workspace, current_tenant_id())
    result = SweepResult()
    if workspace.closed_at is not None:  # closed after this sweep was enqueued
        return result
    result.opened = cases.take_in_overdue(today, workspace.kind.value)
    while True:
        due = _lock_due_cases(now, batch)
        if not due:
            break
        _step_cases(due, today, result)
        session.flush()
        if len(due) < batch:
            break
    result.requeued = _requeue_stuck(now)
    return result


def _lock_due_cases(now: datetime, batch: int) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .where(Case.next_action_at <= now, Case.status.in_(("open", "paused")))
            .order_by(Case.next_action_at, Case.id)
            .limit(batch)
            .with_for_update(skip_locked=True, of=Case)
            .execution_options(populate_existing=True)  # what the lock holds, not a cache
        ).unique()
    )


def _step_cases(due: list[Case], today, result: SweepResult) -> None:
    for case in due:
        if case.status == "paused":
            case_actions.wake_paused(case, today)
    missing_for_step = plans.step_checker()
    chased = cases.charges_of_cases([c.id for c in due], today)
    guarantors = _guarantors([c.id for c in due])
    to_write = []
    for case in due:
        if case.status != "open":
            continue
        ladder = case.ladder
        if not chased.get(case.id):
            if cases.case_balance(case.id) <= 0:
                cases.close_case(case, "paid")
                result.closed += 1
            else:
                _wait_for_paused_charges(case, today)
            continue
        step = ladders.step_at(ladder, case.stage + 1)
        if step is None:
            case.next_action_at = None
            continue
        missing = missing_for_step(step.kind, step.channel)
        if missing is not None:
            # Not on this plan: the case waits (no letter, no proposal) until the plan allows
            # it; a change of plan schedules it again (plans.change).
            cases.record_event(
                case, "needs_plan", step=step.kind, plan=plans.needed_for(missing)
            )
            case.next_action_at = None
            result.waiting_for_plan += 1
            continue
        result.stepped += 1
        case.stage = step.position
        if step.kind == "escalation":
            days_late = (today - case.anchor_date).days
            cases.record_event(case, "escalation_proposed", days_late=days_late)
            case.next_action_at = None
            result.escalations += 1
            continue
        to_write.append((case, step, guarantors.get(case.id, [])))
        case.last_contact_on = today
        cases.schedule(case, ladder, today)
    result.letters += len(letters.record_steps(to_write))


def _guarantors(case_ids: list[int]) -> dict[int, list[Party]]:
    """The guarantors of each case's leases, in one query."""
    rows = session.execute(
        select(Charge.case_id, Party)
        .join(LeaseParty, LeaseParty.lease_id == Charge.lease_id)
        .join(Party, Party.id == LeaseParty.party_id)
        .where(Charge.case_id.in_(case_ids), LeaseParty.role == "guarantor")
        .distinct()
        .order_by(Charge.case_id, Party.id)
    )
    result: dict[int, list[Party]] = defaultdict(list)
    for case_id, party in rows:
        result[case_id].append(party)
    return result


def _wait_for_paused_charges(case: Case, today) -> None:
    """Nothing to claim now (disputed or paused charges): wake when the first pause ends."""
    until = session.scalar(
        select(Charge.chase_paused_until)
        .where(
            Charge.case_id == case.id,
            cases.outstanding_clause(),
            Charge.disputed_at.is_(None),
            Charge.chase_paused_until > today,
        )
        .order_by(Charge.chase_paused_until)
        .limit(1)
    )
    if until is not None and until.year < 9999:
        case.next_action_at = cases.action_time(until)
    else:
        case.next_action_at = None


def _requeue_stuck(now: datetime) -> int:
    """Letters whose job was lost: rendering or sending for too long. The jobs are idempotent,
    so asking again is safe; nothing is kept only in Redis (DESIGN.md, Scaling out)."""
    cutoff = now - STUCK_AFTER
    stuck = session.execute(
        select(Letter.id, Letter.status).where(
            Letter.status.in_(("rendering", "sending")), Letter.created_at < cutoff
        )
    ).all()
    for letter_id, status in stuck:
        topic = outbox.RENDER_LETTER if status == "rendering" else outbox.DELIVER_LETTER
        outbox.request(topic, current_tenant_id(), letter_id)
    return len(stuck)
