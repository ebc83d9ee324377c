"""What may change on a signed lease, and what ending it would remove, before it is ended.

The rent changes only through rent updates (tenants/services/rentals/rent_updates.py) and the
unit, the start and the renters are the contract itself: a different one is a new lease. What
people correct afterwards is here: the agreed end, the due day, how the rent is paid and into
which account, the reference and the yearly update clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tenants.db import session
from tenants.models import Charge, Lease, Payment
from tenants.models.leases import PAYMENT_METHODS, UPDATE_CLAUSES
from tenants.services.errors import ServiceError
from tenants.services.receivables.payments import parse_amount
from tenants.services.rentals import periods
from tenants.services.rentals.leases import OPEN_STATUSES, _overlapping, check_iban, get_lease
from tenants.services.values import Percent

MAX_FIXED_PCT = Percent("999.99")  # Lease.update_fixed_pct is Numeric(5, 2)


@dataclass
class LeaseChanges:
    end_date: date | None
    due_day: int
    payment_method: str
    iban: str | None
    reference: str | None
    update_clause: str
    update_fixed_pct: Decimal | str | None = None


def update_lease(lease_id: int, changes: LeaseChanges) -> Lease:
    """Change what may change on a running lease. Charges already made keep their due dates and
    amounts; the next ones follow the new terms."""
    lease = get_lease(lease_id)
    if lease.status not in OPEN_STATUSES:
        raise ServiceError("lease_not_open")
    end = changes.end_date
    if end is not None:
        if not isinstance(end, date):
            raise ServiceError("date_invalid", "end_date")
        if end <= lease.start_date:
            raise ServiceError("end_before_start", "end_date")
        charged = session.scalar(
            select(func.max(Charge.period_end)).where(
                Charge.lease_id == lease.id, Charge.kind == "rent"
            )
        )
        if charged is not None and end < charged:
            raise ServiceError("end_date_charged", "end_date", charged=charged.isoformat())
    other = _overlapping(lease.unit_id, lease.start_date, end, exclude_id=lease.id)
    if other is not None:
        raise ServiceError("lease_overlap", "end_date", since=other.start_date.isoformat())
    if not 1 <= int(changes.due_day) <= 31:
        raise ServiceError("due_day_invalid", "due_day")
    for value, choices, name in (
        (changes.payment_method, PAYMENT_METHODS, "payment_method"),
        (changes.update_clause, UPDATE_CLAUSES, "update_clause"),
    ):
        if value not in choices:
            raise ServiceError("choice_invalid", name)
    iban = check_iban(changes.iban)
    if changes.payment_method in ("transfer", "direct_debit") and iban is None:
        raise ServiceError("iban_required", "iban")
    fixed_pct = None
    if changes.update_clause == "fixed":
        fixed_pct = parse_amount(changes.update_fixed_pct, "update_fixed_pct")
        if fixed_pct > MAX_FIXED_PCT:
            raise ServiceError("amount_invalid", "update_fixed_pct")
    lease.end_date = end
    lease.due_day = int(changes.due_day)
    lease.payment_method = changes.payment_method
    lease.iban = iban
    lease.reference = (changes.reference or "").strip()[:40] or None
    lease.update_clause = changes.update_clause
    lease.update_fixed_pct = fixed_pct
    session.flush()
    return lease


# --- ending -------------------------------------------------------------------------------


@dataclass
class EndPreview:
    """What `leases.end_lease(lease_id, ended_on=…)` would do to the charges."""

    ended_on: date
    removed: list[Charge]  # rent charges for months after the end
    prorated: Charge | None  # the month the lease ends in, charged only to the end
    prorated_amount: Decimal | None
    kept: list[Charge]
    owed_after: Decimal  # what the renters still owe once it has ended (0 if in credit)
    credit_after: Decimal  # money received beyond everything that stays charged

    @property
    def removed_total(self) -> Decimal:
        return sum((c.amount for c in self.removed), Decimal("0"))


def end_preview(lease_id: int, ended_on: date) -> EndPreview:
    """The charges ending the lease on `ended_on` removes and prorates, and what stays owed.

    Reads the same charges as `end_lease` (tenants/services/rentals/leases.py): rent charges
    starting after the end are removed, the one running over it is cut to the end."""
    lease = get_lease(lease_id)
    if lease.status not in OPEN_STATUSES:
        raise ServiceError("lease_not_open")
    if not isinstance(ended_on, date):
        raise ServiceError("date_invalid", "ended_on")
    if ended_on < lease.start_date:
        raise ServiceError("end_before_start", "ended_on")
    every = list(
        session.scalars(
            select(Charge).where(Charge.lease_id == lease.id).order_by(Charge.due_date, Charge.id)
        )
    )
    removed, kept, prorated, prorated_amount = [], [], None, None
    for charge in every:
        rent = charge.kind == "rent" and charge.period_start is not None
        if rent and charge.period_start > ended_on:
            removed.append(charge)
            continue
        kept.append(charge)
        if rent and charge.period_start <= ended_on < charge.period_end:
            prorated = charge
            first_day = max(charge.period_start, lease.start_date)
            prorated_amount = sum(
                (
                    periods.prorated(line.amount, charge.period_start, first_day, ended_on)
                    for line in charge.lines
                ),
                Decimal("0"),
            )
    still_charged = sum(
        (prorated_amount if c is prorated else c.amount for c in kept), Decimal("0")
    )
    received = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.lease_id == lease.id)
    )
    balance = periods.money(still_charged - Decimal(received))
    return EndPreview(
        ended_on=ended_on,
        removed=removed,
        prorated=prorated,
        prorated_amount=prorated_amount,
        kept=kept,
        owed_after=max(balance, Decimal("0")),
        credit_after=max(-balance, Decimal("0")),
    )
