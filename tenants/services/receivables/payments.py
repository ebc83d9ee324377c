"""Payments, their allocation to charges (oldest first), credit, and the per-lease ledger.

This module is the only writer of allocations and of `Charge.paid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tenants.clock import today_in_spain
from tenants.db import session
from tenants.models import Allocation, Charge, Lease, Payment
from tenants.models.ledger import PAYMENT_METHODS
from tenants.services.errors import NotFound, ServiceError
from tenants.services.rentals.periods import money
from tenants.services.values import MAX_MONEY, check_day, parse_money

ZERO = Decimal("0")


def parse_amount(
    raw, field: str = "amount", *, allow_zero: bool = False, maximum: Decimal = MAX_MONEY
) -> Decimal:
    """A positive amount in euros from "1.234,56", "1234.56" or a Decimal (values.py)."""
    return parse_money(raw, field, allow_zero=allow_zero, maximum=maximum)


def check_received_on(received_on, field: str = "received_on") -> date:
    """A day money came in: a real date, and not later than today in Spain (a payment in 2031
    is a typing mistake, and would pay charges that are not due)."""
    check_day(received_on, field)
    if received_on > today_in_spain():
        raise ServiceError("date_in_future", field)
    return received_on


def _lease(lease_id: int) -> Lease:
    lease = session.scalar(select(Lease).where(Lease.id == lease_id))
    if lease is None:
        raise NotFound(lease_id)
    return lease


def record_payment(
    *,
    lease_id: int,
    received_on: date,
    amount,
    method: str = "transfer",
    reference: str = "",
    source: str = "manual",
    tell_cases: bool = True,
) -> Payment:
    """Record money received for a lease and allocate it to the oldest open charges.

    `tell_cases=False` leaves the collection cases to the caller, who books several payments
    of one sum (tenants/services/portal/payments.py) and tells them once."""
    lease = _lease(lease_id)
    check_received_on(received_on)
    # Rent is often paid at signing, before the lease starts; never before it was signed.
    earliest = min(d for d in (lease.signed_on, lease.start_date) if d is not None)
    if received_on < earliest:
        raise ServiceError("payment_before_lease", "received_on", since=earliest)
    if method not in PAYMENT_METHODS:
        raise ServiceError("choice_invalid", "method")
    renters = lease.renters
    payment = Payment(
        lease_id=lease.id,
        party_id=renters[0].id if renters else None,
        received_on=received_on,
        amount=parse_amount(amount),
        currency=lease.currency,
        method=method,
        reference=(reference or "").strip()[:140],
        source=source,
    )
    session.add(payment)
    session.flush()
    allocate(lease.id, tell_cases=tell_cases)
    return payment


def allocate(lease_id: int, *, tell_cases: bool = True) -> None:
    """Spread unallocated money over open charges, oldest due date first."""
    charges = list(
        session.scalars(
            select(Charge)
            .where(Charge.lease_id == lease_id, Charge.paid + Charge.credited < Charge.amount)
            .order_by(Charge.due_date, Charge.id)
            .with_for_update()
        )
    )
    if not charges:
        return
    payments = session.scalars(
        select(Payment)
        .where(Payment.lease_id == lease_id)
        .order_by(Payment.received_on, Payment.id)
    ).all()
    queue = iter(charges)
    charge = next(queue, None)
    touched: dict[int, date] = {}  # charge id -> the day its latest money arrived
    for payment in payments:
        free = payment.unallocated
        while free > 0 and charge is not None:
            share = min(free, charge.outstanding)
            session.add(Allocation(payment=payment, charge_id=charge.id, amount=share))
            charge.paid += share
            free -= share
            touched[charge.id] = payment.received_on
            if charge.outstanding <= 0:
                charge = next(queue, None)
        if charge is None:
            break
    session.flush()
    if touched and tell_cases:
        _tell_cases(list(touched), max(touched.values()))


def take_back(payment: Payment, amount: Decimal) -> list[int]:
    """Money of `payment` went back to the payer (a card refund, a chargeback): it is no longer
    received. It comes off the payment's unused credit first, then off the charges it paid, so
    those are owed again. On a lease, the lease's money is then spread over its charges again,
    oldest first: the charges owed again are the latest ones, whichever payment went back and
    in whatever order payments and refunds were booked. Returns their ids; the caller tells
    their cases (they reopen). A payment taken back whole is left at 0 for the caller to
    delete."""
    amount = min(money(Decimal(amount)), payment.amount)
    if payment.lease_id is not None:
        return _take_back_from_lease(payment, amount)
    from_charges = max(amount - max(payment.unallocated, ZERO), ZERO)
    reopened = []
    for allocation in sorted(payment.allocations, key=lambda a: a.id, reverse=True):
        if from_charges <= 0:
            break
        share = min(from_charges, allocation.amount)
        allocation.charge.paid -= share
        allocation.amount -= share
        from_charges -= share
        reopened.append(allocation.charge_id)
        if allocation.amount <= 0:
            payment.allocations.remove(allocation)
    payment.amount -= amount
    session.flush()
    return reopened


def _take_back_from_lease(payment: Payment, amount: Decimal) -> list[int]:
    lease_id = payment.lease_id
    payment.amount -= amount
    before: dict[int, Decimal] = {}
    for held in session.scalars(select(Payment).where(Payment.lease_id == lease_id)).all():
        for allocation in list(held.allocations):
            before[allocation.charge_id] = (
                before.get(allocation.charge_id, ZERO) + allocation.amount
            )
            allocation.charge.paid -= allocation.amount
            held.allocations.remove(allocation)
    session.flush()
    allocate(lease_id, tell_cases=False)
    after = dict(
        session.execute(
            select(Allocation.charge_id, func.sum(Allocation.amount))
            .join(Payment, Allocation.payment_id == Payment.id)
            .where(Payment.lease_id == lease_id)
            .group_by(Allocation.charge_id)
        ).all()
    )
    return [charge_id for charge_id, was in before.items() if after.get(charge_id, ZERO) < was]


def _tell_cases(charge_ids: list[int], received_on: date, reason: str = "paid") -> None:
    """Money reached these charges: their collection cases close or re-anchor."""
    # Imported here: the cases service itself parses amounts with this module.
    from tenants.services.collections import cases

    cases.refresh_after_payment(charge_ids=charge_ids, received_on=received_on, reason=reason)


def apply_credits() -> int:
    """Allocate leftover credit to charges created since (after a month's generation)."""
    allocated = (
        select(func.coalesce(func.sum(Allocation.amount), 0))
        .where(Allocation.payment_id == Payment.id)
        .scalar_subquery()
    )
    lease_ids = session.scalars(
        select(Payment.lease_id).where(Payment.amount > allocated).distinct()
    ).all()
    for lease_id in lease_ids:
        allocate(lease_id)
    return len(lease_ids)


def credit(lease_id: int) -> Decimal:
    """Money received for the lease and not yet used by any charge."""
    received = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.lease_id == lease_id)
    )
    used = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount), 0))
        .join(Payment, Payment.id == Allocation.payment_id)
        .where(Payment.lease_id == lease_id)
    )
    return money(Decimal(received) - Decimal(used))


def balance_on(lease_id: int, on: date) -> Decimal:
    """What the renters owe at the end of `on`: charges due by then minus payments received by
    then. Negative means they are in credit."""
    due = session.scalar(
        select(func.coalesce(func.sum(Charge.amount), 0)).where(
            Charge.lease_id == lease_id, Charge.due_date <= on
        )
    )
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.lease_id == lease_id, Payment.received_on <= on
        )
    )
    return money(Decimal(due) - Decimal(paid))


def balances_on(lease_ids: list[int], on: date) -> dict[int, Decimal]:
    """`balance_on` for many leases at once (a list of leases), in two grouped queries."""
    if not lease_ids:
        return {}
    due = session.execute(
        select(Charge.lease_id, func.sum(Charge.amount))
        .where(Charge.lease_id.in_(lease_ids), Charge.due_date <= on)
        .group_by(Charge.lease_id)
    ).all()
    paid = session.execute(
        select(Payment.lease_id, func.sum(Payment.amount))
        .where(Payment.lease_id.in_(lease_ids), Payment.received_on <= on)
        .group_by(Payment.lease_id)
    ).all()
    balances = dict.fromkeys(lease_ids, ZERO)
    for lease_id, amount in due:
        balances[lease_id] += Decimal(amount)
    for lease_id, amount in paid:
        balances[lease_id] -= Decimal(amount)
    return {lease_id: money(value) for lease_id, value in balances.items()}


@dataclass(frozen=True)
class LedgerEntry:
    on: date
    kind: str  # "charge" or "payment"
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    ref_id: int


def ledger(lease_id: int, until: date | None = None) -> list[LedgerEntry]:
    """Charges (on their due date) and payments, oldest first, with the running balance."""
    charges = session.scalars(select(Charge).where(Charge.lease_id == lease_id)).all()
    payments = session.scalars(select(Payment).where(Payment.lease_id == lease_id)).all()
    rows = [(c.due_date, 0, c.id, "charge", c.description, c.amount) for c in charges]
    rows += [(p.received_on, 1, p.id, "payment", p.reference, p.amount) for p in payments]
    entries, balance = [], ZERO
    for on, _order, ref_id, kind, description, amount in sorted(rows):
        if until is not None and on > until:
            break
        debit = amount if kind == "charge" else ZERO
        paid = amount if kind == "payment" else ZERO
        balance += debit - paid
        entries.append(LedgerEntry(on, kind, description, debit, paid, balance, ref_id))
    return entries


def payments_of_lease(lease_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.lease_id == lease_id)
            .order_by(Payment.received_on.desc(), Payment.id.desc())
        )
    )


def get_payment(payment_id: int) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.id == payment_id))
    if payment is None:
        raise NotFound(payment_id)
    return payment
