"""Simple interest per day, split at every rate change, from rates kept as data.

Actual/365 (docs/law.md#interest-actual-365): each day earns principal × rate / 365, leap years too.
Interest accrues on each day after `start` up to and including `end`. Each segment is rounded
to the cent and the total is the sum of the rounded segments, so the breakdown table adds up
when checked by hand. A day with no rate is a warning, never a silent zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tenants.db import session
from tenants.models import InterestRate
from tenants.services.rentals.periods import money

DAYS_PER_YEAR = Decimal(365)


@dataclass(frozen=True)
class Segment:
    first_day: date
    last_day: date
    days: int
    rate: Decimal  # percent per year
    amount: Decimal
    source: str = ""


@dataclass
class InterestResult:
    principal: Decimal
    segments: list[Segment] = field(default_factory=list)
    missing: list[tuple[date, date]] = field(default_factory=list)  # periods with no rate

    @property
    def total(self) -> Decimal:
        return sum((s.amount for s in self.segments), Decimal("0.00"))

    @property
    def complete(self) -> bool:
        return not self.missing


def rates_between(kind: str, first: date, last: date) -> list[InterestRate]:
    return list(
        session.scalars(
            select(InterestRate)
            .where(
                InterestRate.kind == kind,
                InterestRate.valid_to >= first,
                InterestRate.valid_from <= last,
            )
            .order_by(InterestRate.valid_from)
        )
    )


def simple_interest(
    principal: Decimal, start: date, end: date, kind: str = "legal", rates: list | None = None
) -> InterestResult:
    """Interest on `principal` for the days after `start` through `end`."""
    result = InterestResult(principal=money(principal))
    first, last = start + timedelta(days=1), end
    if principal <= 0 or last < first:
        return result
    rates = rates if rates is not None else rates_between(kind, first, last)
    cursor = first
    for rate in rates:
        seg_first, seg_last = max(cursor, rate.valid_from), min(last, rate.valid_to)
        if seg_last < seg_first:
            continue
        if seg_first > cursor:
            result.missing.append((cursor, seg_first - timedelta(days=1)))
        days = (seg_last - seg_first).days + 1
        amount = money(Decimal(principal) * Decimal(rate.rate) / 100 * days / DAYS_PER_YEAR)
        result.segments.append(
            Segment(seg_first, seg_last, days, Decimal(rate.rate), amount, rate.source)
        )
        cursor = seg_last + timedelta(days=1)
    if cursor <= last:
        result.missing.append((cursor, last))
    return result
