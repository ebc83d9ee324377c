"""Yearly rent updates (LAU art. 18): proposed on the anniversary, applied once confirmed.

No update clause, no update. With IPC or IRAV, the new rent uses the latest annual variation
published before the anniversary: INE publishes a month's value in the middle of the next
month, so we take the value of the month two months before the anniversary month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tenants.db import session, utcnow
from tenants.models import Lease, RentIndexValue, RentUpdate
from tenants.models.rates import INDEX_KINDS
from tenants.services.collections import letters
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import parse_amount
from tenants.services.rentals import periods
from tenants.services.values import check_day

NOTICE_DAYS = 45  # propose this long before the anniversary, time enough to notify in writing


@dataclass(frozen=True)
class MissingIndex:
    lease_id: int
    index: str
    month: date


def next_anniversary(lease: Lease, today: date) -> date | None:
    years = 1
    while True:
        day = periods.anniversary(lease.start_date, years)
        if day >= today:
            break
        years += 1
    if lease.end_date is not None and day > lease.end_date:
        return None
    return day


def index_month_for(anniversary: date) -> date:
    return periods.add_months(periods.month_start(anniversary), -2)


def index_value(index: str, month: date) -> RentIndexValue | None:
    return session.scalar(
        select(RentIndexValue).where(RentIndexValue.index == index, RentIndexValue.month == month)
    )


def propose_rent_updates(today: date) -> tuple[list[RentUpdate], list[MissingIndex]]:
    """Proposals for active leases with an update clause whose anniversary is near."""
    leases = session.scalars(
        select(Lease).where(Lease.status == "active", Lease.update_clause != "none")
    ).all()
    due = [(lease, next_anniversary(lease, today)) for lease in leases]
    due = [(lease, day) for lease, day in due if day and (day - today).days <= NOTICE_DAYS]
    if not due:
        return [], []
    # Two queries for the whole batch, not two per lease: what is already proposed, and the
    # index values the anniversaries need.
    already = {
        (lease_id, effective_on)
        for lease_id, effective_on in session.execute(
            select(RentUpdate.lease_id, RentUpdate.effective_on).where(
                RentUpdate.lease_id.in_([lease.id for lease, _day in due])
            )
        )
    }
    months = {index_month_for(day) for _lease, day in due}
    values = {
        (row.index, row.month): row.value
        for row in session.scalars(select(RentIndexValue).where(RentIndexValue.month.in_(months)))
    }
    proposed, missing = [], []
    for lease, effective in due:
        if (lease.id, effective) in already:
            continue
        if lease.update_clause == "fixed":
            pct, month = lease.update_fixed_pct or Decimal("0"), None
        else:
            month = index_month_for(effective)
            pct = values.get((lease.update_clause, month))
            if pct is None:
                missing.append(MissingIndex(lease.id, lease.update_clause, month))
                continue
        update = RentUpdate(
            lease_id=lease.id,
            effective_on=effective,
            index=lease.update_clause,
            index_month=month,
            index_value=pct,
            old_rent=lease.rent,
            new_rent=periods.money(lease.rent * (1 + Decimal(pct) / 100)),
        )
        session.add(update)
        proposed.append(update)
    session.flush()
    return proposed, missing


def get_update(update_id: int) -> RentUpdate:
    update = session.scalar(select(RentUpdate).where(RentUpdate.id == update_id))
    if update is None:
        raise NotFound(update_id)
    return update


def decide_update(update_id: int, *, confirm: bool) -> RentUpdate:
    """Confirm (the lease's rent changes for charges from the effective date) or dismiss."""
    update = get_update(update_id)
    if update.status != "proposed":
        raise ServiceError("update_decided")
    lease = session.get(Lease, update.lease_id)
    if confirm and lease.status != "active":
        raise ServiceError("lease_not_open")
    update.status = "confirmed" if confirm else "dismissed"
    update.decided_at = utcnow()
    if confirm:
        lease.rent = update.new_rent
    session.flush()
    if confirm:
        # LAU art. 18: the update is notified in writing; each renter gets the notice.
        letters.record_for_renters(
            lease,
            kind="rent_update",
            key=f"rent_update:{update.id}",
            source={"rent_update_id": update.id},
        )
    return update


def pending_updates() -> list[RentUpdate]:
    return list(
        session.scalars(
            select(RentUpdate)
            .where(RentUpdate.status == "proposed")
            .order_by(RentUpdate.effective_on)
        )
    )


def add_index_value(index: str, month: date, value, source: str = "INE") -> RentIndexValue:
    """Platform admin: publish a monthly IPC or IRAV value (percent, may be negative)."""
    if index not in INDEX_KINDS:
        raise ServiceError("choice_invalid", "index")
    check_day(month, "month")
    text = str(value).strip()
    negative = text.startswith("-")
    pct = parse_amount(text.lstrip("-"), "value", allow_zero=True)
    pct = -pct if negative else pct
    if abs(pct) >= 50:  # no index has moved 50 % in a year; a typo like "1.500" lands here
        raise ServiceError("index_value_implausible", "value")
    row = index_value(index, periods.month_start(month))
    if row is None:
        row = RentIndexValue(
            index=index, month=periods.month_start(month), value=pct, source=source
        )
        session.add(row)
    else:
        row.value, row.source = pct, source
    session.flush()
    return row


def list_index_values(index: str | None = None) -> list[RentIndexValue]:
    query = select(RentIndexValue).order_by(RentIndexValue.index, RentIndexValue.month.desc())
    if index:
        query = query.where(RentIndexValue.index == index)
    return list(session.scalars(query))
