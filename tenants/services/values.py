"""Amounts and days as people type them, bounded by what the database can hold.

One parser for every money field of the web forms, the API and the services, so that an
amount PostgreSQL would refuse (`numeric field overflow`) or that `Decimal` cannot quantize
("1e30") is a ServiceError with its message, never a 500. The CSV cell parser
(`csv_files.parse_amount`) reads bank and spreadsheet formats and stops at the same bound.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from tenants.services.errors import ServiceError
from tenants.services.rentals.periods import money

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")  # Numeric(12, 2), every money column
MONEY_DIGITS = 10  # digits before the decimal mark of Numeric(12, 2)

# Days: a lease signed, a payment received, a letter posted. 1900-01-01 to 2199-12-31 holds
# every real one (a century-old tenancy, a 99-year term) and keeps date arithmetic (a due
# day plus 20 days, a statute of limitations minus 5 years) far from Python's year 1 and
# 9999, where `date - timedelta` raises OverflowError; PostgreSQL holds far more.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)

# Only ASCII digits: Python's Decimal() and \d also read Arabic-Indic ("١٢٣") and fullwidth
# digits and "1_000", which no person means as an amount. Spanish "1.234,56" (dots group
# thousands, the comma marks the cents), "1234,56" and plain "1234.56".
_SPANISH_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?", re.ASCII)
_SPANISH = re.compile(r"[0-9]+(?:,[0-9]+)?", re.ASCII)
_PLAIN = re.compile(r"[0-9]*\.?[0-9]+|[0-9]+\.", re.ASCII)


class Percent(Decimal):
    """A bound or value in percent, not euros: messages write it "999,99 %" (web/messages.py)."""


def column_max(column) -> Decimal:
    """The largest value a Numeric(p, s) column holds, e.g. 999.99 for Numeric(5, 2)."""
    kind = column.property.columns[0].type if hasattr(column, "property") else column.type
    precision, scale = kind.precision, kind.scale
    return Decimal(10) ** (precision - scale) - Decimal(10) ** -scale


def _read(text: str, field: str) -> Decimal:
    text = text.strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if text.startswith("+"):
        text = text[1:]
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    if _SPANISH_GROUPED.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif _SPANISH.fullmatch(text):
        text = text.replace(",", ".")
    elif not _PLAIN.fullmatch(text):
        raise ServiceError("amount_invalid", field)
    integer = text.partition(".")[0].lstrip("0")
    if len(integer) > MONEY_DIGITS + 5:  # far too large; the bound check names it below
        return Decimal("-1e20") if negative else Decimal("1e20")
    value = Decimal(text)
    return -value if negative else value


def parse_money(
    raw, field: str = "amount", *, allow_zero: bool = False, maximum: Decimal = MAX_MONEY
) -> Decimal:
    """A positive amount in euros from "1.234,56", "1234,56", "1234.56" or a Decimal, at most
    `maximum` (the column's bound) with at most two decimals.

    ServiceError codes: amount_invalid (not an amount: letters, "1e30", "NaN", "١٢٣",
    "1_000"), amount_not_positive, amount_too_large, amount_cents."""
    if isinstance(raw, bool):
        raise ServiceError("amount_invalid", field)
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
        if not value.is_finite():
            raise ServiceError("amount_invalid", field)
    else:
        value = _read(str(raw or ""), field)
    if value < 0 or (value == 0 and not allow_zero):
        raise ServiceError("amount_not_positive", field)
    if value > maximum:
        raise ServiceError("amount_too_large", field, max=maximum)
    try:
        exact = value == value.quantize(CENT)
    except InvalidOperation:  # more digits than the context holds: not cents anyway
        exact = False
    if not exact:
        raise ServiceError("amount_cents", field)
    return money(value)


def check_day(value, field: str) -> date:
    """`value` if it is a date from FIRST_DAY to LAST_DAY; ServiceError date_invalid if it is
    not a date, date_out_of_range if it is one outside those years."""
    if not isinstance(value, date):
        raise ServiceError("date_invalid", field)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ServiceError("date_out_of_range", field, first=FIRST_DAY.year, last=LAST_DAY.year)
    return value
