"""The landlord's dashboard: rent roll, occupancy, arrears, upcoming deadlines, collected vs due.

Set-based: a fixed handful of queries whatever the size of the rent book (no query per lease).
The rows are plain columns, not ORM objects, so no eager load runs per lease either; the
deadline rules of deposits and rent updates read the same column names from a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, extract, func, or_, select

from tenants.db import session
from tenants.models import (
    Charge,
    Deposit,
    Lease,
    LeaseExtra,
    LeaseParty,
    Party,
    Payment,
    Property,
    Unit,
)
from tenants.services.rentals import deposits, periods, rent_updates

ZERO = Decimal("0")
DEADLINE_DAYS = 60  # how far ahead the dashboard looks
CHART_MONTHS = 12
DEADLINE_KINDS = ("deposit_lodgement", "deposit_return", "lease_end", "rent_update")


@dataclass(frozen=True)
class RentRollRow:
    lease_id: int
    unit: str
    renters: list[str]
    rent: Decimal
    extras: Decimal
    total: Decimal
    due_day: int


@dataclass(frozen=True)
class Occupancy:
    let: int
    units: int

    @property
    def percent(self) -> int:
        """Whole percent, half up (5 of 6 units is 83 %)."""
        if not self.units:
            return 0
        exact = Decimal(self.let * 100) / self.units
        return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ArrearsRow:
    lease_id: int
    unit: str
    renters: list[str]
    amount: Decimal
    oldest_due: date
    days_late: int


@dataclass(frozen=True)
class Deadline:
    on: date
    kind: str  # one of DEADLINE_KINDS
    lease_id: int
    unit: str
    renters: list[str]
    days_left: int  # negative when the deadline has passed and the task is still pending


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    due: Decimal
    collected: Decimal


@dataclass
class Dashboard:
    today: date
    properties: int
    occupancy: Occupancy
    rent_roll: list[RentRollRow] = field(default_factory=list)
    arrears: list[ArrearsRow] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    months: list[MonthFigures] = field(default_factory=list)

    @property
    def monthly_rent_roll(self) -> Decimal:
        return sum((row.total for row in self.rent_roll), ZERO)

    @property
    def total_arrears(self) -> Decimal:
        return sum((row.amount for row in self.arrears), ZERO)

    def chart_data(self) -> dict:
        """The collected vs due series, as JSON-ready strings and numbers for the chart."""
        return {
            "months": [f"{m.month:%Y-%m}" for m in self.months],
            "due": [str(m.due) for m in self.months],
            "collected": [str(m.collected) for m in self.months],
        }


def _money(value) -> Decimal:
    return periods.money(Decimal(value or 0))


def _running_on(today: date):
    """Leases that let their unit today (the same rule as properties.occupied_unit_ids)."""
    return and_(
        Lease.status == "active",
        Lease.start_date <= today,
        or_(Lease.end_date.is_(None), Lease.end_date >= today),
    )


def landlord_dashboard(today: date) -> Dashboard:
    """Everything the landlord's dashboard shows, for the current workspace, on `today`."""
    properties, occupancy = _occupancy(today)
    rolls = _rent_roll(today)
    debts = _arrears(today)
    pending = _deadlines(today)
    names = _renters({r[0] for r in rolls} | {d[0] for d in debts} | {p[2] for p in pending})
    return Dashboard(
        today=today,
        properties=properties,
        occupancy=occupancy,
        rent_roll=[
            RentRollRow(
                lease_id=lease_id,
                unit=unit,
                renters=names.get(lease_id, []),
                rent=_money(rent),
                extras=_money(extras),
                total=_money(rent) + _money(extras),
                due_day=due_day,
            )
            for lease_id, unit, rent, extras, due_day in rolls
        ],
        arrears=[
            ArrearsRow(
                lease_id=lease_id,
                unit=unit,
                renters=names.get(lease_id, []),
                amount=_money(amount),
                oldest_due=oldest,
                days_late=(today - oldest).days,
            )
            for lease_id, unit, amount, oldest in debts
        ],
        deadlines=[
            Deadline(
                on=on,
                kind=kind,
                lease_id=lease_id,
                unit=unit,
                renters=names.get(lease_id, []),
                days_left=(on - today).days,
            )
            for on, kind, lease_id, unit in pending
        ],
        months=_collected_vs_due(today),
    )


def _unit_label():
    return Property.name + ", " + Unit.label


def _occupancy(today: date) -> tuple[int, Occupancy]:
    let = (
        select(func.count(func.distinct(Lease.unit_id))).where(_running_on(today)).scalar_subquery()
    )
    # Archived units and properties are out of the book: not counted as vacant.
    in_use = Property.archived_at.is_(None)
    units = (
        select(func.count(Unit.id))
        .join(Property, Property.id == Unit.property_id)
        .where(Unit.archived_at.is_(None), in_use)
        .scalar_subquery()
    )
    properties = select(func.count(Property.id)).where(in_use).scalar_subquery()
    row = session.execute(select(properties, units, let)).one()
    return row[0], Occupancy(let=row[2], units=row[1])


def _rent_roll(today: date) -> list[tuple]:
    extras = (
        select(LeaseExtra.lease_id, func.sum(LeaseExtra.amount).label("amount"))
        .group_by(LeaseExtra.lease_id)
        .subquery()
    )
    return session.execute(
        select(
            Lease.id,
            _unit_label(),
            Lease.rent,
            func.coalesce(extras.c.amount, 0),
            Lease.due_day,
        )
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Property, Property.id == Unit.property_id)
        .outerjoin(extras, extras.c.lease_id == Lease.id)
        .where(_running_on(today))
        .order_by(Property.name, Unit.label, Lease.id)
    ).all()


def _arrears(today: date) -> list[tuple]:
    """Per lease: what is outstanding on charges due before today, and the oldest unpaid due
    date. A charge due today is not late yet: the renter may still pay it today."""
    debts = (
        select(
            Charge.lease_id,
            func.sum(Charge.amount - Charge.paid).label("amount"),
            func.min(Charge.due_date).label("oldest"),
        )
        .where(
            Charge.lease_id.is_not(None),
            Charge.due_date < today,
            Charge.paid < Charge.amount,
        )
        .group_by(Charge.lease_id)
        .subquery()
    )
    rows = session.execute(
        select(Lease.id, _unit_label(), debts.c.amount, debts.c.oldest)
        .join(debts, debts.c.lease_id == Lease.id)
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Property, Property.id == Unit.property_id)
    ).all()
    # Worst first: the longest late, then the largest amount.
    return sorted(rows, key=lambda r: (r[3], -_money(r[2]), r[0]))


def _deadlines(today: date) -> list[tuple[date, str, int, str]]:
    """(date, kind, lease id, unit) of what falls due within DEADLINE_DAYS, soonest first.

    A fianza still to lodge or to return stays listed after its deadline (it is overdue, the
    more urgent); a lease end or a rent update only while it is ahead.
    """
    horizon = today + timedelta(days=DEADLINE_DAYS)
    active = Lease.status == "active"
    rows = session.execute(
        select(
            Lease.id,
            _unit_label().label("unit"),
            Lease.status,
            Lease.start_date,
            Lease.end_date,
            Lease.signed_on,
            Lease.update_clause,
            Deposit.region,
            Deposit.lodged_on,
            Deposit.keys_returned_on,
            Deposit.returned_on,
        )
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Property, Property.id == Unit.property_id)
        .outerjoin(Deposit, Deposit.lease_id == Lease.id)
        .where(
            or_(
                and_(Deposit.region.is_not(None), Deposit.lodged_on.is_(None)),
                and_(Deposit.keys_returned_on.is_not(None), Deposit.returned_on.is_(None)),
                and_(active, Lease.end_date.between(today, horizon)),
                and_(active, Lease.update_clause != "none"),
            )
        )
    ).all()
    found = []
    for row in rows:
        # lodgement_deadline and next_anniversary read only plain columns, which the row has.
        if row.region is not None and row.lodged_on is None:
            lodge_by = deposits.lodgement_deadline(row, row)
            if lodge_by is not None and lodge_by <= horizon:
                found.append((lodge_by, "deposit_lodgement", row.id, row.unit))
        if row.keys_returned_on is not None and row.returned_on is None:
            return_by = periods.one_month_after(row.keys_returned_on)
            if return_by <= horizon:
                found.append((return_by, "deposit_return", row.id, row.unit))
        if row.status != "active":
            continue
        if row.end_date is not None and today <= row.end_date <= horizon:
            found.append((row.end_date, "lease_end", row.id, row.unit))
        if row.update_clause != "none":
            update_on = rent_updates.next_anniversary(row, today)
            if update_on is not None and update_on <= horizon:
                found.append((update_on, "rent_update", row.id, row.unit))
    return sorted(found, key=lambda d: (d[0], DEADLINE_KINDS.index(d[1]), d[2]))


def _renters(lease_ids: set[int]) -> dict[int, list[str]]:
    if not lease_ids:
        return {}
    names: dict[int, list[str]] = {}
    rows = session.execute(
        select(LeaseParty.lease_id, Party.name)
        .join(Party, Party.id == LeaseParty.party_id)
        .where(LeaseParty.role == "renter", LeaseParty.lease_id.in_(lease_ids))
        .order_by(LeaseParty.lease_id, LeaseParty.id)
    ).all()
    for lease_id, name in rows:
        names.setdefault(lease_id, []).append(name)
    return names


def _collected_vs_due(today: date) -> list[MonthFigures]:
    """The last CHART_MONTHS months, this one included: charges by the month they are for,
    payments by the month they were received."""
    first = periods.add_months(periods.month_start(today), 1 - CHART_MONTHS)
    last = periods.month_end(today)
    month_of = func.coalesce(Charge.period_start, Charge.due_date)
    due = session.execute(
        select(extract("year", month_of), extract("month", month_of), func.sum(Charge.amount))
        .where(Charge.lease_id.is_not(None), month_of.between(first, last))
        .group_by(extract("year", month_of), extract("month", month_of))
    ).all()
    collected = session.execute(
        select(
            extract("year", Payment.received_on),
            extract("month", Payment.received_on),
            func.sum(Payment.amount),
        )
        .where(Payment.lease_id.is_not(None), Payment.received_on.between(first, last))
        .group_by(extract("year", Payment.received_on), extract("month", Payment.received_on))
    ).all()
    due_by = {(int(y), int(m)): _money(total) for y, m, total in due}
    collected_by = {(int(y), int(m)): _money(total) for y, m, total in collected}
    return [
        MonthFigures(
            month=month,
            due=due_by.get((month.year, month.month), ZERO),
            collected=collected_by.get((month.year, month.month), ZERO),
        )
        for month in periods.months_between(first, last)
    ]
