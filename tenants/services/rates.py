"""The platform admin's side of the rates kept as data (docs/law.md#rates-as-data): list them,
unverified first; correct or add an interest rate; mark a rate or an index value verified.

A rate is verified once a person read it in the BOE resolution (Ley 3/2004) or the Ley de
Presupuestos (legal interest) its `boe_reference` names; verifying records who and when, and
correcting a verified rate makes it unverified again. A letter whose interest uses an
unverified rate waits for approval (services/collections/letters.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from tenants.db import session, utcnow
from tenants.models import InterestRate, RentIndexValue, User
from tenants.models.rates import RATE_KINDS
from tenants.services.errors import NotFound, ServiceError
from tenants.services.rentals import rent_updates
from tenants.services.values import check_day

BOE_REFERENCE = re.compile(r"BOE-[AB]-\d{4}-\d{1,6}")
MAX_RATE = Decimal("30")  # percent per year: no legal or late-payment rate came near it
MAX_SOURCE = 200


def list_interest_rates() -> list[InterestRate]:
    """Every interest rate, unverified first, then by kind and newest period first."""
    return list(
        session.scalars(
            select(InterestRate).order_by(
                InterestRate.verified,
                InterestRate.kind,
                InterestRate.valid_from.desc(),
            )
        )
    )


def list_index_values() -> list[RentIndexValue]:
    """Every IPC/IRAV value, unverified first (then as rent_updates lists them)."""
    return sorted(rent_updates.list_index_values(), key=lambda row: row.verified)


def parse_rate(raw, field: str = "rate") -> Decimal:
    """A percentage per year from "10,15", "10.15" or "3": at most 3 decimals, 0 to 30."""
    text = str(raw if raw is not None else "").strip().replace("%", "").strip()
    if not text:
        raise ServiceError("required", field)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"\d{1,2}(\.\d{1,3})?", text):
        raise ServiceError("rate_invalid", field)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceError("rate_invalid", field) from None
    if value > MAX_RATE:
        raise ServiceError("rate_implausible", field)
    return value


def _boe_reference(raw: str | None) -> str:
    text = (raw or "").strip().upper()
    if text and not BOE_REFERENCE.fullmatch(text):
        raise ServiceError("boe_reference_invalid", "boe_reference")
    return text


def save_interest_rate(
    *,
    kind: str,
    valid_from: date,
    valid_to: date,
    rate,
    boe_reference: str = "",
    source: str = "",
    rate_id: int | None = None,
) -> InterestRate:
    """Correct the rate `rate_id`, or add a period. Checks everything before changing a thing;
    a change of period, rate or BOE reference leaves the rate unverified."""
    if kind not in RATE_KINDS:
        raise ServiceError("choice_invalid", "kind")
    check_day(valid_from, "valid_from")
    check_day(valid_to, "valid_to")
    if valid_to < valid_from:
        raise ServiceError("end_before_start", "valid_to")
    value = parse_rate(rate)
    reference = _boe_reference(boe_reference)
    row = None
    if rate_id is not None:
        row = session.get(InterestRate, rate_id)
        if row is None:
            raise NotFound(rate_id)
    overlap = session.scalar(
        select(InterestRate).where(
            InterestRate.kind == kind,
            InterestRate.valid_from <= valid_to,
            InterestRate.valid_to >= valid_from,
            InterestRate.id != (row.id if row is not None else 0),
        )
    )
    if overlap is not None:
        raise ServiceError(
            "rate_overlap",
            "valid_from",
            start=f"{overlap.valid_from:%d/%m/%Y}",
            end=f"{overlap.valid_to:%d/%m/%Y}",
        )
    if row is None:
        row = InterestRate(kind=kind, valid_from=valid_from)
        session.add(row)
    changed = (
        row.id is None
        or (row.kind, row.valid_from, row.valid_to) != (kind, valid_from, valid_to)
        or Decimal(row.rate) != value
        or row.boe_reference != reference
    )
    row.kind, row.valid_from, row.valid_to = kind, valid_from, valid_to
    row.rate, row.boe_reference = value, reference
    row.source = (source or "").strip()[:MAX_SOURCE]
    if changed:
        row.verified, row.verified_at, row.verified_by = False, None, ""
    session.flush()
    return row


def verify_interest_rate(rate_id: int, actor: User) -> InterestRate:
    """The admin read this rate in the BOE: it may now reach debtors as fact."""
    row = session.get(InterestRate, rate_id)
    if row is None:
        raise NotFound(rate_id)
    if not row.boe_reference:
        raise ServiceError("rate_needs_boe_reference", "boe_reference")
    row.verified, row.verified_at, row.verified_by = True, utcnow(), actor.email
    session.flush()
    return row


def save_index_value(index: str, month: date, value, source: str = "INE") -> RentIndexValue:
    """rent_updates.add_index_value, and a changed value needs verifying again."""
    before = rent_updates.index_value(index, month) if isinstance(month, date) else None
    old = (before.value, before.source) if before is not None else None
    row = rent_updates.add_index_value(index, month, value, source)
    if old != (row.value, row.source):
        row.verified, row.verified_at, row.verified_by = False, None, ""
        session.flush()
    return row


def verify_index_value(value_id: int, actor: User) -> RentIndexValue:
    row = session.get(RentIndexValue, value_id)
    if row is None:
        raise NotFound(value_id)
    row.verified, row.verified_at, row.verified_by = True, utcnow(), actor.email
    session.flush()
    return row


def gaps(kind: str, first: date, last: date) -> list[tuple[date, date]]:
    """Days from `first` to `last` no rate of `kind` covers (the seeded history has none)."""
    missing, cursor = [], first
    for row in session.scalars(
        select(InterestRate)
        .where(InterestRate.kind == kind, InterestRate.valid_to >= first)
        .order_by(InterestRate.valid_from)
    ):
        if row.valid_from > last:
            break
        if row.valid_from > cursor:
            missing.append((cursor, row.valid_from - timedelta(days=1)))
        cursor = max(cursor, row.valid_to + timedelta(days=1))
    if cursor <= last:
        missing.append((cursor, last))
    return missing
