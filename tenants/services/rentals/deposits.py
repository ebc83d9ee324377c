"""The fianza (LAU art. 36): its legal amount, the cap on additional guarantees, lodgement with
the regional body, and the settlement when the keys come back.

- Cash fianza: 1 month of rent for housing, 2 for other uses (art. 36.1).
- Additional guarantees on housing leases of up to 5 years (7 if the landlord is a legal person)
  are capped at 2 months of rent (art. 36.5, RDL 7/2019); a lease with no end date agreed
  lasts one year, renewed up to that minimum (art. 9), so the cap applies.
- The balance is returned within one month of the keys being handed back; after that it
  earns the legal interest rate (art. 36.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tenants.clock import today_in_spain
from tenants.db import current_tenant_id, session
from tenants.models import Deposit, DepositDeduction, Lease, Payment, Workspace
from tenants.models.deposits import DEDUCTION_KINDS, GUARANTEE_KINDS
from tenants.services.collections import letters
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables import interest
from tenants.services.receivables.payments import allocate, balance_on, parse_amount
from tenants.services.rentals import periods
from tenants.services.values import check_day

# Where the fianza is lodged and how soon (docs/law.md#lau-da3-lodgement). Other regions have their
# own bodies and terms: the landlord names the body and we remind one month after signing.
LODGEMENT_BODIES = {
    "madrid": ("Agencia de Vivienda Social (Comunidad de Madrid)", 0, 30),  # 30 days
    "cataluna": ("INCASÒL", 2, 0),  # 2 months
    "other": ("", 1, 0),
}
GUARANTEE_CAP_MONTHS = 2
# The cap binds housing leases of up to this many years, by who the landlord is in law (LAU
# art. 36.5); a landlord not said yet is given the longer term, so no capped lease goes unwarned.
GUARANTEE_CAP_YEARS = {"person": 5, "company": 7, "": 7}


@dataclass(frozen=True)
class GuaranteeCap:
    """Whether LAU art. 36.5 caps this lease's additional guarantee, and why
    (docs/law.md#lau-36-5-guarantees)."""

    applies: bool
    cap: Decimal  # 2 × rent
    reason: str  # other_use, open_term, within_term or beyond_term
    years: int | None  # 5 or 7: the longest lease the cap binds; None for other uses
    landlord: str  # the workspace's entity_kind: person, company or "" (not said)
    end: date | None  # the agreed end; None: no end agreed (one year, LAU art. 9)


def guarantee_cap(lease: Lease) -> GuaranteeCap:
    """Housing leases of up to 5 years, 7 if the landlord is a legal person, cap the additional
    guarantee at two months of rent (LAU art. 36.5). The term is the agreed one, start to end;
    a lease without an end date lasts one year, renewed up to 5 or 7 (LAU art. 9), so it is
    capped. A lease ending on the 5th (7th) anniversary of its start is within the term."""
    cap = periods.money(lease.rent * GUARANTEE_CAP_MONTHS)
    workspace = session.get(Workspace, current_tenant_id())
    landlord = workspace.entity_kind if workspace is not None else ""
    if lease.use != "housing":
        return GuaranteeCap(False, cap, "other_use", None, landlord, lease.end_date)
    years = GUARANTEE_CAP_YEARS.get(landlord, GUARANTEE_CAP_YEARS[""])
    if lease.end_date is None:
        return GuaranteeCap(True, cap, "open_term", years, landlord, None)
    within = lease.end_date <= periods.add_months(lease.start_date, 12 * years)
    reason = "within_term" if within else "beyond_term"
    return GuaranteeCap(within, cap, reason, years, landlord, lease.end_date)


def guarantee_note(lease: Lease, deposit: Deposit) -> tuple[str, dict] | None:
    """Why a guarantee above two months of rent is not questioned: the cap does not bind this
    lease. None when the guarantee is within two months or the cap applies (that is a warning)."""
    check = guarantee_cap(lease)
    if check.applies or deposit.guarantee_amount <= check.cap:
        return None
    if check.reason == "other_use":
        return ("guarantee_cap_other_use", {})
    return (f"guarantee_cap_beyond_{check.landlord or 'unsaid'}", {"end": check.end})


def legal_amount(rent: Decimal, use: str) -> Decimal:
    return periods.money(rent * (1 if use == "housing" else 2))


def create_deposit(
    lease: Lease,
    *,
    amount=None,
    guarantee_kind: str = "none",
    guarantee_amount=None,
    region: str | None = None,
) -> Deposit:
    legal = legal_amount(lease.rent, lease.use)
    held = (
        legal if amount in (None, "") else parse_amount(amount, "deposit_amount", allow_zero=True)
    )
    if guarantee_kind not in GUARANTEE_KINDS:
        raise ServiceError("choice_invalid", "guarantee_kind")
    extra = Decimal("0")
    if guarantee_kind != "none" and guarantee_amount not in (None, ""):
        extra = parse_amount(guarantee_amount, "guarantee_amount", allow_zero=True)
    if region is not None and region not in LODGEMENT_BODIES:
        raise ServiceError("choice_invalid", "deposit_region")
    deposit = Deposit(
        lease_id=lease.id,
        amount=held,
        legal_amount=legal,
        guarantee_kind=guarantee_kind,
        guarantee_amount=extra,
        region=region,
    )
    session.add(deposit)
    session.flush()
    return deposit


def deposit_warnings(lease: Lease, deposit: Deposit) -> list[tuple[str, dict]]:
    warnings = []
    if deposit.amount != deposit.legal_amount:
        months = 1 if lease.use == "housing" else 2
        warnings.append(("deposit_not_legal", {"legal": deposit.legal_amount, "months": months}))
    check = guarantee_cap(lease)
    if check.applies and deposit.guarantee_amount > check.cap:
        # The code says why the cap binds it: the term agreed, and who the landlord is.
        if check.reason == "open_term":
            warnings.append(("guarantee_over_cap_open_term", {"cap": check.cap}))
        else:
            why = check.landlord or "unsaid"
            warnings.append((f"guarantee_over_cap_{why}", {"cap": check.cap, "end": check.end}))
    return warnings


def lodgement_deadline(lease: Lease, deposit: Deposit) -> date | None:
    if deposit.region is None or deposit.lodged_on is not None:
        return None
    _body, months, days = LODGEMENT_BODIES[deposit.region]
    signed = lease.signed_on or lease.start_date
    return periods.add_months(signed, months) + timedelta(days=days)


def get_deposit(deposit_id: int) -> Deposit:
    deposit = session.scalar(select(Deposit).where(Deposit.id == deposit_id))
    if deposit is None:
        raise NotFound(deposit_id)
    return deposit


def record_lodgement(deposit_id: int, *, region: str, reference: str, lodged_on: date) -> Deposit:
    deposit = get_deposit(deposit_id)
    if region not in LODGEMENT_BODIES:
        raise ServiceError("choice_invalid", "region")
    if not (reference or "").strip():
        raise ServiceError("required", "reference")
    check_day(lodged_on, "lodged_on")
    deposit.region, deposit.lodged_reference, deposit.lodged_on = (
        region,
        reference.strip(),
        lodged_on,
    )
    return deposit


def add_deduction(deposit_id: int, *, kind: str, description: str, amount) -> DepositDeduction:
    deposit = get_deposit(deposit_id)
    if deposit.returned_on is not None:
        raise ServiceError("deposit_settled")
    if kind not in DEDUCTION_KINDS:
        raise ServiceError("choice_invalid", "kind")
    if not (description or "").strip():
        raise ServiceError("required", "description")
    deduction = DepositDeduction(
        kind=kind, description=description.strip()[:200], amount=parse_amount(amount)
    )
    deposit.deductions.append(deduction)
    session.flush()
    return deduction


def take_unpaid_rent(deposit_id: int, lease: Lease) -> DepositDeduction | None:
    """Cover the rent still owed from the deposit: a deduction plus a payment that clears the
    charges, so the ledger and the settlement agree."""
    deposit = get_deposit(deposit_id)
    if deposit.returned_on is not None:
        raise ServiceError("deposit_settled")
    on = lease.ended_on or deposit.keys_returned_on or today_in_spain()
    owed = balance_on(lease.id, date.max)  # every charge of the lease, the last month included
    available = deposit.amount - sum((d.amount for d in deposit.deductions), Decimal("0"))
    amount = min(owed, available)
    if amount <= 0:
        return None
    session.add(
        Payment(
            lease_id=lease.id,
            received_on=on,
            amount=amount,
            method="other",
            reference="Fianza",
            source="deposit",
        )
    )
    deduction = DepositDeduction(kind="unpaid_rent", description="", amount=amount)
    deposit.deductions.append(deduction)
    session.flush()
    allocate(lease.id)
    return deduction


@dataclass
class Settlement:
    held: Decimal
    deductions: list[DepositDeduction]
    to_return: Decimal  # never negative
    still_owed: Decimal  # deductions beyond the deposit, still claimable from the renter
    deadline: date | None
    days_late: int
    interest: interest.InterestResult | None
    returned_on: date | None
    warnings: list[str] = field(default_factory=list)


def settlement(deposit: Deposit, today: date) -> Settlement:
    """The settlement as the law frames it, on `today` (or on the day it was returned)."""
    deducted = sum((d.amount for d in deposit.deductions), Decimal("0"))
    balance = deposit.amount - deducted
    deadline = (
        periods.one_month_after(deposit.keys_returned_on) if deposit.keys_returned_on else None
    )
    until = deposit.returned_on or today
    late_interest, days_late = None, 0
    if deadline is not None and until > deadline and balance > 0:
        days_late = (until - deadline).days
        late_interest = interest.simple_interest(balance, deadline, until, "legal")
    return Settlement(
        held=deposit.amount,
        deductions=list(deposit.deductions),
        to_return=max(balance, Decimal("0")),
        still_owed=max(-balance, Decimal("0")),
        deadline=deadline,
        days_late=days_late,
        interest=late_interest,
        returned_on=deposit.returned_on,
    )


def settle(deposit_id: int, *, returned_on: date, returned_amount) -> Deposit:
    """Record that the balance (and any interest owed) was paid back."""
    deposit = get_deposit(deposit_id)
    if deposit.keys_returned_on is None:
        raise ServiceError("keys_not_returned", "returned_on")
    if check_day(returned_on, "returned_on") < deposit.keys_returned_on:
        raise ServiceError("date_invalid", "returned_on")
    deposit.returned_on = returned_on
    deposit.returned_amount = parse_amount(returned_amount, "returned_amount", allow_zero=True)
    session.flush()
    # LAU art. 36: the deductions must be itemised; the settlement letter lists them.
    lease = session.get(Lease, deposit.lease_id)
    letters.record_for_renters(
        lease,
        kind="deposit_settlement",
        key=f"settlement:{deposit.id}",
        source={"deposit_id": deposit.id},
    )
    return deposit


def record_keys_returned(deposit_id: int, *, keys_returned_on: date) -> Deposit:
    """The day the keys came back, when it was not known as the lease ended: it starts the
    one-month return deadline (art. 36.4)."""
    deposit = get_deposit(deposit_id)
    if deposit.returned_on is not None:
        raise ServiceError("deposit_settled")
    lease = session.get(Lease, deposit.lease_id)
    if check_day(keys_returned_on, "keys_returned_on") < lease.start_date:
        raise ServiceError("keys_before_start", "keys_returned_on")
    deposit.keys_returned_on = keys_returned_on
    return deposit
