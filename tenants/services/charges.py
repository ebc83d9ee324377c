"""Rent charges: exactly one per lease and month, itemised, prorated in the first and last month.

Generation is set-based: one INSERT … SELECT for every lease that runs the whole month, with
ON CONFLICT DO NOTHING against the unique (lease_id, kind, period_start) constraint, so running
it twice, late or concurrently creates nothing twice. Only leases that start or end inside the
month (a handful) are computed in Python, for their proration.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from tenants.db import UTCDateTime, current_tenant_id, session, utcnow
from tenants.models import Charge, ChargeLine, Lease, LeaseExtra
from tenants.services import periods

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


def _insert(table):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _billed_on(first: date, last: date, whole_month: bool):
    """Leases billed for the month [first, last]: all of it, or only some days of it."""
    if whole_month:
        begins, ends = Lease.start_date <= first, last
    else:
        begins, ends = Lease.start_date <= last, first
    return and_(
        Lease.status.in_(BILLED_STATUSES),
        begins,
        or_(Lease.end_date.is_(None), Lease.end_date >= ends),
        or_(Lease.ended_on.is_(None), Lease.ended_on >= ends),
    )


def generate_rent_charges(period: date) -> int:
    """Create the missing rent charges of the current workspace for `period`'s month.

    Returns how many were created. Safe to run any number of times, in any order.
    """
    tenant_id = current_tenant_id()
    first, last = periods.month_start(period), periods.month_end(period)
    created = _insert_whole_months(tenant_id, first, last)
    _itemise_new_charges(tenant_id, first)
    created += _insert_partial_months(first, last)
    session.flush()
    return created


def _insert_whole_months(tenant_id: int, first: date, last: date) -> int:
    due = case(
        *[(Lease.due_day == d, literal(periods.due_date(first, d), Date)) for d in range(1, 32)],
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
        Lease.rent + extras,
        literal(Decimal("0")),
        Lease.currency,
        literal(f"{first:%m/%Y}"),
        literal(utcnow(), UTCDateTime()),
    ).where(Lease.tenant_id == tenant_id, _billed_on(first, last, whole_month=True))
    statement = (
        _insert(Charge.__table__)
        .from_select(CHARGE_COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=["lease_id", "kind", "period_start"])
        .returning(Charge.__table__.c.id)
    )
    return len(session.execute(statement).all())


def _itemise_new_charges(tenant_id: int, first: date) -> None:
    """Lines for the month's new charges: each extra, then the rent. Idempotent."""
    of_month = and_(
        Charge.tenant_id == tenant_id, Charge.kind == "rent", Charge.period_start == first
    )
    no_lines = ~exists().where(ChargeLine.charge_id == Charge.id)
    extra_lines = (
        select(
            literal(tenant_id),
            Charge.id,
            LeaseExtra.kind,
            LeaseExtra.description,
            LeaseExtra.amount,
        )
        .join(LeaseExtra, LeaseExtra.lease_id == Charge.lease_id)
        .where(of_month, no_lines)
    )
    session.execute(_insert(ChargeLine.__table__).from_select(LINE_COLUMNS, extra_lines))
    no_rent_line = ~exists().where(ChargeLine.charge_id == Charge.id, ChargeLine.kind == "rent")
    rent_lines = (
        select(literal(tenant_id), Charge.id, literal("rent"), literal(""), Lease.rent)
        .join(Lease, Lease.id == Charge.lease_id)
        .where(of_month, no_rent_line)
    )
    session.execute(_insert(ChargeLine.__table__).from_select(LINE_COLUMNS, rent_lines))


def _insert_partial_months(first: date, last: date) -> int:
    """Leases starting or ending inside the month: prorate rent and extras by days."""
    leases = session.scalars(
        select(Lease).where(
            _billed_on(first, last, whole_month=False),
            ~_billed_on(first, last, whole_month=True),
            ~exists().where(
                Charge.lease_id == Lease.id, Charge.kind == "rent", Charge.period_start == first
            ),
        )
    ).all()
    created = 0
    for lease in leases:
        begin = max(first, lease.start_date)
        stops = [d for d in (lease.end_date, lease.ended_on, last) if d is not None]
        end = min(stops)
        lines = [("rent", "", periods.prorated(lease.rent, first, begin, end))]
        lines += [
            (e.kind, e.description, periods.prorated(e.amount, first, begin, end))
            for e in lease.extras
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
            _insert(Charge.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["lease_id", "kind", "period_start"])
            .returning(Charge.__table__.c.id)
        ).scalar()
        if charge_id is None:
            continue  # another run created it a moment ago
        created += 1
        session.execute(
            _insert(ChargeLine.__table__),
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
    """Every missing charge up to `today`'s month: a late or missed cron run loses nothing."""
    oldest = session.scalar(
        select(func.min(Lease.start_date)).where(Lease.status.in_(BILLED_STATUSES))
    )
    if oldest is None:
        return 0
    start = max(oldest, periods.add_months(periods.month_start(today), -MAX_CATCH_UP_MONTHS))
    return sum(generate_rent_charges(month) for month in periods.months_between(start, today))


def charges_of_lease(lease_id: int) -> list[Charge]:
    return list(
        session.scalars(
            select(Charge).where(Charge.lease_id == lease_id).order_by(Charge.due_date, Charge.id)
        )
    )
