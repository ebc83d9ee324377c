"""What both sides of an escalation share: its timeline, the firms that fit a case, and handing
an escalation to the next firm.

- `record` writes one line of the escalation's own timeline (what both sides see), mirrors it
  on the creditor's case timeline, flags the side that must look at it, and asks for the email
  that tells that side (jobs/escalations.py `escalation_email`, after the commit).
- `fitting_firms` lists the firms that may be offered a case: active, the current
  data-processing agreement accepted (GDPR art. 28: a firm processes the debtor's data for the
  creditor, docs/law.md#gdpr-28-law-firms), the case's province and type covered, the claim at
  least the firm's minimum, a free place in its capacity, and fee terms no higher than those
  the creditor accepted. Fewest open escalations first: work is spread.
- `offer_next` offers an escalation to the first firm that fits and has not been offered it;
  with none left it is `unplaced`, and the creditor is told.

The escalation rows are the creditor's (`tenant_id`); counting a firm's open escalations reads
across creditors, the one named opt-out here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tenants.db import across_tenants, current_tenant_id, session, utcnow
from tenants.models import Case, Lease, Property, Unit, User, Workspace, WorkspaceKind
from tenants.models.escalations import (
    CLOSED_STATUSES,
    Escalation,
    EscalationEvent,
    EscalationOffer,
    LawFirm,
)
from tenants.outbox import request as request_work
from tenants.services.collections import cases

# The version of the data-processing agreement a firm must have accepted (its text:
# web/templates/escalations/dpa_<version>.html). A new version makes every firm accept again.
DPA_VERSION = "2026-12"
# An offer unanswered this long goes to the next firm that fits (the cron's job).
OFFER_HOURS = 48
ESCALATION_EMAIL = "jobs.escalations:escalation_email"  # (tenant_id, escalation_id, event_id)
BUILD_DOSSIER = "jobs.dossiers:build_dossier"  # (tenant_id, escalation_id)


# Who is told of each kind of line (an email, and the line flagged for them), unless the caller
# says otherwise. A kind not listed tells the other side of whoever wrote it (nobody for the
# system). The email job (jobs/escalations.py) reads the sides stored on the line.
TELL = {
    "escalated": (),  # the creditor did it; the firm hears of it as "offered"
    "offered": ("firm",),
    "accepted": ("creditor",),
    "declined": ("creditor",),
    "expired": ("creditor",),
    "unplaced": ("creditor",),
    "reassigned": ("creditor",),
    "status": ("creditor",),
    "filed": ("creditor",),
    "request": ("creditor",),
    "deadline": ("creditor",),
    "outcome": ("creditor",),
    "payment": ("firm",),
    "withdrawn": ("firm",),
}
OTHER_SIDE = {"creditor": ("firm",), "firm": ("creditor",), "system": ()}


def tell_of(kind: str, side: str) -> tuple[str, ...]:
    """The sides told of a line of `kind` written by `side` (TELL; a message or a document
    goes to the other side)."""
    if kind in TELL:
        return TELL[kind]
    return OTHER_SIDE.get(side, ())


def record(
    escalation: Escalation,
    kind: str,
    *,
    side: str,
    actor: User | None = None,
    tell: tuple[str, ...] | None = None,
    **detail,
) -> EscalationEvent:
    """One line of the escalation's timeline, by `side` ("creditor", "firm", "system"); `tell`
    names the sides ("creditor", "firm") that get an email and see it flagged (None: those of
    `tell_of`). The sides are kept on the line (`detail["tell"]`) for the email job."""
    tell = tuple(tell_of(kind, side) if tell is None else tell)
    plain = {key: cases._plain(value) for key, value in detail.items()}
    event = EscalationEvent(
        tenant_id=escalation.tenant_id,
        escalation_id=escalation.id,
        kind=kind,
        side=side,
        actor_id=actor.id if actor is not None else None,
        detail={**plain, "tell": list(tell)},
    )
    session.add(event)
    case = session.get(Case, escalation.case_id)
    # One kind on the case timeline; `what` says which step (the case page labels it).
    cases.record_event(
        case, "escalation", actor=actor, escalation_id=escalation.id, what=kind, **plain
    )
    now = utcnow()
    if "firm" in tell:
        escalation.firm_attention_at = now
    if "creditor" in tell:
        escalation.creditor_attention_at = now
    session.flush()
    if tell:
        request_work(ESCALATION_EMAIL, escalation.tenant_id, escalation.id, event.id)
    return event


def province_of_case(case: Case) -> str | None:
    """Where the case is heard: for rent, the property's province (the court of the place of
    the property, LEC art. 52.1.7.º); otherwise the debtor's (LEC art. 813, the monitorio
    is filed at the debtor's domicile)."""
    province = session.scalar(
        select(Property.province)
        .join(Unit, Unit.property_id == Property.id)
        .join(Lease, Lease.unit_id == Unit.id)
        .where(Lease.id.in_([lease.id for lease in cases.leases_of(case.id)]))
        .limit(1)
    )
    return province or case.party.province


def open_counts(firm_ids: list[int]) -> dict[int, int]:
    """Open escalations of each firm, whoever the creditor (the firm's capacity)."""
    if not firm_ids:
        return {}
    with across_tenants("law firm capacity: open escalations of every creditor"):
        rows = session.execute(
            select(Escalation.firm_id, func.count(Escalation.id))
            .where(
                Escalation.firm_id.in_(firm_ids),
                Escalation.status.not_in([*CLOSED_STATUSES, "unplaced"]),
            )
            .group_by(Escalation.firm_id)
        )
        return {firm_id: count for firm_id, count in rows}


def _terms_within(firm: LawFirm, max_flat_fee, max_percent) -> bool:
    """The firm charges no more than the creditor accepted (None: that term was accepted as
    absent, so a firm that charges it does not fit)."""
    for asked, accepted in ((firm.flat_fee, max_flat_fee), (firm.success_percent, max_percent)):
        if asked is None:
            continue
        if accepted is None or Decimal(asked) > Decimal(accepted):
            return False
    return True


def fitting_firms(
    *,
    case_type: str,
    province: str | None,
    amount: Decimal,
    max_flat_fee: Decimal | None = None,
    max_percent: Decimal | None = None,
    any_terms: bool = False,
    exclude: frozenset[int] = frozenset(),
) -> list[LawFirm]:
    """The firms that may be offered this case, fewest open escalations first. `any_terms`:
    the creditor has not chosen yet (the escalation form lists every firm with its terms)."""
    firms = session.scalars(
        select(LawFirm)
        .join(Workspace, Workspace.id == LawFirm.workspace_id)
        .where(
            LawFirm.active.is_(True),
            LawFirm.dpa_version == DPA_VERSION,
            Workspace.kind == WorkspaceKind.LAW_FIRM,
            Workspace.closed_at.is_(None),
        )
        .order_by(LawFirm.workspace_id)
    ).all()
    counts = open_counts([firm.workspace_id for firm in firms])
    fit = [
        firm
        for firm in firms
        if firm.workspace_id not in exclude
        and case_type in (firm.case_types or [])
        and province in (firm.provinces or [])
        and Decimal(amount) >= Decimal(firm.min_amount)
        and counts.get(firm.workspace_id, 0) < firm.capacity
        and (any_terms or _terms_within(firm, max_flat_fee, max_percent))
    ]
    return sorted(fit, key=lambda firm: (counts.get(firm.workspace_id, 0), firm.workspace_id))


def offered_firms(escalation: Escalation) -> frozenset[int]:
    return frozenset(
        session.scalars(
            select(EscalationOffer.firm_id).where(EscalationOffer.escalation_id == escalation.id)
        )
    )


def offer_to(escalation: Escalation, firm_id: int, now: datetime | None = None) -> EscalationOffer:
    """Offer the escalation to one firm, for OFFER_HOURS; the firm's members are told."""
    now = now or utcnow()
    offer = EscalationOffer(
        tenant_id=escalation.tenant_id,
        escalation_id=escalation.id,
        firm_id=firm_id,
        offered_at=now,
        expires_at=now + timedelta(hours=OFFER_HOURS),
    )
    session.add(offer)
    escalation.firm_id = firm_id
    escalation.status = "offered"
    escalation.offer_expires_at = offer.expires_at
    session.flush()
    firm = session.get(Workspace, firm_id)
    record(escalation, "offered", side="system", tell=("firm",), firm=firm.name, firm_id=firm_id)
    return offer


def offer_next(escalation: Escalation, now: datetime | None = None) -> EscalationOffer | None:
    """Offer the escalation to the next firm that fits (after a decline or a time-out); with
    none left it is `unplaced`, and the creditor is told."""
    case = session.get(Case, escalation.case_id)
    firms = fitting_firms(
        case_type=escalation.case_type,
        province=province_of_case(case),
        amount=escalation.claimed_amount,
        max_flat_fee=escalation.flat_fee,
        max_percent=escalation.success_percent,
        exclude=offered_firms(escalation),
    )
    if firms:
        return offer_to(escalation, firms[0].workspace_id, now)
    escalation.firm_id = None
    escalation.status = "unplaced"
    escalation.offer_expires_at = None
    record(escalation, "unplaced", side="system", tell=("creditor",))
    return None


def escalation_of_case(case_id: int) -> Escalation | None:
    """The case's escalation in progress (or its last one), in the current workspace."""
    current_tenant_id()  # fails closed
    return session.scalar(
        select(Escalation).where(Escalation.case_id == case_id).order_by(Escalation.id.desc())
    )
