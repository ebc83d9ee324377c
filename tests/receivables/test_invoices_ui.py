"""Invoices as a business meets them in the browser: clients and invoices added through forms,
the PDF issued attached and downloaded back, bad input refused next to its field, payments,
disputes, and what the law lets the business claim on a given date.

Ana owns the business workspace "Suministros Ana" (the `shop` fixture); her requests go through
the real app with CSRF tokens. Rows are read from outside the app (no tenant scoping).
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from markupsafe import escape
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import Tenant, csrf_token, login, post_form

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def shop(create_workspace, make_client) -> Tenant:
    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    client = make_client()
    login(client)
    return Tenant(workspace_id, slug, "ana@example.com", client)


@pytest.fixture
def viewer(app, shop, create_user, make_client):
    """Luis, a viewer of Ana's workspace, logged in on his own client."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    with app.app_context(), tenant_context(shop.id):
        db.session.add(Member(user_id=user_id, role="viewer"))
        db.session.commit()
    client = make_client()
    login(client, "luis@example.com")
    return client


@pytest.fixture
def stored_files(app):
    """The documents in the store (files named by their SHA-256)."""

    def files() -> set[str]:
        root = Path(app.config["DOCUMENTS_DIR"])
        return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()

    return files


# --- helpers ----------------------------------------------------------------------------------


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def add_client(tenant: Tenant, **fields) -> int:
    path = f"/w/{tenant.slug}/parties/new"
    response = post_form(
        tenant.client, path, {"kind": "person", "language": "es", **fields}, token_from=path
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def invoice_fields(client_id: int, **overrides) -> dict:
    return {
        "party_id": str(client_id),
        "number": "F-2025-0001",
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "base": "1.000,00",
        "vat": "210,00",
        "total": "1.210,00",
        "currency": "EUR",
        "description": "Tornillería, marzo",
        **overrides,
    }


def new_invoice(tenant: Tenant, fields: dict):
    path = f"/w/{tenant.slug}/invoices/new"
    return post_upload(tenant.client, path, fields, token_from=path)


def post_upload(client, path: str, fields: dict, token_from: str):
    """POST a multipart form as a browser does. The body is built in memory: the test client
    would spool a large one to a temporary file it never closes (a ResourceWarning)."""
    values = {"csrf_token": csrf_token(client, token_from)}
    for name, value in fields.items():
        if isinstance(value, tuple):  # (stream, file name), as with the test client
            value = FileStorage(value[0], filename=value[1], content_type="application/pdf")
        values[name] = value
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def add_invoice(tenant: Tenant, client_id: int, file=None, **overrides) -> int:
    fields = invoice_fields(client_id, **overrides)
    if file is not None:
        fields["file"] = file
    response = new_invoice(tenant, fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def act(tenant: Tenant, invoice_id: int, action: str, fields: dict | None = None):
    """POST one of the invoice page's forms (token from the invoice page)."""
    page = f"/w/{tenant.slug}/invoices/{invoice_id}"
    return post_upload(tenant.client, f"{page}/{action}", fields or {}, token_from=page)


def status_badge(html: str) -> str:
    match = re.search(r'id="invoice-status"[^>]*>([^<]+)<', html)
    return match.group(1).strip() if match else ""


def invoices_of(rows) -> list[dict]:
    return rows(
        "SELECT number, amount, paid, currency, attachment_sha256 FROM charges "
        "WHERE kind = 'invoice' ORDER BY id"
    )


# --- clients and invoices ---------------------------------------------------------------------


def test_a_business_adds_a_client_and_an_invoice_and_sees_it_listed(shop, rows, es, money):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    add_client(shop, name="Marta Ruiz")  # a consumer: the box left unticked
    add_client(shop, name="Obras Norte", tax_id="B58818501")  # a CIF: always a business

    assert rows("SELECT name, kind, is_business FROM parties ORDER BY name") == [
        {"name": "Marta Ruiz", "kind": "person", "is_business": False},
        {"name": "Obras Norte", "kind": "company", "is_business": True},
        {"name": "Talleres Pérez", "kind": "person", "is_business": True},
    ]
    clients = shop.client.get(f"/w/{shop.slug}/parties").get_data(as_text=True)
    assert clients.count(f"<td>{es('Business')}</td>") == 2
    assert clients.count(f"<td>{es('Consumer')}</td>") == 1

    invoice_id = add_invoice(shop, client_id)

    listing = shop.client.get(f"/w/{shop.slug}/invoices")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert f'href="/w/{shop.slug}/invoices/{invoice_id}"' in html
    assert "F-2025-0001" in html and "Talleres Pérez" in html
    assert html.count(money("1210.00")) == 2  # total and outstanding
    assert invoices_of(rows) == [
        {
            "number": "F-2025-0001",
            "amount": Decimal("1210.00"),
            "paid": Decimal("0.00"),
            "currency": "EUR",
            "attachment_sha256": None,
        }
    ]
    # The menu of a business workspace leads to its clients and invoices.
    assert f'href="/w/{shop.slug}/invoices"' in html
    assert f'href="/w/{shop.slug}/parties"' in html


def test_the_invoice_list_filters_by_status_and_client_and_pages(shop):
    a = add_client(shop, name="Talleres Pérez", is_business="y")
    b = add_client(shop, name="Obras Norte", is_business="y")
    paid = add_invoice(shop, a, number="A-1")
    add_invoice(shop, b, number="B-1")
    act(shop, paid, "payments", {"received_on": "2025-03-20", "amount": "1.210,00"})

    def numbers(query: str) -> list[str]:
        html = shop.client.get(f"/w/{shop.slug}/invoices?{query}").get_data(as_text=True)
        return re.findall(r'<tr class="invoice-row">\s*<td><a [^>]*>([^<]+)</a>', html)

    assert numbers("status=paid") == ["A-1"]
    assert numbers("status=open") == ["B-1"]
    assert numbers(f"client={b}") == ["B-1"]
    assert sorted(numbers("")) == ["A-1", "B-1"]
    assert numbers("page=2") == []


def test_the_pdf_attached_downloads_back_identical(shop, rows, stored_files):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id, file=(io.BytesIO(PDF), "F-2025-0001.pdf"))
    page = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}").get_data(as_text=True)
    assert f'href="/w/{shop.slug}/invoices/{invoice_id}/pdf"' in page

    download = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}/pdf")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data == PDF

    # Replaced later from the invoice's page.
    other = PDF + b"% corrected\n"
    response = act(shop, invoice_id, "attachment", {"file": (io.BytesIO(other), "v2.pdf")})
    assert response.status_code == 302
    assert shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}/pdf").data == other
    assert len(stored_files()) >= 2


@pytest.mark.parametrize(
    ("content", "code", "params"),
    [
        (b"PK\x03\x04 a spreadsheet, renamed", "attachment_not_pdf", {}),
        (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "attachment_too_large", {"mb": 10}),
    ],
    ids=["not-a-pdf", "too-large"],
)
def test_a_file_that_is_not_a_small_pdf_is_refused(
    shop, rows, stored_files, message, content, code, params
):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    before = stored_files()

    response = new_invoice(
        shop, {**invoice_fields(client_id), "file": (io.BytesIO(content), "factura.pdf")}
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "file") == message(code, **params)
    assert invoices_of(rows) == []

    invoice_id = add_invoice(shop, client_id)
    response = act(shop, invoice_id, "attachment", {"file": (io.BytesIO(content), "f.pdf")})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "file") == message(code, **params)
    assert invoices_of(rows)[0]["attachment_sha256"] is None
    assert stored_files() == before
    assert shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}/pdf").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "code", "params"),
    [
        ({"number": "F-2025-0001"}, "number", "invoice_number_taken", {"number": "F-2025-0001"}),
        ({"due_date": "2025-02-28"}, "due_date", "due_before_issue", {}),
        ({"total": "-1.210,00"}, "total", "amount_not_positive", {}),
        ({"currency": "EUX"}, "currency", "currency_unknown", {}),
    ],
    ids=["duplicate-number", "due-before-issue", "negative-total", "unknown-currency"],
)
def test_bad_invoice_input_is_refused_next_to_its_field(
    shop, rows, message, overrides, field, code, params
):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    add_invoice(shop, client_id)  # F-2025-0001
    before = invoices_of(rows)

    fields = invoice_fields(client_id, **{"number": "F-2025-0002", **overrides})
    response = new_invoice(shop, fields)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, field) == message(code, **params)
    assert invoices_of(rows) == before


def test_vat_that_does_not_add_up_is_shown_as_a_warning(shop, app, money):
    from web.messages import warning_text

    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id, total="1.200,00")  # base 1.000 + VAT 210

    html = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}").get_data(as_text=True)
    with app.test_request_context(), force_locale("es"):
        amounts = {"expected": Decimal("1210.00"), "total": Decimal("1200.00")}
        expected = str(escape(warning_text("vat_mismatch", amounts)))
    assert 'class="alert alert-warning invoice-warning"' in html
    assert expected in html

    fine = add_invoice(shop, client_id, number="F-2025-0002")
    html = shop.client.get(f"/w/{shop.slug}/invoices/{fine}").get_data(as_text=True)
    assert "invoice-warning" not in html


# --- payments, disputes, the claim ------------------------------------------------------------


def test_a_partial_payment_then_a_dispute(shop, rows, es, money):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)

    response = act(
        shop,
        invoice_id,
        "payments",
        {
            "received_on": "2025-04-10",
            "amount": "1.000,50",
            "method": "transfer",
            "reference": "TRF 881",
        },
    )
    assert response.status_code == 302
    html = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}").get_data(as_text=True)
    assert status_badge(html) == es("Partly paid")
    assert f'id="invoice-outstanding">{money("209.50")}<' in html
    assert invoices_of(rows)[0]["paid"] == Decimal("1000.50")

    response = act(shop, invoice_id, "dispute", {"reason": "Two boxes arrived broken."})
    assert response.status_code == 302
    html = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}").get_data(as_text=True)
    assert status_badge(html) == es("Disputed")
    assert "Two boxes arrived broken." in html
    listing = shop.client.get(f"/w/{shop.slug}/invoices?status=disputed").get_data(as_text=True)
    assert "F-2025-0001" in listing

    assert act(shop, invoice_id, "undispute").status_code == 302
    html = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}").get_data(as_text=True)
    assert status_badge(html) == es("Partly paid")


def test_a_payment_above_what_is_owed_is_refused(shop, rows, message):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)

    response = act(shop, invoice_id, "payments", {"received_on": "2025-04-10", "amount": "2.000"})

    assert response.status_code == 422
    expected = message("payment_above_outstanding", outstanding=Decimal("1210.00"))
    assert field_error(response.get_data(as_text=True), "amount") == expected
    assert invoices_of(rows)[0]["paid"] == Decimal("0.00")


def test_the_claim_on_a_date_shows_the_interest_and_the_40_euros(shop, money):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)  # 1.210,00 due 31/03/2025

    page = f"/w/{shop.slug}/invoices/{invoice_id}?as_of=2025-04-30"
    html = shop.client.get(page).get_data(as_text=True)

    # 30 days at 11,15 % (ECB + 8, first half of 2025): 1.210 × 0,1115 × 30 / 365 = 11,09 €
    breakdown = html.split('id="claim-breakdown"', 1)[1].split("</table>", 1)[0]
    assert "Resolución SGTFI, Ley 3/2004 art. 7, 1S 2025" in breakdown
    assert ">30<" in breakdown
    assert f'id="claim-interest">{money("11.09")}<' in html
    assert f'id="claim-compensation">{money("40.00")}<' in html
    assert f'id="claim-total">{money("1261.09")}<' in html
    assert 'id="missing-rates"' not in html


def test_the_claim_warns_when_a_rate_is_not_known_yet(shop):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)

    html = shop.client.get(f"/w/{shop.slug}/invoices/{invoice_id}?as_of=2027-02-28")
    assert 'id="missing-rates"' in html.get_data(as_text=True)


def test_a_consumer_owes_interest_only_from_the_demand(shop, app, money):
    from web.messages import warning_text

    client_id = add_client(shop, name="Marta Ruiz")
    invoice_id = add_invoice(shop, client_id)
    page = f"/w/{shop.slug}/invoices/{invoice_id}?as_of=2025-04-30"

    html = shop.client.get(page).get_data(as_text=True)
    with app.test_request_context(), force_locale("es"):
        note = str(escape(warning_text("consumer_needs_demand", {})))
    assert note in html
    assert f'id="claim-interest">{money("0.00")}<' in html
    assert f'id="claim-compensation">{money("0.00")}<' in html

    html = shop.client.get(page + "&demand=2025-04-10").get_data(as_text=True)
    assert note not in html
    assert "LPGE 2023 prorrogada" in html  # the legal interest, from the demand
    assert f'id="claim-compensation">{money("0.00")}<' in html


# --- who can see and change what --------------------------------------------------------------


def test_another_workspaces_invoice_is_not_found(shop, create_workspace, make_client):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id, file=(io.BytesIO(PDF), "f.pdf"))

    _id, slug = create_workspace(name="Locales Bea", kind="business", owner_email="bea@ex.com")
    bea = Tenant(_id, slug, "bea@ex.com", make_client())
    login(bea.client, "bea@ex.com")

    base = f"/w/{slug}/invoices/{invoice_id}"
    for path in (base, f"{base}/pdf", f"{base}/edit"):
        assert bea.client.get(path).status_code == 404, path
    response = post_form(
        bea.client,
        f"{base}/payments",
        {"received_on": "2025-04-10", "amount": "10"},
        token_from=f"/w/{slug}/invoices",
    )
    assert response.status_code == 404
    assert "F-2025-0001" not in bea.client.get(f"/w/{slug}/invoices").get_data(as_text=True)


def test_a_viewer_sees_invoices_but_cannot_change_them(shop, viewer, rows):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)
    page = f"/w/{shop.slug}/invoices/{invoice_id}"

    html = viewer.get(page).get_data(as_text=True)
    assert "F-2025-0001" in html
    assert f'action="{page}/payments"' not in html
    for action in ("payments", "dispute", "write-off", "edit"):
        response = post_form(
            viewer, f"{page}/{action}", {"amount": "10", "reason": "x"}, token_from=page
        )
        assert response.status_code == 403, action
    response = post_form(
        viewer,
        f"/w/{shop.slug}/invoices/new",
        invoice_fields(client_id, number="X"),
        token_from=page,
    )
    assert response.status_code == 403
    assert [r["number"] for r in invoices_of(rows)] == ["F-2025-0001"]


def test_an_invoice_is_corrected_credited_and_written_off(shop, rows, es, money, message):
    client_id = add_client(shop, name="Talleres Pérez", is_business="y")
    invoice_id = add_invoice(shop, client_id)
    page = f"/w/{shop.slug}/invoices/{invoice_id}"

    form = shop.client.get(f"{page}/edit").get_data(as_text=True)
    assert 'value="F-2025-0001"' in form and 'value="2025-03-31"' in form
    fields = invoice_fields(client_id, due_date="2025-04-15", description="Tornillería")
    response = post_form(shop.client, f"{page}/edit", fields, token_from=f"{page}/edit")
    assert response.status_code == 302
    bad = invoice_fields(client_id, due_date="2025-01-01")
    response = post_form(shop.client, f"{page}/edit", bad, token_from=f"{page}/edit")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "due_date") == message("due_before_issue")
    assert rows("SELECT due_date, description FROM charges WHERE kind = 'invoice'") == [
        {"due_date": date(2025, 4, 15), "description": "Tornillería"}
    ]

    credit = {"credit-number": "R-2025-0001", "credit-issue_date": "2025-04-20"}
    response = act(shop, invoice_id, "credit-notes", {**credit, "credit-amount": "2.000"})
    assert response.status_code == 422
    expected = message("credit_above_outstanding", outstanding=Decimal("1210.00"))
    assert field_error(response.get_data(as_text=True), "credit-amount") == expected
    response = act(shop, invoice_id, "credit-notes", {**credit, "credit-amount": "210,00"})
    assert response.status_code == 302
    html = shop.client.get(page).get_data(as_text=True)
    assert "R-2025-0001" in html
    assert f'id="invoice-outstanding">{money("1000.00")}<' in html

    assert act(shop, invoice_id, "write-off").status_code == 302
    html = shop.client.get(page).get_data(as_text=True)
    assert status_badge(html) == es("Written off")
    listing = shop.client.get(f"/w/{shop.slug}/invoices?status=written_off")
    assert "F-2025-0001" in listing.get_data(as_text=True)
