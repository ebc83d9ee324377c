"""Leases: creating them with their renters, guarantors, extras and deposit; ending them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import and_, or_, select
from stdnum import iban as iban_check

from tenants.db import session
from tenants.models import Allocation, Charge, Deposit, Lease, LeaseExtra, LeaseParty
from tenants.models.leases import EXTRA_KINDS, PAYMENT_METHODS, UPDATE_CLAUSES
from tenants.models.properties import USES
from tenants.services.billing import plans
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import allocate, parse_amount
from tenants.services.rentals import deposits, periods
from tenants.services.rentals.parties import get_party
from tenants.services.rentals.properties import get_unit
from tenants.services.values import MAX_MONEY, Percent, check_day, column_max

IRAV_FROM = date(2023, 5, 25)  # housing contracts signed from this day update by IRAV (LAU 18)
OPEN_STATUSES = ("draft", "active")
# A deposit for a non-housing lease is two months of rent (LAU art. 36.1), and it is stored in
# a Numeric(12, 2) column like the rent: the rent stops at half its bound.
MAX_RENT = (MAX_MONEY / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


@dataclass
class LeaseInput:
    unit_id: int
    renter_ids: list[int]
    start_date: date
    rent: Decimal | str
    end_date: date | None = None
    guarantor_ids: list[int] = field(default_factory=list)
    use: str | None = None  # defaults to the unit's use
    due_day: int = 1
    payment_method: str = "transfer"
    iban: str | None = None
    update_clause: str = "none"
    update_fixed_pct: Decimal | str | None = None
    signed_on: date | None = None
    billed_from: date | None = None  # None: from the start date
    reference: str | None = None
    status: str = "active"
    extras: list[tuple[str, str, Decimal | str]] = field(default_factory=list)
    deposit_amount: Decimal | str | None = None  # None: the legal amount
    guarantee_kind: str = "none"
    guarantee_amount: Decimal | str | None = None
    deposit_region: str | None = None


def check_iban(raw: str | None) -> str | None:
    value = iban_check.compact(raw or "")
    if not value:
        return None
    if not iban_check.is_valid(value):
        raise ServiceError("iban_invalid", "iban")
    return value


def _overlapping(unit_id: int, start: date, end: date | None, exclude_id: int | None = None):
    query = select(Lease).where(
        Lease.unit_id == unit_id,
        Lease.status.in_(OPEN_STATUSES),
        or_(Lease.end_date.is_(None), Lease.end_date >= start),
    )
    if end is not None:
        query = query.where(Lease.start_date <= end)
    if exclude_id is not None:
        query = query.where(Lease.id != exclude_id)
    return session.scalar(query.limit(1))


def create_lease(data: LeaseInput) -> Lease:
    """A lease on a unit with its parties, extras and deposit. Checks everything first."""
    unit = get_unit(data.unit_id)
    if not data.renter_ids:
        raise ServiceError("renter_required", "renter_ids")
    renters = [get_party(pid) for pid in data.renter_ids]
    guarantors = [get_party(pid) for pid in data.guarantor_ids]
    check_day(data.start_date, "start_date")
    for name in ("end_date", "signed_on", "billed_from"):
        if getattr(data, name) is not None:
            check_day(getattr(data, name), name)
    if data.end_date is not None and data.end_date <= data.start_date:
        raise ServiceError("end_before_start", "end_date")
    billed_from = data.billed_from or data.start_date
    if (
        not isinstance(billed_from, date)
        or billed_from < data.start_date
        or (data.end_date is not None and billed_from > data.end_date)
    ):
        raise ServiceError("billed_from_invalid", "billed_from")
    rent = parse_amount(data.rent, "rent", maximum=MAX_RENT)
    if not 1 <= int(data.due_day) <= 31:
        raise ServiceError("due_day_invalid", "due_day")
    use = data.use or unit.use
    for value, choices, name in (
        (use, USES, "use"),
        (data.payment_method, PAYMENT_METHODS, "payment_method"),
        (data.update_clause, UPDATE_CLAUSES, "update_clause"),
        (data.status, OPEN_STATUSES, "status"),
    ):
        if value not in choices:
            raise ServiceError("choice_invalid", name)
    fixed_pct = None
    if data.update_clause == "fixed":
        fixed_pct = parse_amount(
            data.update_fixed_pct,
            "update_fixed_pct",
            maximum=Percent(column_max(Lease.update_fixed_pct)),
        )
    iban = check_iban(data.iban)
    if data.payment_method in ("transfer", "direct_debit") and iban is None:
        raise ServiceError("iban_required", "iban")
    other = _overlapping(unit.id, data.start_date, data.end_date)
    if other is not None:
        raise ServiceError("lease_overlap", "start_date", since=other.start_date)
    plans.check_limit("leases")
    extras = []
    for kind, description, amount in data.extras:
        if kind not in EXTRA_KINDS:
            raise ServiceError("choice_invalid", "extras")
        extras.append(
            LeaseExtra(
                kind=kind,
                description=(description or "").strip()[:120],
                amount=parse_amount(amount, "extras"),
            )
        )
    if rent + sum(extra.amount for extra in extras) > MAX_MONEY:  # the monthly charge's column
        raise ServiceError("amount_too_large", "rent", max=MAX_MONEY)

    lease = Lease(
        unit_id=unit.id,
        reference=(data.reference or "").strip() or None,
        use=use,
        start_date=data.start_date,
        end_date=data.end_date,
        signed_on=data.signed_on,
        billed_from=billed_from,
        rent=rent,
        due_day=int(data.due_day),
        payment_method=data.payment_method,
        iban=iban,
        update_clause=data.update_clause,
        update_fixed_pct=fixed_pct,
        status=data.status,
        extras=extras,
    )
    lease.parties = [LeaseParty(party_id=p.id, role="renter") for p in renters] + [
        LeaseParty(party_id=p.id, role="guarantor") for p in guarantors
    ]
    session.add(lease)
    session.flush()
    deposits.create_deposit(
        lease,
        amount=data.deposit_amount,
        guarantee_kind=data.guarantee_kind,
        guarantee_amount=data.guarantee_amount,
        region=data.deposit_region,
    )
    return lease


def lease_warnings(lease: Lease) -> list[tuple[str, dict]]:
    """Things the law would question, shown to the landlord but not blocking."""
    warnings = []
    signed = lease.signed_on or lease.start_date
    if lease.use == "housing" and lease.update_clause == "ipc" and signed >= IRAV_FROM:
        warnings.append(("irav_expected", {}))
    deposit = deposit_of(lease.id)
    if deposit is not None:
        warnings += deposits.deposit_warnings(lease, deposit)
    return warnings


def get_lease(lease_id: int) -> Lease:
    lease = session.scalar(select(Lease).where(Lease.id == lease_id))
    if lease is None:
        raise NotFound(lease_id)
    return lease


def deposit_of(lease_id: int) -> Deposit | None:
    return session.scalar(select(Deposit).where(Deposit.lease_id == lease_id))


def list_leases(status: str | None = None) -> list[Lease]:
    """The leases in use (archived ones are on the archive page), newest first."""
    query = (
        select(Lease)
        .where(Lease.archived_at.is_(None))
        .order_by(Lease.start_date.desc(), Lease.id.desc())
    )
    if status:
        query = query.where(Lease.status == status)
    return list(session.scalars(query))


def activate_lease(lease_id: int) -> Lease:
    lease = get_lease(lease_id)
    if lease.status != "draft":
        raise ServiceError("lease_not_draft")
    lease.status = "active"
    return lease


def end_lease(lease_id: int, *, ended_on: date, keys_returned_on: date | None = None) -> Lease:
    """End a lease on `ended_on` (early if before its agreed end).

    Charges for months after the end disappear if unpaid; the last month is prorated, and
    money already paid beyond it becomes credit (allocations trimmed newest first).
    """
    lease = get_lease(lease_id)
    if lease.status not in OPEN_STATUSES:
        raise ServiceError("lease_not_open")
    check_day(ended_on, "ended_on")
    if ended_on < lease.start_date:
        raise ServiceError("end_before_start", "ended_on")
    early = lease.end_date is not None and ended_on < lease.end_date
    lease.status = "terminated" if early else "ended"
    lease.ended_on = ended_on
    later = session.scalars(
        select(Charge).where(
            Charge.lease_id == lease.id,
            Charge.kind == "rent",
            Charge.period_start > ended_on,
        )
    ).all()
    for charge in later:
        _shrink_charge(charge, Decimal("0"))
        session.delete(charge)
    last = session.scalar(
        select(Charge).where(
            and_(
                Charge.lease_id == lease.id,
                Charge.kind == "rent",
                Charge.period_start <= ended_on,
                Charge.period_end > ended_on,
            )
        )
    )
    if last is not None:
        first_day = max(last.period_start, lease.start_date)
        new_lines = [
            periods.prorated(line.amount, last.period_start, first_day, ended_on)
            for line in last.lines
        ]
        for line, amount in zip(last.lines, new_lines, strict=True):
            line.amount = amount
        _shrink_charge(last, sum(new_lines, Decimal("0")))
        last.period_end = ended_on
    deposit = deposit_of(lease.id)
    if deposit is not None and keys_returned_on is not None:
        deposit.keys_returned_on = keys_returned_on
    session.flush()
    allocate(lease.id)
    return lease


def _shrink_charge(charge: Charge, new_amount: Decimal) -> None:
    """Lower a charge's amount, releasing allocations beyond it (newest first) as credit."""
    excess = charge.paid - new_amount
    if excess > 0:
        allocations = session.scalars(
            select(Allocation)
            .where(Allocation.charge_id == charge.id)
            .order_by(Allocation.id.desc())
        ).all()
        for allocation in allocations:
            if excess <= 0:
                break
            take = min(excess, allocation.amount)
            allocation.amount -= take
            excess -= take
            if allocation.amount == 0:
                session.delete(allocation)
        charge.paid = min(charge.paid, new_amount)
    charge.amount = new_amount
