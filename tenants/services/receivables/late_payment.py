"""What Spanish law adds to a late invoice, on a given date, with a breakdown a lawyer can check.

- Business debtor (Ley 3/2004 de morosidad): interest accrues without any demand from the day
  after the due date (art. 5) at the ECB rate + 8 points of each half-year (art. 7, rates kept
  in `interest_rates` kind "late_payment"), plus a fixed 40 EUR per late invoice (art. 8).
- Consumer debtor: Ley 3/2004 does not apply; the legal interest rate (interés legal del
  dinero) runs from the formal demand (Código Civil arts. 1100 and 1108), not from the due date.
- Simple interest per day, actual/365, split at every rate change (services/interest.py).
- Interest stays claimable after the principal is paid: each payment stops interest only on
  the part it paid, from the day after it was received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tenants.models import Charge, Party
from tenants.services.receivables import interest
from tenants.services.receivables.invoices import payments_of

COMPENSATION = Decimal("40.00")  # Ley 3/2004 art. 8, per invoice (Tribunal Supremo)


@dataclass(frozen=True)
class Stretch:
    """Days on which the same principal was owed."""

    first_day: date
    last_day: date
    principal: Decimal
    result: interest.InterestResult


@dataclass
class Claim:
    as_of: date
    regime: str  # "business" (Ley 3/2004) or "consumer" (legal interest)
    principal_due: Decimal  # still unpaid on as_of
    interest_from: date | None
    stretches: list[Stretch] = field(default_factory=list)
    compensation: Decimal = Decimal("0.00")
    notes: list[str] = field(default_factory=list)  # codes: why something is not claimed

    @property
    def interest(self) -> Decimal:
        return sum((s.result.total for s in self.stretches), Decimal("0.00"))

    @property
    def missing_rates(self) -> list[tuple[date, date]]:
        return [gap for s in self.stretches for gap in s.result.missing]

    @property
    def total(self) -> Decimal:
        return self.principal_due + self.interest + self.compensation


def claim(invoice: Charge, debtor: Party, as_of: date, demand_date: date | None = None) -> Claim:
    """What can be claimed on `invoice` at the end of `as_of`."""
    owed = invoice.amount - invoice.credited
    paid = [(on, amount) for on, amount in payments_of(invoice.id) if on <= as_of]
    principal_due = owed - sum((amount for _on, amount in paid), Decimal("0"))
    business = bool(debtor.is_business)
    result = Claim(
        as_of=as_of,
        regime="business" if business else "consumer",
        principal_due=max(principal_due, Decimal("0.00")),
        interest_from=None,
    )
    if business:
        start = invoice.due_date  # interest from the next day (art. 5)
        kind = "late_payment"
    else:
        if demand_date is None:
            result.notes.append("consumer_needs_demand")
            return result
        start = max(demand_date, invoice.due_date)
        kind = "legal"
    if as_of <= start:
        return result
    late_payments = [(on, amount) for on, amount in paid if on > start]
    principal = owed - sum((a for on, a in paid if on <= start), Decimal("0"))
    if principal <= 0:
        return result  # paid on time
    result.interest_from = start
    cursor = start
    for on, amount in late_payments:
        if on > cursor:
            result.stretches.append(_stretch(principal, cursor, on, kind))
            cursor = on
        principal -= amount
    if principal > 0 and as_of > cursor:
        result.stretches.append(_stretch(principal, cursor, as_of, kind))
    if business:
        result.compensation = COMPENSATION
    return result


def _stretch(principal: Decimal, after: date, through: date, kind: str) -> Stretch:
    return Stretch(
        first_day=after + timedelta(days=1),
        last_day=through,
        principal=principal,
        result=interest.simple_interest(principal, after, through, kind),
    )
