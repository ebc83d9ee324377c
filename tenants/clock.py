"""The Spanish calendar: what day it is in Madrid, and deadlines counted in business days.

The database keeps UTC; rent periods, due dates and the deadlines a letter gives follow the day
in Spain. Business days skip weekends and Spain's national public holidays (the `holidays`
package), as Ley 39/2015 art. 30 counts administrative deadlines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

MADRID = ZoneInfo("Europe/Madrid")


def today_in_spain() -> date:
    """Today's date in Madrid (not UTC: from 22:00/23:00 UTC it is already tomorrow there)."""
    return datetime.now(MADRID).date()


def date_in_spain(moment: datetime) -> date:
    """The Madrid date of `moment`; a naive moment is UTC, as the database keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MADRID).date()


def spanish_time(day: date, at: time) -> datetime:
    """`at` o'clock in Madrid on `day`, as a UTC datetime for the database."""
    return datetime.combine(day, at, tzinfo=MADRID).astimezone(UTC)


def as_spanish_time(moment: datetime) -> datetime:
    """`moment` with Madrid's time zone when it has none (a person typing a time means Spain)."""
    return moment.replace(tzinfo=MADRID) if moment.tzinfo is None else moment


def business_days_after(start: date, days: int) -> date:
    """The day `days` business days after `start`: weekends and Spanish national holidays do
    not count."""
    spain = holidays.country_holidays("ES", years=range(start.year, start.year + 2))
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in spain:
            days -= 1
    return day
