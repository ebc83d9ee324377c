"""Calendar arithmetic for rent: months, due days that a month lacks, and proration."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Round to the cent, half up, as Spanish accounting does."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the target month lacks becomes its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_month(day: date) -> date:
    return add_months(month_start(day), 1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s month to `last`'s month, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def due_date(period: date, due_day: int) -> date:
    """The due date in `period`'s month: day 31 in April is 30 April (LAU leases say "the
    first N days"; a day that does not exist in a month falls on its last day)."""
    return period.replace(day=min(due_day, days_in_month(period)))


def prorated(amount: Decimal, period: date, first_day: date, last_day: date) -> Decimal:
    """`amount` for the days first_day..last_day (inclusive) of `period`'s month."""
    days = (last_day - first_day).days + 1
    full = days_in_month(period)
    if days >= full:
        return money(amount)
    return money(Decimal(amount) * days / full)


def anniversary(start: date, years: int) -> date:
    """`start` plus whole years; 29 February becomes 28 February in other years."""
    return add_months(start, 12 * years)


def one_month_after(day: date) -> date:
    return add_months(day, 1)


def day_after(day: date) -> date:
    return day + timedelta(days=1)
