"""How a person reads a rate's period: "Ley 3/2004, 2.º semestre de 2026", "interés legal del
dinero 2026" (the approval card and /admin/rates, docs/law.md#rates-as-data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

RATE_KIND_LABELS = {
    "late_payment": _l("Ley 3/2004 (late payment in commercial transactions)"),
    "legal": _l("Legal interest rate (interés legal del dinero)"),
}
INDEX_LABELS = {"ipc": "IPC", "irav": "IRAV"}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def rate_period(kind: str, valid_from, valid_to) -> str:
    start, end = _day(valid_from), _day(valid_to)
    whole_year = (start, end) == (date(start.year, 1, 1), date(start.year, 12, 31))
    first_half = (start, end) == (date(start.year, 1, 1), date(start.year, 6, 30))
    second_half = (start, end) == (date(start.year, 7, 1), date(start.year, 12, 31))
    if kind == "late_payment":
        if first_half:
            return _("Ley 3/2004, first half of %(year)s", year=start.year)
        if second_half:
            return _("Ley 3/2004, second half of %(year)s", year=start.year)
        return _("Ley 3/2004, %(start)s to %(end)s", start=format_date(start), end=format_date(end))
    if whole_year:
        return _("legal interest rate %(year)s", year=start.year)
    return _(
        "legal interest rate, %(start)s to %(end)s",
        start=format_date(start),
        end=format_date(end),
    )


def percent(value) -> str:
    return format_decimal(Decimal(str(value)), format="#,##0.00#") + "\u00a0%"


def unverified_reason(rates: list[dict]) -> str:
    """The reason an approval card shows for a letter whose interest uses unverified rates."""
    listed = "; ".join(
        f"{rate_period(r['kind'], r['valid_from'], r['valid_to'])} ({percent(r['rate'])})"
        for r in rates
    )
    return _("The interest uses a rate not yet verified: %(rates)s", rates=listed)
