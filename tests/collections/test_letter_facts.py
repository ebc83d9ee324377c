"""What a ladder letter states, built from the database as the render job builds it and read back
with pypdf: the amounts owed on the day it is written, the earlier letters only when there were
some, who it is for and who signs, how it travels, and a guarantor's copy limited to the lease
the guarantor signed for."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.collections.conftest import GUARANTOR, RENDER_WARNING, RENTER, months_before, pdf_text
from tests.collections.test_claims import rates_until_next_year  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

MONTHS = (
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
).split()


def rent_of(period: date) -> str:
    return f"Renta de {MONTHS[period.month - 1]} de {period.year}"


def madrid(day: date) -> datetime:
    from tenants.clock import spanish_time

    return spanish_time(day, datetime.min.time().replace(hour=10))


def record(case_id: int, kind: str, *, guarantors: bool = False) -> list[int]:
    """The case's letter for step `kind` (and its guarantors' copies when asked)."""
    from tenants import db
    from tenants.models import Case
    from tenants.services.collections import cases, letters

    case = db.session.get(Case, case_id)
    step = next(s for s in case.ladder.steps if s.kind == kind)
    case.stage = step.position
    copies_to = cases.guarantors_of(case.id) if guarantors else []
    made = letters.record_step_letters(case, step, copies_to)
    db.session.flush()
    return [letter.id for letter in made]


def text_of(letter_id: int, on: date, language: str | None = None) -> str:
    """The letter written on `on`, as the render job writes it (context, then PDF)."""
    from letters import compose
    from letters.context import build_context
    from tenants import db
    from tenants.models import Letter

    letter = db.session.get(Letter, letter_id)
    now = madrid(on)
    context = build_context(letter, now, base_url="https://amparo.example")
    rendered = compose.render_letter(context, language or letter.language, now=now)
    return pdf_text(rendered.pdf)


def in_tenant(app, tenant_id: int, fn):
    from tenants import db
    from tenants.db import tenant_context

    with app.app_context(), tenant_context(tenant_id):
        result = fn()
        db.session.commit()
        return result


def test_a_letter_claims_every_charge_overdue_on_the_day_it_is_written(
    app,
    landlord,
    make_case,
    rates_until_next_year,  # noqa: F811
):
    from tenants.clock import today_in_spain
    from tenants.models import Charge
    from tenants.services.rentals import charges

    data = make_case(landlord.id)
    today = today_in_spain()
    next_month = months_before(today, -1)

    def write():
        [demand] = record(data.case_id, "formal_demand")
        # Next month's rent is billed and falls due after the case took in the first two; the
        # demand is written the day after it fell due, before any sweep took it in.
        charges.generate_rent_charges(next_month)
        from tenants import db

        new = db.session.scalars(
            select(Charge).where(
                Charge.lease_id == data.lease_id, Charge.period_start == next_month
            )
        ).one()
        assert new.case_id is None
        written_on = new.due_date + timedelta(days=1)
        return text_of(demand, written_on), new.case_id

    text, taken_in = in_tenant(app, landlord.id, write)

    for months in (2, 1):
        assert rent_of(months_before(today, months)) in text
    assert rent_of(next_month) in text
    assert "2.550,00 €" in text  # the principal: three rents of 850 EUR
    assert taken_in == data.case_id  # and the case page shows it too from now on


def test_a_first_letter_speaks_of_no_earlier_letter_and_a_later_one_names_them_with_dates(
    app, landlord, make_case
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Letter
    from tenants.services.collections import letters

    data = make_case(landlord.id)
    today = today_in_spain()

    def first_contact():
        [claim] = record(data.case_id, "claim_2")
        return text_of(claim, today), text_of(claim, today, "en")

    spanish, english = in_tenant(app, landlord.id, first_contact)
    for words in ("reclamaciones anteriores", "comunicaciones anteriores", "cartas anteriores"):
        assert words not in spanish
    assert "previous letters" not in english and "earlier letters" not in english
    assert "No nos consta el pago de las cantidades siguientes" in spanish

    def later():
        [reminder] = record(data.case_id, "reminder")
        sent = db.session.get(Letter, reminder)
        sent.status = "sending"
        sent.pdf_sha256 = "0" * 64
        letters.mark_sent(sent, None)
        sent.sent_at = madrid(today - timedelta(days=9))
        [claim] = record(data.case_id, "claim_1")
        return text_of(claim, today), text_of(claim, today, "en")

    spanish, english = in_tenant(app, landlord.id, later)
    from letters.i18n import long_date

    day = today - timedelta(days=9)
    assert f"Recordatorio de pago del {long_date(day, 'es')}" in spanish
    assert "pese a nuestro recordatorio anterior" in spanish
    assert f"Payment reminder of {long_date(day, 'en')}" in english


def test_the_certified_demand_is_named_for_how_it_travels_and_never_a_burofax(
    app,
    landlord,
    make_case,
    rates_until_next_year,  # noqa: F811
):
    from tenants.clock import today_in_spain

    data = make_case(landlord.id)

    def write():
        [demand] = record(data.case_id, "certified_demand")
        return text_of(demand, today_in_spain())

    text = in_tenant(app, landlord.id, write)
    banner = "Carta certificada con acuse de recibo y certificación de contenido emitida por Amparo"
    assert banner.upper() in text  # the banner prints in capitals
    assert "burofax" not in text.lower()
    assert "Este certificado, emitido por Amparo" in text
    assert "reclamaciones anteriores" not in text  # the first letter this debtor gets


def test_a_letter_greets_its_recipient_prints_their_address_and_is_signed_by_a_person(
    app, landlord, make_case
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Party

    data = make_case(landlord.id)
    today = today_in_spain()

    def write():
        db.session.scalars(
            select(Party).where(Party.name == GUARANTOR)
        ).one().street = "Calle Sol 9"
        ids = record(data.case_id, "claim_1", guarantors=True)
        return [text_of(i, today) for i in ids]

    renter, guarantor = in_tenant(app, landlord.id, write)

    assert f"Estimado/a {RENTER}:" in renter
    assert "Calle Luna 3" in renter and "28004 Madrid" in renter
    assert f"Estimado/a {GUARANTOR}:" in guarantor and "Calle Sol 9" in guarantor
    for text in (renter, guarantor):
        # The concept reads like a rent receipt, not "09/2026 · 09/2026".
        assert rent_of(months_before(today, 2)) in text
        assert f"{months_before(today, 2):%m/%Y} ·" not in text
        # Signed by the workspace's owner, for the landlord.
        assert "Fdo.: Ana Pérez En nombre de Pisos Rosa" in text


def test_a_person_with_a_form_of_address_is_greeted_by_it_in_their_language(
    app, landlord, make_case
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Party

    data = make_case(landlord.id, renter="Sofia Rossi")
    today = today_in_spain()

    [letter] = in_tenant(app, landlord.id, lambda: record(data.case_id, "claim_1"))

    def write(form: str | None, name: str = "Sofia Rossi") -> list[str]:
        party = db.session.get(Party, data.renter_id)
        party.form_of_address, party.name = form, name
        db.session.flush()
        return [text_of(letter, today, "es"), text_of(letter, today, "en")]

    es, en = in_tenant(app, landlord.id, lambda: write("sra"))
    assert "Estimada Sra. Rossi:" in es and "Estimado/a" not in es
    assert "Dear Ms Rossi," in en
    # A Spanish name of three words: both surnames.
    es, en = in_tenant(app, landlord.id, lambda: write("sr", "Marcos Gómez Ruiz"))
    assert "Estimado Sr. Gómez Ruiz:" in es and "Dear Mr Gómez Ruiz," in en
    # Not said: named in full, as before.
    es, en = in_tenant(app, landlord.id, lambda: write(None))
    assert "Estimado/a Sofia Rossi:" in es and "Dear Sofia Rossi," in en


def test_the_letters_are_signed_by_whom_the_letterhead_names(
    app, landlord, make_case, rows, message
):
    from tenants.clock import today_in_spain
    from tests.collections.test_ladder_ui import LETTERHEAD, letterhead
    from tests.rentals.test_properties_ui import field_error

    data = make_case(landlord.id)
    today = today_in_spain()
    fields = letterhead(signatory_name="Ana Pérez Gil", signatory_role="abogada", iban="")

    def saved() -> dict:
        [ws] = rows(
            "SELECT signatory_name, signatory_role FROM workspaces WHERE id = :id", id=landlord.id
        )
        return ws

    # Bad input first: refused with a message next to the field, and nothing changes.
    one_line = "Escríbelo en una sola línea"
    for field, value, error in (
        ("signatory_name", "Ana Pérez\nGil", one_line),
        ("signatory_name", "A" * 121, "120"),
        ("signatory_role", "abogada\tsocia", one_line),
        ("signatory_role", "a" * 81, "80"),
    ):
        response = landlord.post(
            LETTERHEAD,
            {**fields, field: value},
            page=LETTERHEAD,
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert error in field_error(response.get_data(as_text=True), field)
        assert saved() == {"signatory_name": "", "signatory_role": ""}

    response = landlord.post(
        LETTERHEAD, fields, page=LETTERHEAD, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert saved() == {"signatory_name": "Ana Pérez Gil", "signatory_role": "abogada"}
    assert 'value="Ana Pérez Gil"' in landlord.page(LETTERHEAD)

    def write() -> list[str]:
        [letter] = record(data.case_id, "claim_1")
        return [text_of(letter, today, "es"), text_of(letter, today, "en")]

    es, en = in_tenant(app, landlord.id, write)
    assert "Fdo.: Ana Pérez Gil, abogada En nombre de Rosa Vidal Pons" in es
    assert "Signed: Ana Pérez Gil, abogada On behalf of Rosa Vidal Pons" in en


def test_a_company_is_greeted_as_one(app, create_workspace):
    from tenants.clock import today_in_spain
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    today = today_in_spain()

    def write():
        client = parties.create_party(
            name="Talleres Norte SL", tax_id="B12345674", kind="company", street="Polígono 4"
        )
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-7",
                issue_date=today - timedelta(days=40),
                due_date=today - timedelta(days=10),
                total="121.00",
            )
        )
        cases.take_in_overdue(today, "business")
        from tenants import db

        db.session.flush()
        [letter] = record(invoices.get_invoice(invoice.id).case_id, "reminder")
        return text_of(letter, today)

    text = in_tenant(app, workspace_id, write)
    assert "Muy señores nuestros:" in text
    assert "Estimado/a" not in text
    assert "Polígono 4" in text


def test_a_guarantors_copy_lists_only_the_charges_of_the_lease_they_signed_for(
    app, landlord, make_case
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Charge, Party
    from tenants.services.collections import cases
    from tenants.services.rentals import charges, leases, parties, properties

    data = make_case(landlord.id)
    today = today_in_spain()

    def second_lease():
        # The same renter also rents a parking space, guaranteed by someone else.
        prop = properties.create_property(
            name="Garaje Norte",
            street="Calle Norte 1",
            postal_code="28015",
            city="Madrid",
            province="Madrid",
        )
        unit = properties.add_unit(prop.id, label="Plaza 7")
        other = parties.create_party(name="Pedro Garaje", tax_id="00000000T", street="Calle A 1")
        leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id,
                renter_ids=[data.renter_id],
                guarantor_ids=[other.id],
                start_date=months_before(today, 2),
                rent="95",
                payment_method="cash",
            )
        )
        for months in (2, 1):
            charges.generate_rent_charges(months_before(today, months))
        cases.take_in_overdue(today, "landlord")
        db.session.flush()
        held = db.session.scalars(select(Charge).where(Charge.case_id == data.case_id)).all()
        assert len(held) == 4  # one case for the renter, both leases
        ids = record(data.case_id, "claim_1", guarantors=True)
        names = [db.session.get(Party, pid).name for pid in _parties(ids)]
        return dict(zip(names, (text_of(i, today) for i in ids), strict=True))

    texts = in_tenant(app, landlord.id, second_lease)

    assert set(texts) == {RENTER, GUARANTOR, "Pedro Garaje"}
    assert "95,00 €" in texts[RENTER] and "850,00 €" in texts[RENTER]
    assert "1.890,00 €" in texts[RENTER]
    anna = texts[GUARANTOR]
    assert "850,00 €" in anna and "1.700,00 €" in anna
    assert "95,00 €" not in anna and "Garaje Norte" not in anna and "1.890,00 €" not in anna
    pedro = texts["Pedro Garaje"]
    assert "95,00 €" in pedro and "190,00 €" in pedro
    assert "850,00 €" not in pedro and "Calle Mayor 12" not in pedro
    # The debtor's page shows the whole case: the copies do not lead there.
    assert "amparo.example/p/" in texts[RENTER]
    assert "amparo.example/p/" not in anna and "amparo.example/p/" not in pedro


def _parties(letter_ids: list[int]) -> list[int]:
    from tenants import db
    from tenants.models import Letter

    return [db.session.get(Letter, i).party_id for i in letter_ids]


def test_the_case_page_says_a_paper_letter_cannot_be_prepared_without_an_address(
    app, landlord, make_case, es
):
    from tenants import db
    from tenants.models import Party

    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"

    html = landlord.page(page)
    [warning] = re.findall(r'<div class="alert alert-warning no-address".*?</div>', html, re.S)
    # The guarantor has neither address nor email; the renter has an address.
    assert GUARANTOR in warning and RENTER not in warning
    assert (
        es(
            "%(name)s has no postal address, and a coming step of the ladder sends them a paper "
            "letter: it cannot be prepared without one.",
            name=GUARANTOR,
        )
        in warning
    )

    def add_address():
        db.session.scalars(
            select(Party).where(Party.name == GUARANTOR)
        ).one().street = "Calle Sol 9"

    in_tenant(app, landlord.id, add_address)
    assert "no-address" not in landlord.page(page)


@pytest.fixture
def in_process_jobs(app, monkeypatch):
    """Jobs called in-process run in this app, as `flask worker` binds it."""
    from jobs import runtime

    monkeypatch.setattr(runtime, "_bound_app", app)


def test_an_email_to_a_business_client_attaches_the_invoices_on_file(
    app, create_workspace, inbox, in_process_jobs
):
    from flask import current_app

    from jobs.letters import deliver_letter, render_letter
    from tenants.clock import today_in_spain
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties
    from tenants.storage import DocumentStore
    from tests.collections.conftest import letter_pdf

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    today = today_in_spain()

    def book():
        client = parties.create_party(
            name="Talleres Norte SL", tax_id="B12345674", email="pagos@talleres.example"
        )
        made = []
        for number, days in (("F-7", 40), ("F-8", 20)):
            made.append(
                invoices.create_invoice(
                    invoices.InvoiceInput(
                        party_id=client.id,
                        number=number,
                        issue_date=today - timedelta(days=days + 30),
                        due_date=today - timedelta(days=days),
                        total="121.00",
                    )
                ).id
            )
        # Only F-7 has its PDF on file.
        sha256 = DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(
            letter_pdf("Factura F-7 de Suministros Ana")
        )
        invoices.attach_document(made[0], sha256=sha256, filename="F-7.pdf")
        cases.take_in_overdue(today, "business")
        from tenants import db

        db.session.flush()
        [letter] = record(invoices.get_invoice(made[0]).case_id, "reminder")
        return letter

    letter_id = in_tenant(app, workspace_id, book)
    render_letter(workspace_id, letter_id)
    deliver_letter(workspace_id, letter_id)

    (message,) = inbox.to("pagos@talleres.example")
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {f"AMP-C{_case_of(app, workspace_id, letter_id)}.pdf", "F-7.pdf"}
    assert "Factura F-7 de Suministros Ana" in pdf_text(files["F-7.pdf"])


def _case_of(app, tenant_id: int, letter_id: int) -> int:
    from tenants import db
    from tenants.models import Letter

    return in_tenant(app, tenant_id, lambda: db.session.get(Letter, letter_id).case_id)


def test_a_demand_approved_on_a_later_day_leaves_with_what_is_owed_that_day(
    app,
    landlord,
    make_case,
    in_process_jobs,
    rows,
    rates_until_next_year,  # noqa: F811
):
    from jobs.letters import render_letter
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Letter, User
    from tenants.services.collections import letters
    from tenants.services.receivables import invoices
    from tenants.storage import DocumentStore

    data = make_case(landlord.id)
    today = today_in_spain()
    [demand] = in_tenant(app, landlord.id, lambda: record(data.case_id, "formal_demand"))
    render_letter(landlord.id, demand)
    [row] = rows("SELECT status, context FROM letters WHERE id = :i", i=demand)
    assert row["status"] == "awaiting_approval" and row["context"]["total"] == "1700.00"

    def next_day():
        # Written yesterday; since then a new charge of the renter fell due.
        letter = db.session.get(Letter, demand)
        letter.rendered_at = letter.rendered_at - timedelta(days=1)
        invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=data.renter_id,
                number="GC-11",
                issue_date=today - timedelta(days=20),
                due_date=today - timedelta(days=1),
                total="120.00",
            )
        )
        owner = db.session.scalars(select(User).order_by(User.id)).first()
        letters.approve(demand, owner)
        return db.session.get(Letter, demand).status

    assert in_tenant(app, landlord.id, next_day) == "rendering"
    render_letter(landlord.id, demand)

    [row] = rows("SELECT status, context, pdf_sha256 FROM letters WHERE id = :i", i=demand)
    assert row["status"] in ("sending", "sent")  # approved: it leaves once written again
    assert row["context"]["total"] == "1820.00" and row["context"]["date"] == today.isoformat()
    text = pdf_text(DocumentStore(app.config["DOCUMENTS_DIR"]).get(row["pdf_sha256"]))
    assert "GC-11" in text and "1.820,00 €" in text
