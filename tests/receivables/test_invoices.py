"""Invoices and credit notes at service level: what is accepted, what is refused (with which
code, changing nothing), and the status a person sees."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

_numbers = itertools.count(1)


def _client(**fields):
    from tenants.services.rentals import parties

    return parties.create_party(
        **{"name": f"Distribuciones {next(_numbers)} S.L.", "kind": "company", **fields}
    )


def _data(party, **fields):
    from tenants.services.receivables.invoices import InvoiceInput

    values = {
        "party_id": party.id,
        "number": f"F-2025-{next(_numbers):04d}",
        "issue_date": date(2025, 3, 1),
        "due_date": date(2025, 3, 31),
        "total": "1210.00",
        "base": "1000.00",
        "vat": "210.00",
    }
    return InvoiceInput(**{**values, **fields})


def _snapshot(invoice) -> tuple:
    return (
        invoice.number,
        invoice.issue_date,
        invoice.due_date,
        invoice.amount,
        invoice.base,
        invoice.vat,
        invoice.currency,
        invoice.paid,
        invoice.credited,
        [line.amount for line in invoice.lines],
    )


def _refused(code: str, field: str, call, *args, **kwargs):
    from tenants.services.errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    assert (caught.value.code, caught.value.field) == (code, field)
    return caught.value


def test_create_and_update_an_invoice(business):
    from tenants import db
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(
        _data(party, number=" F-2025-0100 ", total="1.210,00", currency="eur", description="Lote")
    )
    db.session.commit()
    assert invoice.kind == "invoice"
    assert invoice.number == "F-2025-0100"
    assert invoice.amount == Decimal("1210.00")
    assert (invoice.base, invoice.vat) == (Decimal("1000.00"), Decimal("210.00"))
    assert invoice.currency == "EUR"
    assert invoice.status == "open"
    assert invoice.outstanding == Decimal("1210.00")
    assert [line.amount for line in invoice.lines] == [Decimal("1210.00")]
    assert invoices.find_invoice("F-2025-0100").id == invoice.id

    invoices.update_invoice(
        invoice.id,
        _data(
            party,
            number="F-2025-0100",
            total="2420.00",
            base="2000.00",
            vat="420.00",
            due_date=date(2025, 4, 30),
        ),
    )
    db.session.commit()
    again = invoices.get_invoice(invoice.id)
    assert again.amount == Decimal("2420.00")
    assert again.due_date == date(2025, 4, 30)
    assert [line.amount for line in again.lines] == [Decimal("2420.00")]
    assert invoices.count_invoices() == 1


def test_a_duplicate_invoice_number_is_refused_and_nothing_changes(business):
    from tenants.services.receivables import invoices

    party = _client()
    first = invoices.create_invoice(_data(party, number="F-1"))
    second = invoices.create_invoice(_data(party, number="F-2"))
    before = _snapshot(second)

    _refused("invoice_number_taken", "number", invoices.create_invoice, _data(party, number="F-1"))
    _refused(
        "invoice_number_taken",
        "number",
        invoices.update_invoice,
        second.id,
        _data(party, number=" F-1 ", total="99.00"),
    )
    assert invoices.count_invoices() == 2
    assert _snapshot(second) == before
    # Keeping its own number is not a duplicate
    invoices.update_invoice(first.id, _data(party, number="F-1", total="1210.00"))


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"due_date": date(2025, 2, 28)}, "due_before_issue", "due_date"),
        ({"total": "-10.00"}, "amount_not_positive", "total"),
        ({"total": "0"}, "amount_not_positive", "total"),
        ({"total": "0,00"}, "amount_not_positive", "total"),
        ({"total": "doce"}, "amount_invalid", "total"),
        ({"total": "10,005"}, "amount_cents", "total"),
        ({"currency": "EURO"}, "currency_unknown", "currency"),
        ({"currency": "XXX"}, "currency_unknown", "currency"),  # ISO "no currency"
        ({"currency": "XTS"}, "currency_unknown", "currency"),  # ISO "testing"
        ({"currency": "ABC"}, "currency_unknown", "currency"),
        ({"number": "  "}, "required", "number"),
        ({"issue_date": "2025-03-01"}, "date_invalid", "issue_date"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_changes_nothing(business, fields, code, field):
    from tenants.services.receivables import invoices

    party = _client()
    existing = invoices.create_invoice(_data(party))
    before = _snapshot(existing)

    _refused(code, field, invoices.create_invoice, _data(party, **fields))
    _refused(code, field, invoices.update_invoice, existing.id, _data(party, **fields))

    assert invoices.count_invoices() == 1
    assert _snapshot(existing) == before


def test_other_real_currencies_are_accepted(business):
    from tenants.services.receivables import invoices

    party = _client()
    for code in ("USD", "gbp", "CHF", "XOF"):  # XOF: the West African CFA franc
        assert invoices.create_invoice(_data(party, currency=code)).currency == code.upper()


def test_vat_that_does_not_add_up_is_a_warning_not_an_error(business):
    from tenants.services.receivables import invoices

    party = _client()
    right = invoices.create_invoice(_data(party))
    assert invoices.invoice_warnings(right) == []
    cent_off = invoices.create_invoice(_data(party, total="1210.01"))
    assert invoices.invoice_warnings(cent_off) == []  # rounding of a cent is tolerated

    wrong = invoices.create_invoice(_data(party, total="1200.00", base="1000.00", vat="210.00"))
    assert wrong.amount == Decimal("1200.00")  # stored as issued
    assert invoices.invoice_warnings(wrong) == [
        ("vat_mismatch", {"expected": Decimal("1210.00"), "total": Decimal("1200.00")})
    ]
    no_breakdown = invoices.create_invoice(_data(party, base=None, vat=None))
    assert invoices.invoice_warnings(no_breakdown) == []


def test_a_credit_note_above_the_outstanding_is_refused(business):
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(_data(party, total="1000.00", base=None, vat=None))
    invoices.record_invoice_payment(invoice.id, received_on=date(2025, 4, 1), amount="600.00")

    error = _refused(
        "credit_above_outstanding",
        "amount",
        invoices.create_credit_note,
        invoice.id,
        number="R-1",
        issue_date=date(2025, 4, 2),
        amount="400.01",
    )
    assert error.params == {"outstanding": Decimal("400.00")}
    assert invoice.credited == Decimal("0.00")
    assert invoice.outstanding == Decimal("400.00")

    note = invoices.create_credit_note(
        invoice.id, number="R-1", issue_date=date(2025, 4, 2), amount="400,00"
    )
    assert note.kind == "credit_note"
    assert note.credits_charge_id == invoice.id
    assert invoice.credited == Decimal("400.00")
    assert invoice.outstanding == Decimal("0.00")
    assert invoice.status == "paid"
    _refused(
        "invoice_number_taken",
        "number",
        invoices.create_credit_note,
        invoice.id,
        number="R-1",
        issue_date=date(2025, 4, 2),
        amount="1",
    )


def test_a_payment_above_the_outstanding_is_refused(business):
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(_data(party, total="500.00", base=None, vat=None))

    error = _refused(
        "payment_above_outstanding",
        "amount",
        invoices.record_invoice_payment,
        invoice.id,
        received_on=date(2025, 4, 1),
        amount="500.01",
    )
    assert error.params == {"outstanding": Decimal("500.00")}
    _refused(
        "amount_not_positive",
        "amount",
        invoices.record_invoice_payment,
        invoice.id,
        received_on=date(2025, 4, 1),
        amount="0",
    )
    assert invoice.paid == Decimal("0.00")
    assert invoices.payments_of(invoice.id) == []

    invoices.record_invoice_payment(invoice.id, received_on=date(2025, 4, 1), amount="500.00")
    assert invoices.payments_of(invoice.id) == [(date(2025, 4, 1), Decimal("500.00"))]


def test_a_total_below_what_was_paid_is_refused(business):
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(_data(party, total="500.00", base=None, vat=None))
    invoices.record_invoice_payment(invoice.id, received_on=date(2025, 4, 1), amount="300.00")
    before = _snapshot(invoice)
    data = _data(party, number=invoice.number, total="299.99", base=None, vat=None)
    _refused("total_below_paid", "total", invoices.update_invoice, invoice.id, data)
    assert _snapshot(invoice) == before


def test_status_is_derived_from_payments_dispute_and_write_off(business):
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(_data(party, total="1000.00", base=None, vat=None))
    assert invoice.status == "open"

    invoices.record_invoice_payment(invoice.id, received_on=date(2025, 4, 1), amount="250.00")
    assert invoice.status == "partly_paid"

    invoices.set_disputed(invoice.id, "  Mercancía dañada  ")
    assert invoice.status == "disputed"
    assert invoice.dispute_reason == "Mercancía dañada"
    _refused("required", "reason", invoices.set_disputed, invoice.id, "   ")
    assert invoice.status == "disputed"
    invoices.set_disputed(invoice.id, None)
    assert invoice.status == "partly_paid"

    invoices.write_off(invoice.id)
    assert invoice.status == "written_off"

    paid = invoices.create_invoice(_data(party, total="80.00", base=None, vat=None))
    invoices.record_invoice_payment(paid.id, received_on=date(2025, 4, 1), amount="80.00")
    assert paid.status == "paid"


def test_list_invoices_filters_by_status_and_debtor_and_pages(business):
    from tenants.services.receivables import invoices

    one, other = _client(), _client()
    today = date(2025, 6, 1)

    def make(party, issued, due, number):
        return invoices.create_invoice(
            _data(
                party,
                number=number,
                issue_date=issued,
                due_date=due,
                total="100.00",
                base=None,
                vat=None,
            )
        )

    overdue = make(one, date(2025, 4, 1), date(2025, 5, 1), "A-1")
    not_yet_due = make(one, date(2025, 5, 20), date(2025, 6, 20), "A-2")
    paid = make(one, date(2025, 4, 2), date(2025, 5, 2), "A-3")
    invoices.record_invoice_payment(paid.id, received_on=date(2025, 5, 2), amount="100.00")
    disputed = make(other, date(2025, 4, 3), date(2025, 5, 3), "B-1")
    invoices.set_disputed(disputed.id, "No pedido")
    written_off = make(other, date(2025, 4, 4), date(2025, 5, 4), "B-2")
    invoices.write_off(written_off.id)

    def numbers(**filters):
        return [i.number for i in invoices.list_invoices(today=today, **filters)]

    # Newest issue date first
    assert numbers() == ["A-2", "B-2", "B-1", "A-3", "A-1"]
    assert numbers(status="overdue") == ["B-1", "A-1"]
    assert numbers(status="open") == ["A-2", "B-1", "A-1"]
    assert numbers(status="paid") == ["A-3"]
    assert numbers(status="disputed") == ["B-1"]
    assert numbers(status="written_off") == ["B-2"]
    assert numbers(party_id=other.id) == ["B-2", "B-1"]
    assert numbers(party_id=one.id, status="overdue") == ["A-1"]
    assert overdue.number == "A-1" and not_yet_due.number == "A-2"

    assert numbers(limit=2) == ["A-2", "B-2"]
    assert numbers(limit=2, offset=2) == ["B-1", "A-3"]
    assert numbers(limit=2, offset=4) == ["A-1"]
    assert numbers(limit=2, offset=6) == []


def test_another_workspaces_invoice_is_not_found(business, app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.errors import NotFound
    from tenants.services.receivables import invoices

    party = _client()
    invoice = invoices.create_invoice(_data(party, total="100.00", base=None, vat=None))
    db.session.commit()
    invoice_id, before = invoice.id, _snapshot(invoice)

    other_id, _slug = create_workspace(name="Otra S.L.", kind="business", owner_email="bea@x.es")
    with tenant_context(other_id):
        db.session.expunge_all()
        other_party = _client()
        for call in (
            lambda: invoices.get_invoice(invoice_id),
            lambda: invoices.update_invoice(invoice_id, _data(other_party, total="1.00")),
            lambda: invoices.record_invoice_payment(
                invoice_id, received_on=date(2025, 4, 1), amount="1.00"
            ),
            lambda: invoices.create_credit_note(
                invoice_id, number="R-9", issue_date=date(2025, 4, 1), amount="1.00"
            ),
            lambda: invoices.set_disputed(invoice_id, "x"),
            lambda: invoices.write_off(invoice_id),
        ):
            with pytest.raises(NotFound):
                call()
        assert invoices.list_invoices() == []
        assert invoices.find_invoice(before[0]) is None
        # The same number is free in another workspace
        invoices.create_invoice(_data(other_party, number=before[0]))
        db.session.commit()

    db.session.expunge_all()
    again = invoices.get_invoice(invoice_id)
    assert _snapshot(again) == before
    assert again.written_off_at is None and again.disputed_at is None


def test_an_invoice_for_another_workspaces_party_is_not_found(business, create_workspace):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.errors import NotFound
    from tenants.services.receivables import invoices

    party = _client()
    db.session.commit()
    other_id, _slug = create_workspace(name="Otra S.L.", kind="business", owner_email="bea@x.es")
    with tenant_context(other_id):
        with pytest.raises(NotFound):
            invoices.create_invoice(_data(party))
        assert invoices.count_invoices() == 0
        db.session.rollback()


def test_a_party_with_a_cif_is_a_business_a_person_with_a_dni_is_not_unless_said(business):
    from tenants.services.rentals import parties

    company = parties.create_party(name="Talleres Norte", tax_id="B12345674")
    assert company.tax_id_type == "cif"
    assert company.kind == "company"
    assert company.is_business is True

    person = parties.create_party(name="Lucía Pérez", tax_id="12345678Z")
    assert person.tax_id_type == "dni"
    assert not person.is_business

    freelancer = parties.create_party(name="Marta Gil", tax_id="87654321X", is_business=True)
    assert freelancer.kind == "person"
    assert freelancer.is_business is True

    # Getting a CIF later makes the debtor a business
    parties.update_party(person.id, tax_id="A58326372")
    assert person.kind == "company"
    assert person.is_business is True
