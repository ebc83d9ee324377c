"""The Spanish calendar (tenants/clock.py): the day in Madrid, and business days that skip
weekends and the national and regional holidays of the debtor's community
(docs/law.md#deadlines)."""

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


def test_business_days_skip_the_holidays_of_the_debtors_community():
    # Thursday 3 December 2026. Constitution Day falls on Sunday 6; Madrid and Andalucía move
    # it to Monday 7, Cataluña does not; Tuesday 8 (Inmaculada) is national.
    # National: Fri 4, Mon 7, Wed 9 → 9 December.
    assert business_days_after(date(2026, 12, 3), 3) == date(2026, 12, 9)
    # Madrid and Andalucía: Fri 4, Wed 9, Thu 10 → 10 December.
    assert business_days_after(date(2026, 12, 3), 3, "MD") == date(2026, 12, 10)
    assert business_days_after(date(2026, 12, 3), 3, "AN") == date(2026, 12, 10)
    # Cataluña keeps 7 December a working day: 9 December, as the national calendar.
    assert business_days_after(date(2026, 12, 3), 3, "CT") == date(2026, 12, 9)


def test_an_address_names_its_community_by_province_or_postal_code():
    from tenants.clock import calendar_name, region_of

    assert region_of("Madrid") == "MD"
    assert region_of("Málaga") == "AN"
    assert region_of("provincia de Sevilla") == "AN"
    assert region_of("Alicante/Alacant") == "VC"
    assert region_of("Bizkaia") == "PV"
    # No province typed, or one we cannot read: the postal code's first two digits.
    assert region_of("", "08001") == "CT"
    assert region_of(None, "41 004") == "AN"
    assert region_of("Springfield", "99999") is None
    assert calendar_name("MD") == {
        "es": "el calendario de la Comunidad de Madrid",
        "en": "the calendar of the Community of Madrid",
    }
    assert calendar_name(None)["es"] == "el calendario nacional"
