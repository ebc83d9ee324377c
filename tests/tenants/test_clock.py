"""The Spanish calendar (tenants/clock.py): the day in Madrid, and business days that skip
weekends and Spain's national holidays (docs/law.md#deadlines)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tenants.clock import as_spanish_time, business_days_after, date_in_spain, spanish_time


def test_business_days_skip_weekends_and_national_holidays():
    # Friday 5 December 2025: Saturday 6 (Constitución), Sunday, Monday 8 (Inmaculada) do not count.
    assert business_days_after(date(2025, 12, 5), 3) == date(2025, 12, 11)
    # New Year's Day and Epiphany, across the turn of the year.
    assert business_days_after(date(2025, 12, 31), 1) == date(2026, 1, 2)
    assert business_days_after(date(2026, 1, 2), 2) == date(2026, 1, 7)


def test_the_day_is_the_day_in_madrid_not_in_utc():
    late_june_evening = datetime(2025, 6, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 July in Madrid
    assert date_in_spain(late_june_evening) == date(2025, 7, 1)
    assert date_in_spain(late_june_evening.replace(tzinfo=None)) == date(2025, 7, 1)
    assert spanish_time(date(2025, 1, 15), time(9)) == datetime(2025, 1, 15, 8, tzinfo=UTC)
    typed = as_spanish_time(datetime(2025, 7, 1, 9))  # a person typing 9:00 means Spanish time
    assert typed.astimezone(UTC) == datetime(2025, 7, 1, 7, tzinfo=UTC)
