"""Simple interest per day, split only where the rate changes, from rates kept as data.

Actual/365 (docs/law.md#interest-actual-365): each day earns principal × rate / 365, leap years too.
Interest accrues on each day after `start` up to and including `end`. Rate rows that follow each
other with the same rate (1 January between two years of 3.25 %) make one segment, so the
rounding of a split that changes nothing cannot move the total by a cent; since the divisor is
always 365, a segment across a leap year's boundary needs no split either. Each segment is rounded
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
    # (first day, last day, rate, sources) of each stretch at one rate, merged where the rate of
    # the next row is the same and no day is missing in between (docs/law.md#interest-actual-365).
    spans: list[tuple[date, date, Decimal, list[str]]] = []
    cursor = first
    for rate in rates:
        seg_first, seg_last = max(cursor, rate.valid_from), min(last, rate.valid_to)
        if seg_last < seg_first:
            continue
        if seg_first > cursor:
            result.missing.append((cursor, seg_first - timedelta(days=1)))
        value = Decimal(rate.rate)
        if spans and spans[-1][2] == value and spans[-1][1] + timedelta(days=1) == seg_first:
            prev_first, _prev_last, _value, sources = spans[-1]
            if rate.source and rate.source not in sources:
                sources.append(rate.source)
            spans[-1] = (prev_first, seg_last, value, sources)
        else:
            spans.append((seg_first, seg_last, value, [rate.source] if rate.source else []))
        cursor = seg_last + timedelta(days=1)
    if cursor <= last:
        result.missing.append((cursor, last))
    for seg_first, seg_last, value, sources in spans:
        days = (seg_last - seg_first).days + 1
        amount = money(Decimal(principal) * value / 100 * days / DAYS_PER_YEAR)
        result.segments.append(
            Segment(seg_first, seg_last, days, value, amount, "; ".join(sources))
        )
    return result
