"""Bank statement import: the CSV a Spanish bank exports is read, each incoming payment gets a
suggested lease (exact or fuzzy), and nothing reaches the rent book until the landlord books it.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token

TODAY = date(2025, 1, 20)  # January's rent charges exist, nothing is paid yet

# What a Spanish bank's "Exportar movimientos" gives: a preamble, ";" between columns, Latin-1
# text, amounts as 1.234,56, operation and value dates, and a balance column.
STATEMENT = """Extracto de movimientos;;;;
Cuenta;ES91 2100 0418 4502 0005 1332;;;
Titular;Ana Pérez;;;

Fecha Operación;Fecha Valor;Concepto;Importe;Saldo
02/01/2025;02/01/2025;TRANSFERENCIA DE GARCIA LOPEZ JUAN ALQUILER ENERO;900,00;10.900,00
03/01/2025;03/01/2025;TRANSF. MARÍA FERNÁNDEZ RUIZ RENTA 2ºB;1.234,56;12.134,56
05/01/2025;05/01/2025;BIZUM DE L. MARTIN SANS;650,00;12.784,56
07/01/2025;07/01/2025;RECIBO COMUNIDAD PROPIETARIOS;-120,00;12.664,56
08/01/2025;08/01/2025;TRANSFERENCIA RECIBIDA PEDIDO 4471;75,00;12.739,56
;;;;12.739,56
""".encode("cp1252")
JUAN = "TRANSFERENCIA DE GARCIA LOPEZ JUAN ALQUILER ENERO"
MARIA = "TRANSF. MARÍA FERNÁNDEZ RUIZ RENTA 2ºB"
LUCIA = "BIZUM DE L. MARTIN SANS"
OUTGOING = "RECIBO COMUNIDAD PROPIETARIOS"
UNKNOWN = "TRANSFERENCIA RECIBIDA PEDIDO 4471"


@pytest.fixture
def es(app):
    """A UI text or a service error as the page shows it: in Spanish (the default), escaped."""
    from flask_babel import force_locale, gettext, ngettext
    from markupsafe import escape

    from tenants.services.errors import ServiceError
    from web.messages import message_for

    class Texts:
        @staticmethod
        def ui(msgid: str, **params) -> str:
            with app.test_request_context(), force_locale("es"):
                return str(escape(gettext(msgid, **params)))

        @staticmethod
        def plural(singular: str, plural: str, num: int) -> str:
            with app.test_request_context(), force_locale("es"):
                return str(escape(ngettext(singular, plural, num)))

        @staticmethod
        def error(code: str, **params) -> str:
            with app.test_request_context(), force_locale("es"):
                return str(escape(message_for(ServiceError(code, **params))))

        @staticmethod
        def money(amount: str) -> str:
            from flask_babel import format_currency

            with app.test_request_context(), force_locale("es"):
                return str(escape(format_currency(Decimal(amount), "EUR")))

    return Texts


@contextmanager
def in_workspace(app, tenant_id: int):
    from tenants import db
    from tenants.db import tenant_context

    with app.app_context(), tenant_context(tenant_id):
        try:
            yield db.session
        finally:
            db.session.rollback()


@pytest.fixture
def rent_book(app, two_tenants):
    """Workspace A: Calle Mayor 12 with three let flats and January's rent charged.

    Returns {"juan": lease_id, "maria": …, "lucia": …}."""
    from tenants.services.rentals import charges, leases, parties, properties

    a = two_tenants[0]
    with in_workspace(app, a.id) as session:
        building = properties.create_property(
            name="Calle Mayor 12",
            street="Calle Mayor 12",
            postal_code="28013",
            city="Madrid",
            province="Madrid",
        )
        ids = {}
        for key, label, name, nif, rent, extras in (
            ("juan", "1º A", "Juan García López", "12345678Z", "850,00", [("community", "", "50")]),
            ("maria", "2º B", "María Fernández Ruiz", "87654321X", "1.234,56", []),
            ("lucia", "3º C", "Lucía Martín Sanz", "11111111H", "700,00", []),
        ):
            unit = properties.add_unit(building.id, label=label)
            renter = parties.create_party(name=name, tax_id=nif)
            lease = leases.create_lease(
                leases.LeaseInput(
                    unit_id=unit.id,
                    renter_ids=[renter.id],
                    start_date=date(2025, 1, 1),
                    rent=rent,
                    payment_method="transfer",
                    iban="ES9121000418450200051332",
                    extras=extras,
                )
            )
            ids[key] = lease.id
        charges.catch_up_rent_charges(TODAY)
        session.commit()
    return ids


def upload(tenant, content: bytes = STATEMENT, filename: str = "movimientos.csv"):
    path = f"/w/{tenant.slug}/bank"
    return tenant.client.post(
        path,
        data={
            "csrf_token": csrf_token(tenant.client, path),
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def post(tenant, path: str, data: dict | None = None):
    token = csrf_token(tenant.client, f"/w/{tenant.slug}/bank")
    return tenant.client.post(path, data={"csrf_token": token, **(data or {})})


def lines(app, tenant) -> list:
    from tenants.models import BankLine

    with in_workspace(app, tenant.id) as session:
        return [
            (
                line.id,
                line.concept,
                line.match,
                line.score,
                line.suggested_lease_id,
                line.status,
            )
            for line in session.scalars(select(BankLine).order_by(BankLine.booked_on))
        ]


def count(app, tenant, model) -> int:
    with in_workspace(app, tenant.id) as session:
        return session.scalar(select(func.count()).select_from(model))


def charge_states(app, tenant) -> dict[int, tuple[str, Decimal]]:
    from tenants.models import Charge

    with in_workspace(app, tenant.id) as session:
        return {c.lease_id: (c.status, c.paid) for c in session.scalars(select(Charge))}


def imported(app, two_tenants, rent_book):
    """Upload the statement as A; returns (A, lines by concept start)."""
    a = two_tenants[0]
    response = upload(a)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return a, {line[1]: line for line in lines(app, a)}


# --- suggestions, and nothing booked ------------------------------------------------------


def test_a_spanish_bank_csv_gets_exact_and_fuzzy_suggestions_and_books_nothing(
    app, two_tenants, rent_book, es
):
    from tenants.models import Allocation, Payment

    a = two_tenants[0]
    response = upload(a)
    assert response.status_code == 302
    page = a.client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    summary = "%(lines)s incoming payments read: %(exact)s exact and %(fuzzy)s possible " + (
        "matches. Nothing is booked until you confirm."
    )
    assert es.ui(summary, lines=4, exact=2, fuzzy=1) in html  # the outgoing receipt is not one
    assert "MARÍA FERNÁNDEZ RUIZ" in html  # Latin-1 read as such
    assert es.money("1234.56") in html and es.money("-120.00") in html

    by_concept = {
        c: (match, score, lease, status) for _id, c, match, score, lease, status in lines(app, a)
    }
    assert by_concept[JUAN] == ("exact", 100, rent_book["juan"], "pending")
    assert by_concept[MARIA] == ("exact", 100, rent_book["maria"], "pending")
    match, score, lease, status = by_concept[LUCIA]
    assert (match, lease, status) == ("fuzzy", rent_book["lucia"], "pending")
    assert 30 <= score < 100
    assert by_concept[UNKNOWN] == ("none", 0, None, "pending")
    assert by_concept[OUTGOING][3] == "ignored"  # money going out

    assert count(app, a, Payment) == count(app, a, Allocation) == 0
    assert {state for state, _paid in charge_states(app, a).values()} == {"open"}


def test_booking_a_line_records_a_bank_transfer_and_pays_the_charge(
    app, two_tenants, rent_book, es
):
    from tenants.models import Payment

    a, by_concept = imported(app, two_tenants, rent_book)
    juan_line = by_concept[JUAN][0]
    lucia_line = by_concept[LUCIA][0]

    response = post(
        a, f"/w/{a.slug}/bank/lines/{lucia_line}/book", {"lease_id": rent_book["lucia"]}
    )
    assert response.status_code == 302
    booked = es.ui("Payment of %(amount)s booked.", amount=es.money("650"))
    assert booked in a.client.get(response.headers["Location"]).get_data(as_text=True)
    post(a, f"/w/{a.slug}/bank/lines/{juan_line}/book")  # no choice: the suggested lease

    with in_workspace(app, a.id) as session:
        payments = {p.lease_id: p for p in session.scalars(select(Payment))}
        assert set(payments) == {rent_book["lucia"], rent_book["juan"]}
        lucia = payments[rent_book["lucia"]]
        assert (lucia.received_on, lucia.amount, lucia.method, lucia.source) == (
            date(2025, 1, 5),
            Decimal("650.00"),
            "transfer",
            "bank",
        )
        assert lucia.reference == "BIZUM DE L. MARTIN SANS"
    states = charge_states(app, a)
    assert states[rent_book["juan"]] == ("paid", Decimal("900.00"))
    assert states[rent_book["lucia"]] == ("partly_paid", Decimal("650.00"))
    assert states[rent_book["maria"]] == ("open", Decimal("0.00"))
    assert {line[0]: line[5] for line in lines(app, a)}[juan_line] == "booked"

    # A second click books nothing twice; a booked line cannot be ignored.
    again = post(a, f"/w/{a.slug}/bank/lines/{juan_line}/book")
    page = a.client.get(again.headers["Location"]).get_data(as_text=True)
    assert es.error("bank_line_booked") in page
    post(a, f"/w/{a.slug}/bank/lines/{juan_line}/ignore")
    assert count(app, a, Payment) == 2
    assert {line[0]: line[5] for line in lines(app, a)}[juan_line] == "booked"


def test_a_line_without_suggestion_needs_a_lease_and_an_ignored_line_cannot_be_booked(
    app, two_tenants, rent_book, es
):
    from tenants.models import Payment

    a, by_concept = imported(app, two_tenants, rent_book)
    unknown = by_concept[UNKNOWN][0]
    outgoing = by_concept[OUTGOING][0]

    response = post(a, f"/w/{a.slug}/bank/lines/{unknown}/book", {"lease_id": ""})
    html = a.client.get(response.headers["Location"]).get_data(as_text=True)
    assert es.error("bank_lease_required") in html
    post(a, f"/w/{a.slug}/bank/lines/{outgoing}/book", {"lease_id": rent_book["juan"]})
    post(a, f"/w/{a.slug}/bank/lines/{unknown}/ignore")
    response = post(a, f"/w/{a.slug}/bank/lines/{unknown}/book", {"lease_id": rent_book["juan"]})
    page = a.client.get(response.headers["Location"]).get_data(as_text=True)
    assert es.error("bank_line_ignored") in page

    assert count(app, a, Payment) == 0
    assert {line[0]: line[5] for line in lines(app, a)}[unknown] == "ignored"


def test_book_all_exact_matches_books_only_the_exact_ones(app, two_tenants, rent_book, es):
    from tenants.models import Payment

    a, by_concept = imported(app, two_tenants, rent_book)
    page = a.client.get(f"/w/{a.slug}/bank/{_statement_id(app, a)}").get_data(as_text=True)
    assert es.plural("Book the %(num)d exact match", "Book all %(num)d exact matches", 2) in page

    response = post(a, f"/w/{a.slug}/bank/{_statement_id(app, a)}/book-exact")
    assert response.status_code == 302
    page = a.client.get(response.headers["Location"]).get_data(as_text=True)
    assert es.plural("%(num)d payment booked.", "%(num)d payments booked.", 2) in page

    with in_workspace(app, a.id) as session:
        booked = sorted(p.lease_id for p in session.scalars(select(Payment)))
    assert booked == sorted([rent_book["juan"], rent_book["maria"]])
    states = charge_states(app, a)
    assert states[rent_book["maria"]] == ("paid", Decimal("1234.56"))
    assert states[rent_book["lucia"]] == ("open", Decimal("0.00"))
    status = {line[1]: line[5] for line in lines(app, a)}
    assert status[LUCIA] == status[UNKNOWN] == "pending"

    post(a, f"/w/{a.slug}/bank/{_statement_id(app, a)}/book-exact")  # again: nothing left
    assert count(app, a, Payment) == 2


def _statement_id(app, tenant) -> int:
    from tenants.models import BankStatement

    with in_workspace(app, tenant.id) as session:
        return session.scalar(select(BankStatement.id))


# --- refused files ------------------------------------------------------------------------


def test_the_same_file_twice_is_refused(app, two_tenants, rent_book, es):
    from tenants.models import BankLine, BankStatement

    a, _lines = imported(app, two_tenants, rent_book)
    response = upload(a, filename="otra-vez.csv")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert es.error("bank_statement_duplicate", filename="movimientos.csv") in html
    assert count(app, a, BankStatement) == 1
    assert count(app, a, BankLine) == 5


def test_malformed_rows_are_each_reported_and_nothing_is_imported(app, two_tenants, rent_book, es):
    from tenants.models import BankLine, BankStatement

    a = two_tenants[0]
    bad = (
        b"Fecha;Concepto;Importe\n"
        b"02/01/2025;ALQUILER GARCIA;900,00\n"
        b"32/01/2025;ALQUILER FERNANDEZ;1.234,56\n"
        b"05/01/2025;BIZUM MARTIN;seiscientos\n"
        b"06/01/2025;SOLO DOS COLUMNAS\n"
        b"07/01/2025;;\n"
    )
    response = upload(a, bad)
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert es.error("bank_rows_invalid", count=4) in html
    # One table row per problem: the row as a spreadsheet numbers it, the column, what is wrong.
    problems = [" ".join(row.split()) for row in html.split('<tr class="row-error">')[1:]]
    expected = [
        (3, "Fecha", es.error("bank_date_invalid", value="32/01/2025")),
        (4, "Importe", es.error("bank_amount_invalid", value="seiscientos")),
        (5, "Importe", es.error("bank_column_missing", column="Importe")),
        (6, "Importe", es.error("bank_amount_missing")),
    ]
    assert len(problems) == len(expected)
    for problem, (row, column, text) in zip(problems, expected, strict=True):
        assert problem.startswith(f"<td>{row}</td> <td>{column}</td> <td>{text}</td>"), problem
    assert count(app, a, BankStatement) == count(app, a, BankLine) == 0


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "extracto.csv", "bank_not_csv"),
        (b"PK\x03\x04\x14\x00\x06\x00", "extracto.xlsx", None),
        (b"", "extracto.csv", "bank_empty"),
        (b"Hola;que;tal\n1;2;3\n", "notas.csv", "bank_header_missing"),
    ],
)
def test_a_file_that_is_not_a_bank_csv_gets_a_clear_message(
    app, two_tenants, es, content, filename, code
):
    from tenants.models import BankStatement

    a = two_tenants[0]
    response = upload(a, content, filename)

    assert response.status_code == 422
    wrong_type = es.ui(
        "Upload the CSV file (.csv or .txt) your bank exports. An Excel file can be saved as "
        "CSV from the spreadsheet."
    )
    assert (es.error(code) if code else wrong_type) in response.get_data(as_text=True)
    assert count(app, a, BankStatement) == 0


# --- isolation ----------------------------------------------------------------------------


def test_another_workspaces_statements_and_lines_are_404(app, two_tenants, rent_book):
    from tenants.models import BankLine, Payment

    a, b = two_tenants
    b_response = upload(b, b"Fecha;Concepto;Importe\n02/01/2025;ALQUILER;900,00\n")
    assert b_response.status_code == 302
    b_statement = _statement_id(app, b)
    [b_line] = [line[0] for line in lines(app, b)]
    a, by_concept = imported(app, two_tenants, rent_book)
    a_line = by_concept[JUAN][0]

    assert a.client.get(f"/w/{a.slug}/bank/{b_statement}").status_code == 404
    for path in (
        f"/w/{a.slug}/bank/lines/{b_line}/book",
        f"/w/{a.slug}/bank/lines/{b_line}/ignore",
        f"/w/{a.slug}/bank/{b_statement}/book-exact",
    ):
        assert post(a, path, {"lease_id": rent_book["juan"]}).status_code == 404, path
    assert "ALQUILER" not in a.client.get(f"/w/{a.slug}/bank").get_data(as_text=True)

    # and B cannot book A's line to anything, nor A book to B's leases
    assert post(b, f"/w/{b.slug}/bank/lines/{a_line}/book").status_code == 404
    with in_workspace(app, b.id) as session:
        assert session.scalar(select(BankLine.status)) == "pending"
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
    assert count(app, a, Payment) == 0


# --- reading the file (no database) -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", Decimal("1234.56")),
        ("-45,00", Decimal("-45.00")),
        ("1234.56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1.234", Decimal("1234.00")),
        ("+850", Decimal("850.00")),
        ("45,00-", Decimal("-45.00")),
        ("850,00 €", Decimal("850.00")),
        ("850,005", None),
        ("1,2,3", None),
        ("doce", None),
        ("", None),
    ],
)
def test_amounts_as_banks_write_them(raw, expected):
    from tenants.services.csv_files import parse_amount

    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/01/2025", date(2025, 1, 3)),
        ("3-1-2025", date(2025, 1, 3)),
        ("2025-01-03", date(2025, 1, 3)),
        ("03/01/25", date(2025, 1, 3)),
        ("29/02/2024", date(2024, 2, 29)),
        ("29/02/2025", None),
        ("01/13/2025", None),
        ("ayer", None),
    ],
)
def test_dates_as_banks_write_them(raw, expected):
    from tenants.services.csv_files import parse_date

    assert parse_date(raw) == expected


def test_an_english_header_comma_separated_utf8_with_bom_and_iso_dates_is_read():
    from tenants.services.rentals.bank_import import parse_statement

    content = (
        "\ufeffDate,Description,Amount,Balance\n"
        '2025-01-02,"Rent January, Núñez",900.00,"1,900.00"\n'
        "2025-01-03,Card payment,-12.50,1887.50\n"
    ).encode()

    parsed = parse_statement(content)

    assert [(p.row, p.booked_on, p.amount, p.concept) for p in parsed] == [
        (2, date(2025, 1, 2), Decimal("900.00"), "Rent January, Núñez"),
        (3, date(2025, 1, 3), Decimal("-12.50"), "Card payment"),
    ]


# --- how sure a suggestion is -------------------------------------------------------------


def test_a_suggestion_is_exact_only_when_amount_and_identity_point_to_one_lease(landlord):
    from tenants.services.rentals import charges, leases, parties, properties
    from tenants.services.rentals.bank_import import import_statement

    building = properties.create_property(
        name="Avenida del Puerto 3",
        street="Avenida del Puerto 3",
        postal_code="46023",
        city="Valencia",
        province="Valencia",
    )
    ids = {}
    for label, name, nif in (("Bajo", "Pedro Gómez Díaz", "11111111H"), ("1º", "Carmen Vidal", "")):
        unit = properties.add_unit(building.id, label=label)
        renter = parties.create_party(name=name, tax_id=nif)
        lease = leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id,
                renter_ids=[renter.id],
                start_date=date(2025, 1, 1),
                rent="800",
                payment_method="cash",
            )
        )
        ids[name.split()[0]] = lease.id
    charges.catch_up_rent_charges(TODAY)
    content = (
        b"Fecha;Concepto;Importe\n"
        b"02/01/2025;ALQUILER ENERO;800,00\n"  # both leases cost 800: no way to tell
        b"03/01/2025;ALQUILER 11111111H;800,00\n"  # Pedro's NIF
        b"04/01/2025;TRANSF GOMEZ DIAZ PEDRO;400,00\n"  # Pedro, but half the rent
        b"05/01/2025;TRANSF DE CARMEN VIDAL;800,00\n"
        b"06/01/2025;TRANSF DE CARMEN VIDAL;1.600,00\n"  # names her, but owes 800
    )

    statement = import_statement("enero.csv", content)

    got = [(line.match, line.suggested_lease_id) for line in statement.lines]
    assert got == [
        ("none", None),
        ("exact", ids["Pedro"]),
        ("fuzzy", ids["Pedro"]),
        ("exact", ids["Carmen"]),
        ("fuzzy", ids["Carmen"]),
    ]
    assert all(30 <= line.score < 100 for line in statement.lines if line.match == "fuzzy")


def test_a_statement_saved_as_utf16_unicode_text_with_tabs_is_imported(app, two_tenants, rent_book):
    """Excel's "Unicode text": UTF-16 with its BOM, cells separated by tabs."""
    a = two_tenants[0]
    content = STATEMENT.decode("cp1252").replace(";", "\t").encode("utf-16")

    response = upload(a, content, "movimientos.txt")

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    by_concept = {c: (match, lease) for _id, c, match, _score, lease, _status in lines(app, a)}
    assert list(by_concept) == [JUAN, MARIA, LUCIA, OUTGOING, UNKNOWN]
    assert by_concept[MARIA] == ("exact", rent_book["maria"])  # "MARÍA FERNÁNDEZ" read as such
