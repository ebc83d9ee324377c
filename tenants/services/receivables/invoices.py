"""Invoices and credit notes of a business workspace: things owed, like rent charges.

An invoice is a Charge of kind "invoice" with a number unique in the workspace; a credit note
is a Charge of kind "credit_note" that lowers the invoice it corrects (`Charge.credited`).
Payments are allocated with the same Allocation rows as rent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import list_currencies
from sqlalchemy import func, select

from tenants.clock import date_in_spain, today_in_spain
from tenants.db import session, utcnow
from tenants.models import Allocation, Charge, ChargeLine, Party, Payment
from tenants.models.ledger import PAYMENT_METHODS
from tenants.services.billing import plans
from tenants.services.collections import cases
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import check_received_on, parse_amount
from tenants.services.rentals.parties import get_party
from tenants.services.rentals.periods import money
from tenants.services.values import check_day

# ISO 4217 codes that babel lists but nobody invoices in: "no currency" (XXX), testing (XTS),
# precious metals, SDR and bond-market units, and withdrawn units of account.
NOT_CURRENCIES = frozenset(
    "XXX XTS XAU XAG XPT XPD XDR XSU XUA XBA XBB XBC XBD XEU XFO XFU XRE".split()
)
CURRENCIES = frozenset(list_currencies()) - NOT_CURRENCIES
VAT_TOLERANCE = Decimal("0.01")


@dataclass
class InvoiceInput:
    party_id: int
    number: str
    issue_date: date
    due_date: date
    total: Decimal | str
    base: Decimal | str | None = None
    vat: Decimal | str | None = None
    currency: str = "EUR"
    description: str = ""


def _check(data: InvoiceInput, *, invoice_id: int | None = None) -> dict:
    get_party(data.party_id)
    number = (data.number or "").strip()
    if not number:
        raise ServiceError("required", "number")
    taken = session.scalar(
        select(Charge.id).where(Charge.kind == "invoice", Charge.number == number)
    )
    if taken is not None and taken != invoice_id:
        raise ServiceError("invoice_number_taken", "number", number=number)
    for name in ("issue_date", "due_date"):
        check_day(getattr(data, name), name)
    if data.due_date < data.issue_date:
        raise ServiceError("due_before_issue", "due_date")
    currency = (data.currency or "EUR").strip().upper()
    if currency not in CURRENCIES:
        raise ServiceError("currency_unknown", "currency")
    total = parse_amount(data.total, "total")
    base = None if data.base in (None, "") else parse_amount(data.base, "base", allow_zero=True)
    vat = None if data.vat in (None, "") else parse_amount(data.vat, "vat", allow_zero=True)
    return {
        "party_id": data.party_id,
        "number": number[:40],
        "issue_date": data.issue_date,
        "due_date": data.due_date,
        "amount": total,
        "base": base,
        "vat": vat,
        "currency": currency,
        "description": (data.description or "").strip()[:200],
    }


def invoice_warnings(invoice: Charge) -> list[tuple[str, dict]]:
    """VAT that does not add up is shown, not refused: the invoice is what was issued."""
    if invoice.base is not None and invoice.vat is not None:
        expected = money(invoice.base + invoice.vat)
        if abs(expected - invoice.amount) > VAT_TOLERANCE:
            return [("vat_mismatch", {"expected": expected, "total": invoice.amount})]
    return []


def create_invoice(data: InvoiceInput) -> Charge:
    values = _check(data)
    plans.check_limit("invoices")
    invoice = Charge(kind="invoice", **values)
    invoice.lines = [
        ChargeLine(
            kind="other",
            description=values["description"] or values["number"],
            amount=values["amount"],
        )
    ]
    session.add(invoice)
    session.flush()
    return invoice


def update_invoice(invoice_id: int, data: InvoiceInput) -> Charge:
    invoice = get_invoice(invoice_id)
    values = _check(data, invoice_id=invoice.id)
    if values["amount"] < invoice.paid + invoice.credited:
        raise ServiceError("total_below_paid", "total")
    for key, value in values.items():
        setattr(invoice, key, value)
    for line in invoice.lines:
        line.amount = values["amount"]
    session.flush()
    return invoice


def get_invoice(invoice_id: int) -> Charge:
    invoice = session.scalar(
        select(Charge).where(Charge.id == invoice_id, Charge.kind == "invoice")
    )
    if invoice is None:
        raise NotFound(invoice_id)
    return invoice


def find_invoice(number: str) -> Charge | None:
    return session.scalar(
        select(Charge).where(Charge.kind == "invoice", Charge.number == (number or "").strip())
    )


def list_invoices(
    *,
    party_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Charge]:
    """Invoices, newest first, filtered by debtor, status (open/overdue/paid/…) and issue date."""
    query = select(Charge).where(Charge.kind == "invoice")
    if party_id is not None:
        query = query.where(Charge.party_id == party_id)
    if issued_from is not None:
        query = query.where(Charge.issue_date >= issued_from)
    if issued_to is not None:
        query = query.where(Charge.issue_date <= issued_to)
    open_ = Charge.paid + Charge.credited < Charge.amount
    if status == "paid":
        query = query.where(~open_)
    elif status in ("open", "overdue"):
        query = query.where(open_, Charge.written_off_at.is_(None))
        if status == "overdue":
            query = query.where(Charge.due_date < (today or today_in_spain()))
    elif status == "disputed":
        query = query.where(open_, Charge.disputed_at.is_not(None))
    elif status == "written_off":
        query = query.where(Charge.written_off_at.is_not(None))
    query = query.order_by(Charge.issue_date.desc(), Charge.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count_invoices() -> int:
    return session.scalar(select(func.count(Charge.id)).where(Charge.kind == "invoice"))


def set_disputed(invoice_id: int, reason: str | None) -> Charge:
    """Mark disputed (with the debtor's reason) or, with None, settle the dispute."""
    invoice = get_invoice(invoice_id)
    if reason is None:
        invoice.disputed_at, invoice.dispute_reason = None, ""
    else:
        if not reason.strip():
            raise ServiceError("required", "reason")
        invoice.disputed_at, invoice.dispute_reason = utcnow(), reason.strip()[:500]
    session.flush()
    cases.charge_dispute_changed(invoice)
    return invoice


def write_off(invoice_id: int) -> Charge:
    invoice = get_invoice(invoice_id)
    invoice.written_off_at = invoice.written_off_at or utcnow()
    session.flush()
    cases.refresh_after_payment(
        charge_ids=[invoice.id], received_on=date_in_spain(utcnow()), reason="written_off"
    )
    return invoice


def create_credit_note(invoice_id: int, *, number: str, issue_date: date, amount) -> Charge:
    """A credit note lowering what `invoice` asks for (e.g. returned goods, a discount)."""
    invoice = get_invoice(invoice_id)
    number = (number or "").strip()
    if not number:
        raise ServiceError("required", "number")
    if session.scalar(
        select(Charge.id).where(Charge.kind == "credit_note", Charge.number == number)
    ):
        raise ServiceError("invoice_number_taken", "number", number=number)
    check_day(issue_date, "issue_date")
    value = parse_amount(amount)
    if value > invoice.outstanding:
        raise ServiceError("credit_above_outstanding", "amount", outstanding=invoice.outstanding)
    note = Charge(
        kind="credit_note",
        party_id=invoice.party_id,
        number=number[:40],
        issue_date=issue_date,
        due_date=issue_date,
        amount=value,
        currency=invoice.currency,
        credits_charge_id=invoice.id,
        description=invoice.number or "",
    )
    invoice.credited += value
    session.add(note)
    session.flush()
    cases.refresh_after_payment(charge_ids=[invoice.id], received_on=issue_date)
    return note


def record_invoice_payment(
    invoice_id: int,
    *,
    received_on: date,
    amount,
    method: str = "transfer",
    reference: str = "",
    source: str = "manual",
    tell_cases: bool = True,
) -> Payment:
    """Money received for one invoice. More than it owes is refused: say which invoice.

    `tell_cases=False` leaves the collection case to the caller (several payments of one
    sum, tenants/services/portal/payments.py)."""
    invoice = get_invoice(invoice_id)
    check_received_on(received_on)
    if method not in PAYMENT_METHODS:
        raise ServiceError("choice_invalid", "method")
    value = parse_amount(amount)
    if value > invoice.outstanding:
        raise ServiceError("payment_above_outstanding", "amount", outstanding=invoice.outstanding)
    payment = Payment(
        party_id=invoice.party_id,
        received_on=received_on,
        amount=value,
        currency=invoice.currency,
        method=method,
        reference=(reference or "").strip()[:140],
        source=source,
    )
    payment.allocations.append(Allocation(charge_id=invoice.id, amount=value))
    invoice.paid += value
    session.add(payment)
    session.flush()
    if tell_cases:
        cases.refresh_after_payment(charge_ids=[invoice.id], received_on=received_on)
    return payment


def payments_of(invoice_id: int) -> list[tuple[date, Decimal]]:
    """(date received, amount) of what was paid on the invoice, oldest first."""
    rows = session.execute(
        select(Payment.received_on, Allocation.amount)
        .join(Payment, Payment.id == Allocation.payment_id)
        .where(Allocation.charge_id == invoice_id)
        .order_by(Payment.received_on, Allocation.id)
    ).all()
    return [(on, amount) for on, amount in rows]


def attach_document(invoice_id: int, *, sha256: str, filename: str) -> Charge:
    invoice = get_invoice(invoice_id)
    invoice.attachment_sha256, invoice.attachment_name = sha256, (filename or "")[:200]
    return invoice


def debtor_of(invoice: Charge) -> Party | None:
    return session.get(Party, invoice.party_id) if invoice.party_id else None
