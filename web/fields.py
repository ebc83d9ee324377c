"""The form fields for a day and for an amount of money: every form uses these two.

Both read only ASCII digits and stop at the bounds the services check
(tenants/services/values.py), with the services' translated messages, so that a hostile or
mistyped value is a message next to the field, never a 500.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from wtforms import DateField, StringField, ValidationError
from wtforms.validators import Length

from tenants.services.errors import ServiceError
from tenants.services.values import MAX_MONEY, check_day, parse_money
from web.messages import message_for

# What <input type="date"> sends. strptime alone would take "٢٠٢٥-٠١-٠٢" and "0001-01-01".
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MONEY_MAX_LENGTH = 20


def read_day(text: str, field: str | None = None) -> date | None:
    """The day in "YYYY-MM-DD" (what <input type="date"> sends), None for empty text;
    ValueError with the translated message for anything else or a day out of bounds."""
    text = (text or "").strip()
    if not text:
        return None
    if not ISO_DAY.fullmatch(text):
        raise ValueError(message_for(ServiceError("date_invalid", field)))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(message_for(ServiceError("date_invalid", field))) from None
    try:
        return check_day(day, field)
    except ServiceError as error:
        raise ValueError(message_for(error)) from None


class DayField(DateField):
    """A date from 1900-01-01 to 2199-12-31 (tenants/services/values.py says why)."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None  # empty: InputRequired / Optional decide
        self.data = read_day(" ".join(valuelist), self.name)


class MoneyField(StringField):
    """An amount as typed ("850", "850,50", "1.234,56", "1234.56"), kept as text for the
    service, which reads it with the same parser; checked here so the form shows the message.

    `maximum` is the bound of the column the amount is stored in (Numeric(12, 2) unless
    said); `signed` lets a leading minus through (a percentage). Whether zero or empty is
    allowed is the service's call."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        maximum: Decimal = MAX_MONEY,
        signed: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, [*(validators or []), Length(max=MONEY_MAX_LENGTH)], **kwargs)
        self.maximum, self.signed = maximum, signed

    def pre_validate(self, form):
        text = (self.data or "").strip()
        if self.signed and text.startswith("-"):  # an index's yearly change may be negative
            text = text[1:]
        if not text:
            return
        try:
            parse_money(text, self.name, allow_zero=True, maximum=self.maximum)
        except ServiceError as error:
            raise ValidationError(message_for(error)) from None
