"""Money paid online for a case: booked like any payment, and taken back when it goes back.

`pay_case` spreads one sum over the case's open charges through the payment services the rest
of Amparo uses (rent through receivables.payments.record_payment, invoices oldest first through
invoices.record_invoice_payment), so the allocation code stays in one place and the case reacts
as it already does to a payment: closed when cleared (letters not yet sent cancelled, a thank-you
email), re-anchored when partly paid. The cases are told once, after the whole sum is booked, so
a sum that clears three invoices reads as one payment on the timeline, not two partial ones.

`take_back_payments` is the other way: a card payment refunded or charged back. The money comes
off the very Payment rows it was booked as (receivables.payments.take_back keeps
`Charge.paid` equal to its allocations), so the charges it paid are owed again; a closed case
reopens where its ladder was, counting again from that day (`reopen_cases`). A negative
"correction" payment was the other way; it would leave the original payment's unused credit
free for `allocate` to hand out again, and every sum of payments would have to learn about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tenants.db import session
from tenants.models import Case, Charge, Payment
from tenants.services.collections import cases, ladders
from tenants.services.receivables import invoices
from tenants.services.receivables import payments as lease_payments
from tenants.services.receivables.payments import check_received_on, parse_amount

ZERO = Decimal("0.00")


def _charges_to_pay(case: Case, on: date) -> list[Charge]:
    """What the debtor was asked for first (the chaseable charges, oldest first), then the
    case's other open charges (paused or disputed), oldest first."""
    claimed = cases.charges_of_cases([case.id], on).get(case.id, [])
    seen = {c.id for c in claimed}
    return claimed + [c for c in cases.open_charges(case.id) if c.id not in seen]


def pay_case(
    case_id: int,
    amount: Decimal,
    *,
    received_on: date,
    method: str,
    reference: str,
    source: str = "stripe",
) -> list[Payment]:
    """Book `amount` received for the case on `received_on` over its open charges; returns
    the Payment rows it was booked as (one per lease, one per invoice).

    What is left once every charge is paid (the interest and costs a demand claims, or a
    payment that crossed another) stays as the debtor's credit: on their last lease, as a
    transfer of too much would, or on the client when the case holds only invoices."""
    case = cases.get_case(case_id)
    left = parse_amount(amount)
    check_received_on(received_on)
    lease_shares: dict[int, Decimal] = {}
    invoice_shares: list[tuple[int, Decimal]] = []
    for charge in _charges_to_pay(case, received_on):
        if left <= 0:
            break
        share = min(left, charge.outstanding)
        left -= share
        if charge.lease_id is not None:
            lease_shares[charge.lease_id] = lease_shares.get(charge.lease_id, ZERO) + share
        else:
            invoice_shares.append((charge.id, share))
    if left > 0:
        leases = list(lease_shares) or [lease.id for lease in cases.leases_of(case.id)]
        if leases:
            lease_shares[leases[-1]] = lease_shares.get(leases[-1], ZERO) + left
            left = ZERO
    booked = dict(received_on=received_on, method=method, reference=reference, source=source)
    made = [
        lease_payments.record_payment(lease_id=lease_id, amount=share, tell_cases=False, **booked)
        for lease_id, share in lease_shares.items()
    ]
    made += [
        invoices.record_invoice_payment(invoice_id, amount=share, tell_cases=False, **booked)
        for invoice_id, share in invoice_shares
    ]
    if left > 0:  # nothing of a lease to keep it on: the client's credit
        credit = Payment(party_id=case.party_id, amount=left, currency="EUR", **booked)
        session.add(credit)
        made.append(credit)
    session.flush()
    paid = {a.charge_id for payment in made for a in payment.allocations}
    cases.refresh_after_payment(charge_ids=paid, received_on=received_on)
    return made


def take_back_payments(payments: Iterable[Payment], amount: Decimal) -> set[int]:
    """Take `amount` off these payments, the last booked first; returns the ids of the charges
    owed again. A payment taken back whole is left at 0 for the caller to delete (with what
    points at it)."""
    left = Decimal(amount)
    reopened: set[int] = set()
    for payment in sorted(payments, key=lambda p: p.id, reverse=True):
        if left <= 0:
            break
        share = min(left, payment.amount)
        reopened.update(lease_payments.take_back(payment, share))
        left -= share
    return reopened


def reopen_cases(charge_ids: Iterable[int], on: date) -> None:
    """These charges are owed again since `on`: a closed case among theirs opens again, in a
    new cycle at the step it had reached, its next step counting from `on` (as after a
    partial payment). An open or paused case just goes on: its next letter claims them."""
    case_ids = set(
        session.scalars(
            select(Charge.case_id).where(
                Charge.id.in_(list(charge_ids)), Charge.case_id.is_not(None)
            )
        )
    )
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
        if case.status != "closed":
            continue
        case.status, case.closed_at, case.closed_reason = "open", None, None
        case.cycle += 1
        table = ladders.offsets(case.ladder)
        case.anchor_date = on - timedelta(days=table.get(case.stage, 0))
        cases.schedule(case, case.ladder, on)
    session.flush()
