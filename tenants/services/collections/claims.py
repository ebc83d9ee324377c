"""What a case claims on a date: the one answer the letters, the debtor portal, the case page
and the API all read, so a debtor never sees two amounts or two references for one debt.

The law it applies (receivables/late_payment.py computes the interest; this module decides when
it is claimed):
- Reminders and claim letters stay friendly: they claim the charges still owed, nothing more
  (docs/law.md#collection-ladder).
- From the formal demand on, a business debtor is claimed Ley 3/2004 interest from the day after
  each due date and 40 EUR per late invoice (docs/law.md#ley-3-2004-interest and
  docs/law.md#ley-3-2004-art-8-40-eur); a consumer (a residential renter) the legal interest
  from the first demand, and no 40 EUR (docs/law.md#cc-1108-legal-interest).
- A demand gives a deadline in business days from the day it is made, skipping the holidays of
  the debtor's autonomous community (where the demand takes effect), else the workspace's
  (docs/law.md#deadlines).
- One payment reference per case, whatever letter, QR code or page shows it.
- The rates the interest used that nobody has verified in the BOE are listed
  (`unverified_rates`): such a letter waits for approval (docs/law.md#rates-as-data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from tenants.clock import business_days_after, date_in_spain, region_of
from tenants.db import current_tenant_id, session
from tenants.models import Case, Charge, Letter, Workspace
from tenants.services.collections import cases
from tenants.services.receivables import interest as interest_rates
from tenants.services.receivables import late_payment

DEMANDS = ("formal_demand", "certified_demand")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OwedCharge:
    charge_id: int
    number: str | None  # the invoice number (rent has none)
    description: str  # what the letters print: the invoice's description, or "05/2025 · Renta"
    due_date: date
    amount: Decimal  # the charge less its credit notes
    outstanding: Decimal
    days_late: int
    period: date | None = None  # a rent's month: the letters print "Renta de septiembre de 2026"

    @property
    def label(self) -> str:
        return self.number or self.description


@dataclass(frozen=True)
class InterestSegment:
    """Days of one charge at one rate on one principal: a line a lawyer can check by hand."""

    charge_label: str
    first_day: date
    last_day: date
    days: int
    principal: Decimal
    rate: Decimal  # percent per year
    amount: Decimal


@dataclass(frozen=True)
class UnverifiedRate:
    """A rate row the interest used that the platform admin has not verified yet."""

    kind: str  # "legal" or "late_payment"
    valid_from: date
    valid_to: date
    rate: Decimal


@dataclass(frozen=True)
class Payee:
    beneficiary: str
    iban: str | None


@dataclass(frozen=True)
class Claim:
    case_id: int
    as_of: date
    regime: str  # "business" (Ley 3/2004) or "consumer" (legal interest)
    reference: str  # the payment reference of the case (`payment_reference`)
    payee: Payee
    charges: tuple[OwedCharge, ...]
    principal: Decimal
    is_demand: bool  # whether interest and the 40 EUR are claimed
    interest_from: date | None  # a consumer's interest runs from the first demand
    interest_segments: tuple[InterestSegment, ...]
    interest: Decimal
    missing_rates: bool  # a day had no published rate: the interest is short, say so
    compensation: Decimal
    compensation_count: int  # late invoices, 40 EUR each
    total: Decimal
    deadline: date | None  # the demand's deadline to pay
    business_days: int | None
    currency: str = "EUR"
    # The community whose holidays the deadline skipped (a `holidays` code, "MD"); None: only
    # the national ones (docs/law.md#deadlines).
    calendar: str | None = None
    unverified_rates: tuple[UnverifiedRate, ...] = ()


def payment_reference(case_id: int) -> str:
    """The reference the debtor quotes on the transfer. "C" keeps it apart from the letter
    references of lease letters (AMP-<lease>-<letter>); case ids are unique across workspaces."""
    return f"AMP-C{case_id}"


def claim_of_case(
    case: Case, on: date, *, letter: Letter | None = None, lease_ids: set[int] | None = None
) -> Claim:
    """What `case` claims at the end of `on`.

    Without `letter` (the portal, the case page, the API): what the debtor has been told, so
    interest is claimed once a demand has left, and the deadline is the last demand's. With
    `letter` (a ladder letter being written on `on`): what that letter claims, so a demand claims
    interest (a consumer's from the first demand, this one if it is the first) and its deadline
    counts from `on`.

    With `lease_ids` (a guarantor's copy): only the charges of those leases, the ones the
    guarantor answers for (docs/law.md#gdpr-debtor-privacy)."""
    debtor = case.party
    charges = cases.charges_of_cases([case.id], on).get(case.id, [])
    if lease_ids is not None:
        charges = [c for c in charges if c.lease_id in lease_ids]
    owed = tuple(owed_charge(c, on) for c in charges)
    principal = sum((c.outstanding for c in owed), ZERO)
    demands = _demand_dates(case, excluding=letter.id if letter is not None else None)
    if letter is not None:
        is_demand = letter.kind in DEMANDS
        demanded_on = min(demands, default=on)
        deadline_from = on
    else:
        is_demand = bool(demands)
        demanded_on = min(demands, default=None)
        deadline_from = max(demands, default=None)
    regime = "business" if debtor.is_business else "consumer"
    segments: list[InterestSegment] = []
    interest = compensation = ZERO
    late_invoices = 0
    missing = False
    deadline = days = calendar = None
    unverified: dict[tuple[str, date], UnverifiedRate] = {}
    if is_demand:
        for charge in charges:
            claim = late_payment.claim(charge, debtor, on, demand_date=demanded_on)
            segments.extend(_segments(claim, owed_charge(charge, on).label))
            for rate in _unverified_rates(claim):
                unverified.setdefault((rate.kind, rate.valid_from), rate)
            interest += claim.interest
            missing = missing or bool(claim.missing_rates)
            if claim.compensation > 0:
                late_invoices += 1
                compensation += claim.compensation
        days = case.ladder.payment_days
        calendar = calendar_of(debtor)
        deadline = business_days_after(deadline_from, days, calendar)
    return Claim(
        case_id=case.id,
        as_of=on,
        regime=regime,
        reference=payment_reference(case.id),
        payee=payee_of(case),
        charges=owed,
        principal=principal,
        is_demand=is_demand,
        interest_from=demanded_on if is_demand and regime == "consumer" else None,
        interest_segments=tuple(segments),
        interest=interest,
        missing_rates=missing,
        compensation=compensation,
        compensation_count=late_invoices,
        total=principal + interest + compensation,
        deadline=deadline,
        business_days=days,
        calendar=calendar,
        unverified_rates=tuple(unverified[key] for key in sorted(unverified)),
    )


def _unverified_rates(claim: late_payment.Claim) -> list[UnverifiedRate]:
    """The unverified rate rows behind the days of `claim` that earned interest."""
    kind = "late_payment" if claim.regime == "business" else "legal"
    found = []
    for stretch in claim.stretches:
        if not stretch.result.segments:
            continue
        for row in interest_rates.rates_between(kind, stretch.first_day, stretch.last_day):
            if not row.verified:
                found.append(UnverifiedRate(kind, row.valid_from, row.valid_to, row.rate))
    return found


def calendar_of(debtor) -> str | None:
    """The autonomous community whose holidays a deadline given to `debtor` skips: where the
    debtor lives (the demand takes effect where it is received), else where the workspace is
    (its legal address); None when neither address names a Spanish province
    (docs/law.md#deadlines)."""
    if (debtor.country or "ES") == "ES":
        region = region_of(debtor.province, debtor.postal_code)
        if region:
            return region
    workspace = session.get(Workspace, current_tenant_id())
    return region_of(workspace.province, workspace.postal_code) if workspace else None


def payee_of(case: Case) -> Payee:
    """Who is paid and where: the lease's account when it names one, else the workspace's."""
    workspace = session.get(Workspace, current_tenant_id())
    leases = cases.leases_of(case.id)
    iban = (leases[0].iban if leases and leases[0].iban else None) or workspace.iban
    return Payee(beneficiary=workspace.letterhead_name, iban=iban or None)


def rent_description(charge: Charge) -> str:
    if charge.kind == "rent" and charge.period_start is not None:
        month = f"{charge.period_start:%m/%Y}"
        if charge.description in ("", month):  # a generated rent is described by its month
            return month
        return f"{month} · {charge.description}".strip(" ·")
    return charge.description or "—"


def owed_charge(charge: Charge, on: date) -> OwedCharge:
    if charge.kind == "invoice" and charge.number:
        description = charge.description or charge.number
    else:
        description = rent_description(charge)
    return OwedCharge(
        charge_id=charge.id,
        number=charge.number,
        description=description,
        due_date=charge.due_date,
        amount=charge.amount - charge.credited,
        outstanding=charge.outstanding,
        days_late=max((on - charge.due_date).days, 0),
        period=charge.period_start if charge.kind == "rent" else None,
    )


def _segments(claim: late_payment.Claim, label: str) -> list[InterestSegment]:
    return [
        InterestSegment(
            charge_label=label,
            first_day=segment.first_day,
            last_day=segment.last_day,
            days=segment.days,
            principal=stretch.principal,
            rate=segment.rate,
            amount=segment.amount,
        )
        for stretch in claim.stretches
        for segment in stretch.result.segments
    ]


def _demand_dates(case: Case, *, excluding: int | None) -> list[date]:
    """The days the demands of this climb left: sent by email, or posted."""
    rows = session.execute(
        select(Letter.sent_at, Letter.posted_on).where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.kind.in_(DEMANDS),
            or_(Letter.sent_at.is_not(None), Letter.posted_on.is_not(None)),
            Letter.id != (excluding or 0),
        )
    ).all()
    return [date_in_spain(sent) if sent is not None else posted for sent, posted in rows]
