"""Rent charges: exactly one per lease and month, itemised, prorated in the first and last month.

Generation is set-based: one INSERT … SELECT for every lease that runs the whole month, with
ON CONFLICT DO NOTHING against the unique (lease_id, kind, period_start) constraint, so running
it twice, late or concurrently creates nothing twice. Only leases that start or end inside the
month (a handful) are computed in Python, for their proration.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql

from tenants.db import UTCDateTime, current_tenant_id, session, utcnow
from tenants.models import Charge, ChargeLine, Lease, LeaseExtra, RentUpdate
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import allocate, parse_amount
from tenants.services.rentals import periods
from tenants.services.values import check_day

BILLED_STATUSES = ("active", "ended", "terminated")
MAX_CATCH_UP_MONTHS = 36  # a lease that started longer ago gets its book from 3 years back
CHARGE_COLUMNS = [
    "tenant_id",
    "kind",
    "lease_id",
    "period_start",
    "period_end",
    "due_date",
    "amount",
    "paid",
    "currency",
    "description",
    "created_at",
]
LINE_COLUMNS = ["tenant_id", "charge_id", "kind", "description", "amount"]


def _billed_on(first: date, last: date, whole_month: bool):
    """Leases billed for the month [first, last]: all of it, or only some days of it."""
    if whole_month:
        begins, ends = Lease.billed_from <= first, last
    else:
        begins, ends = Lease.billed_from <= last, first
    return and_(
        Lease.status.in_(BILLED_STATUSES),
        begins,
        or_(Lease.end_date.is_(None), Lease.end_date >= ends),
        or_(Lease.ended_on.is_(None), Lease.ended_on >= ends),
    )


def _rent_in_force(first: date):
    """The lease's rent for the month starting `first`. A confirmed update takes effect on its
    anniversary, and the landlord confirms it weeks ahead: until then the rent it replaced
    still applies (LAU art. 18)."""
    replaced = (
        select(RentUpdate.old_rent)
        .where(
            RentUpdate.lease_id == Lease.id,
            RentUpdate.status == "confirmed",
            RentUpdate.effective_on > first,
        )
        .order_by(RentUpdate.effective_on)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(replaced, Lease.rent)


def generate_rent_charges(period: date) -> int:
    """Create the missing rent charges of the current workspace for `period`'s month.

    Returns how many were created. Safe to run any number of times, in any order.
    """
    tenant_id = current_tenant_id()
    first, last = periods.month_start(period), periods.month_end(period)
    charge_ids = _insert_whole_months(tenant_id, first, last)
    _itemise(tenant_id, first, charge_ids)
    created = len(charge_ids) + _insert_partial_months(first, last)
    session.flush()
    return created


def _insert_whole_months(tenant_id: int, first: date, last: date) -> list[int]:
    """One INSERT … SELECT for every lease let the whole month; the ids of the new charges."""
    due = case(
        {d: literal(periods.due_date(first, d), Date) for d in range(1, 32)},
        value=Lease.due_day,
        else_=literal(last, Date),
    )
    extras = (
        select(func.coalesce(func.sum(LeaseExtra.amount), 0))
        .where(LeaseExtra.lease_id == Lease.id)
        .scalar_subquery()
    )
    rows = select(
        literal(tenant_id),
        literal("rent"),
        Lease.id,
        literal(first, Date),
        literal(last, Date),
        due,
        _rent_in_force(first) + extras,
        literal(Decimal("0")),
        Lease.currency,
        literal(f"{first:%m/%Y}"),
        literal(utcnow(), UTCDateTime()),
    ).where(Lease.tenant_id == tenant_id, _billed_on(first, last, whole_month=True))
    statement = (
        postgresql.insert(Charge.__table__)
        .from_select(CHARGE_COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=["lease_id", "kind", "period_start"])
        .returning(Charge.__table__.c.id)
    )
    return list(session.scalars(statement))


def _itemise(tenant_id: int, first: date, charge_ids: list[int]) -> None:
    """Lines for the charges just created: each extra, then the rent.

    Only these charges, found by primary key: the cost does not grow with the book's history,
    and a charge another run created already got its lines in that run's transaction.
    """
    if not charge_ids:
        return
    new = Charge.id.in_(charge_ids)
    extra_lines = (
        select(
            literal(tenant_id),
            Charge.id,
            LeaseExtra.kind,
            LeaseExtra.description,
            LeaseExtra.amount,
        )
        .join(LeaseExtra, LeaseExtra.lease_id == Charge.lease_id)
        .where(new)
    )
    session.execute(postgresql.insert(ChargeLine.__table__).from_select(LINE_COLUMNS, extra_lines))
    rent_lines = (
        select(literal(tenant_id), Charge.id, literal("rent"), literal(""), _rent_in_force(first))
        .join(Lease, Lease.id == Charge.lease_id)
        .where(new)
    )
    session.execute(postgresql.insert(ChargeLine.__table__).from_select(LINE_COLUMNS, rent_lines))


def _insert_partial_months(first: date, last: date) -> int:
    """Leases starting or ending inside the month: prorate rent and extras by days.

    Few per month, so computed here with Decimal (exact on every database), one by one.
    """
    leases = session.execute(
        select(
            Lease.id,
            Lease.tenant_id,
            Lease.billed_from,
            Lease.end_date,
            Lease.ended_on,
            Lease.due_day,
            Lease.currency,
            _rent_in_force(first).label("rent"),
        ).where(
            _billed_on(first, last, whole_month=False),
            ~_billed_on(first, last, whole_month=True),
            ~exists().where(
                Charge.lease_id == Lease.id, Charge.kind == "rent", Charge.period_start == first
            ),
        )
    ).all()
    if not leases:
        return 0
    extras = defaultdict(list)
    for extra in session.scalars(
        select(LeaseExtra)
        .where(LeaseExtra.lease_id.in_([lease.id for lease in leases]))
        .order_by(LeaseExtra.id)
    ):
        extras[extra.lease_id].append(extra)
    created = 0
    for lease in leases:
        begin = max(first, lease.billed_from)
        end = min(d for d in (lease.end_date, lease.ended_on, last) if d is not None)
        lines = [("rent", "", periods.prorated(lease.rent, first, begin, end))]
        lines += [
            (e.kind, e.description, periods.prorated(e.amount, first, begin, end))
            for e in extras[lease.id]
        ]
        values = {
            "tenant_id": lease.tenant_id,
            "kind": "rent",
            "lease_id": lease.id,
            "period_start": first,
            "period_end": last,
            "due_date": max(periods.due_date(first, lease.due_day), begin),
            "amount": sum((amount for _k, _d, amount in lines), Decimal("0")),
            "paid": Decimal("0"),
            "currency": lease.currency,
            "description": f"{first:%m/%Y} ({begin:%d/%m}–{end:%d/%m})",
            "created_at": utcnow(),
        }
        charge_id = session.execute(
            postgresql.insert(Charge.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["lease_id", "kind", "period_start"])
            .returning(Charge.__table__.c.id)
        ).scalar()
        if charge_id is None:
            continue  # another run created it a moment ago
        created += 1
        session.execute(
            postgresql.insert(ChargeLine.__table__),
            [
                {
                    "tenant_id": lease.tenant_id,
                    "charge_id": charge_id,
                    "kind": kind,
                    "description": description,
                    "amount": amount,
                }
                for kind, description, amount in lines
            ],
        )
    return created


def catch_up_rent_charges(today: date) -> int:
    """Every missing charge up to `today`'s month: a late or missed cron run loses nothing.

    Starts from the oldest month some lease still lacks, so an up-to-date book costs one
    month's pass, not one per month of history.
    """
    first = _first_month_missing(today)
    if first is None:
        return 0
    first = max(first, periods.add_months(periods.month_start(today), -MAX_CATCH_UP_MONTHS))
    return sum(generate_rent_charges(month) for month in periods.months_between(first, today))


def _first_month_missing(today: date) -> date | None:
    """The first month, up to today's, after the last charge of some billable lease."""
    rows = session.execute(
        select(Lease.billed_from, Lease.end_date, Lease.ended_on, func.max(Charge.period_start))
        .outerjoin(Charge, and_(Charge.lease_id == Lease.id, Charge.kind == "rent"))
        .where(Lease.status.in_(BILLED_STATUSES), Lease.billed_from <= today)
        .group_by(Lease.id, Lease.billed_from, Lease.end_date, Lease.ended_on)
    ).all()
    wanted = []
    for billed_from, end_date, ended_on, last_charged in rows:
        month = periods.next_month(last_charged) if last_charged else billed_from
        stops = [d for d in (end_date, ended_on, today) if d is not None]
        if periods.month_start(month) <= min(stops):
            wanted.append(periods.month_start(month))
    return min(wanted, default=None)


def charges_of_lease(lease_id: int) -> list[Charge]:
    return list(
        session.scalars(
            select(Charge).where(Charge.lease_id == lease_id).order_by(Charge.due_date, Charge.id)
        )
    )


def add_other_charge(lease_id: int, *, description: str, amount, due_date: date) -> Charge:
    """Something else the renters owe: rent from before Amparo, a repair, a utility bill."""
    lease = session.scalar(select(Lease).where(Lease.id == lease_id))
    if lease is None:
        raise NotFound(lease_id)
    description = (description or "").strip()
    if not description:
        raise ServiceError("required", "description")
    check_day(due_date, "due_date")
    value = parse_amount(amount)
    charge = Charge(
        kind="other",
        lease_id=lease.id,
        due_date=due_date,
        description=description[:200],
        amount=value,
        currency=lease.currency,
        lines=[ChargeLine(kind="other", description=description[:200], amount=value)],
    )
    session.add(charge)
    session.flush()
    allocate(lease.id)  # credit the renters already have pays it
    return charge
