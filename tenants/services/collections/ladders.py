"""A workspace's collection ladder: the default per kind, editing it, and its timetable.

The defaults follow the path of docs/law.md#collection-ladder: a friendly reminder, two claim
letters, a formal demand (requerimiento de pago) and a certified demand (burofax), then a
lawyer is proposed. The formal and certified demands wait for the owner's approval: they are
the letters a court will read. A business ladder has the same shape; the Ley 3/2004 interest
and the 40 EUR per invoice appear from the formal demand on (letters/context.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from tenants import permissions
from tenants.db import session
from tenants.models import Ladder, LadderStep, User
from tenants.models.collections import ANCHORS, CHANNELS, STEP_KINDS
from tenants.services.badge import issuance
from tenants.services.billing import plans
from tenants.services.errors import ServiceError
from tenants.services.platform.workspaces import record_activity

MAX_DELAY_DAYS = 365
MAX_GAP_DAYS = 60
MAX_PAYMENT_DAYS = 60


@dataclass(frozen=True)
class StepSpec:
    kind: str
    delay_days: int
    channel: str = "email"
    needs_approval: bool = False
    anchor: str = "due"


DEFAULT_STEPS = (
    StepSpec("reminder", 3, "email"),
    StepSpec("claim_1", 10, "email"),
    StepSpec("claim_2", 20, "email"),
    StepSpec("formal_demand", 30, "email", needs_approval=True),
    StepSpec("certified_demand", 45, "certified", needs_approval=True),
    StepSpec("escalation", 60, "email", needs_approval=True),
)
DEFAULT_NAMES = {"landlord": "Impagos de alquiler", "business": "Facturas vencidas"}


def workspace_ladder(kind: str = "landlord") -> Ladder:
    """The workspace's ladder, created with the defaults of its kind the first time."""
    ladder = session.scalar(select(Ladder).order_by(Ladder.id).limit(1))
    if ladder is None:
        ladder = Ladder(name=DEFAULT_NAMES.get(kind, DEFAULT_NAMES["business"]))
        for position, spec in enumerate(DEFAULT_STEPS, start=1):
            ladder.steps.append(
                LadderStep(
                    position=position,
                    kind=spec.kind,
                    delay_days=spec.delay_days,
                    anchor=spec.anchor,
                    channel=spec.channel,
                    needs_approval=spec.needs_approval,
                )
            )
        session.add(ladder)
        session.flush()
    return ladder


def offsets(ladder: Ladder) -> dict[int, int]:
    """Days from the anchor date to each step, by position (position 0 is the anchor)."""
    result = {0: 0}
    previous = 0
    for step in ladder.steps:
        previous = step.delay_days if step.anchor == "due" else previous + step.delay_days
        result[step.position] = previous
    return result


def step_at(ladder: Ladder, position: int) -> LadderStep | None:
    return next((s for s in ladder.steps if s.position == position), None)


def step_due_on(ladder: Ladder, anchor_date: date, position: int) -> date:
    return anchor_date + timedelta(days=offsets(ladder)[position])


def starting_position(ladder: Ladder, anchor_date: date, today: date) -> int:
    """The step a debt of this age starts at: the last letter step already due, at least the
    first. A debt eight weeks late gets the certified demand, not five letters in one day."""
    table = offsets(ladder)
    letter_steps = [s for s in ladder.steps if s.kind != "escalation"]
    due = [
        s.position for s in letter_steps if anchor_date + timedelta(days=table[s.position]) <= today
    ]
    if due:
        return max(due)
    return letter_steps[0].position if letter_steps else 1


@dataclass
class StepInput:
    kind: str
    delay_days: int
    anchor: str
    channel: str
    needs_approval: bool


def update_ladder(
    ladder_id: int,
    *,
    actor: User,
    name: str,
    min_gap_days: int,
    payment_days: int,
    credit_file_warning: bool,
    credit_file_name: str,
    steps: list[StepInput],
) -> Ladder:
    """Replace the ladder's settings and steps after checking them all (nothing changes on
    an error). Steps run in the order given; their delays must not go back in time. Only the
    owner may (tenants/permissions.py); the change is on the activity log, with the steps that
    wait for approval before and after."""
    permissions.check(actor, "ladder.edit")
    ladder = session.scalar(select(Ladder).where(Ladder.id == ladder_id))
    if ladder is None:
        from tenants.services.errors import NotFound

        raise NotFound(ladder_id)
    name = (name or "").strip()
    if not name:
        raise ServiceError("required", "name")
    if not 0 <= min_gap_days <= MAX_GAP_DAYS:
        raise ServiceError("number_range", "min_gap_days", low=0, high=MAX_GAP_DAYS)
    if not 1 <= payment_days <= MAX_PAYMENT_DAYS:
        raise ServiceError("number_range", "payment_days", low=1, high=MAX_PAYMENT_DAYS)
    credit_file_name = (credit_file_name or "").strip()[:80]
    if credit_file_warning and not credit_file_name:
        raise ServiceError("credit_file_name_required", "credit_file_name")
    if not steps:
        raise ServiceError("ladder_needs_steps", "steps")
    previous = 0
    for index, step in enumerate(steps):
        field = f"steps-{index}"
        if step.kind not in STEP_KINDS:
            raise ServiceError("choice_invalid", f"{field}-kind")
        if step.channel not in CHANNELS:
            raise ServiceError("choice_invalid", f"{field}-channel")
        if step.anchor not in ANCHORS:
            raise ServiceError("choice_invalid", f"{field}-anchor")
        if not 0 <= step.delay_days <= MAX_DELAY_DAYS:
            raise ServiceError("number_range", f"{field}-delay_days", low=0, high=MAX_DELAY_DAYS)
        offset = step.delay_days if step.anchor == "due" else previous + step.delay_days
        if offset < previous:
            raise ServiceError("ladder_goes_back", f"{field}-delay_days")
        previous = offset
        kept = step_at(ladder, index + 1)  # a step already there may stay, as it was
        if kept is None or (kept.kind, kept.channel) != (step.kind, step.channel):
            missing = plans.missing_for_step(step.kind, step.channel)
            if missing is not None:
                raise plans.PlanRequired(missing, plans.needed_for(missing))
    approvals_before = _approval_steps(ladder)
    ladder.name = name[:80]
    ladder.min_gap_days = min_gap_days
    ladder.payment_days = payment_days
    ladder.credit_file_warning = credit_file_warning
    ladder.credit_file_name = credit_file_name
    # Keep the rows, rewrite them in place: cases point at positions, not at step ids.
    existing = {s.position: s for s in ladder.steps}
    for position, spec in enumerate(steps, start=1):
        row = existing.pop(position, None) or LadderStep(position=position)
        row.kind, row.delay_days, row.anchor = spec.kind, spec.delay_days, spec.anchor
        row.channel, row.needs_approval = spec.channel, spec.needs_approval
        if row not in ladder.steps:
            ladder.steps.append(row)
    for row in existing.values():
        ladder.steps.remove(row)
    session.flush()
    record_activity(
        actor,
        "ladder.changed",
        steps=[s.kind for s in ladder.steps],
        approvals_before=approvals_before,
        approvals_after=_approval_steps(ladder),
    )
    issuance.request_refresh()  # a ladder with steps is one of the badge's requirements
    return ladder


def _approval_steps(ladder: Ladder) -> list[str]:
    return [s.kind for s in ladder.steps if s.needs_approval]
