"""API v1: tokens, tenant isolation, clients, invoices, payments, PDFs and claims."""

from __future__ import annotations

import pytest

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CIF = "B12345674"  # a valid CIF: a company, so a business debtor


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def _client(api, ws, **fields) -> dict:
    response = api("POST", "/clients", ws, json={"name": "Hostelería Sol SL", **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _invoice(api, ws, client_id: int, **fields) -> dict:
    body = {
        "client_id": client_id,
        "number": "F-2025-001",
        "issue_date": "2025-05-01",
        "due_date": "2025-05-31",
        "total": "1210.00",
        "base": "1000.00",
        "vat": "210.00",
        **fields,
    }
    response = api("POST", "/invoices", ws, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# --- tokens -------------------------------------------------------------------------------------


def test_no_token_or_a_wrong_one_is_401(api, ws_a):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = api("GET", "/clients", headers=headers)
        body = _problem(response, 401)
        assert "Bearer" in response.headers["WWW-Authenticate"]
        assert body["title"] == "Unauthorized"


def test_a_revoked_token_is_refused(app, api, ws_a, create_user):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.platform import workspaces as ws_service
    from tenants.services.platform.accounts import find_user_by_email

    assert api("GET", "/clients", ws_a).status_code == 200
    with app.app_context(), tenant_context(ws_a.id):
        actor = db.session.get(User, find_user_by_email("ana@example.com").id)
        ws_service.revoke_api_token(actor, ws_a.token_id)
        db.session.commit()
    _problem(api("GET", "/clients", ws_a), 401)
    _problem(api("POST", "/clients", ws_a, json={"name": "X"}), 401)


def test_a_token_in_use_shows_when_it_was_last_used(app, api, ws_a):
    from tenants.db import tenant_context
    from tenants.services.platform import workspaces as ws_service

    assert api("GET", "/invoices", ws_a).status_code == 200
    with app.app_context(), tenant_context(ws_a.id):
        [token] = ws_service.list_api_tokens()
        assert token.last_used_at is not None


def test_the_spec_is_public_json(api):
    response = api("GET", "/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


# --- isolation ----------------------------------------------------------------------------------


def test_a_token_of_a_cannot_read_or_change_anything_of_b(api, ws_a, ws_b):
    b_client = _client(api, ws_b, name="Cliente de Bea", tax_id=CIF)
    b_invoice = _invoice(api, ws_b, b_client["id"], number="B-1")
    _client(api, ws_a, name="Cliente de Ana")

    clients = api("GET", "/clients", ws_a).get_json()["data"]
    assert [c["name"] for c in clients] == ["Cliente de Ana"]
    assert api("GET", "/clients?q=Bea", ws_a).get_json()["data"] == []
    assert api("GET", "/invoices", ws_a).get_json()["data"] == []
    assert api("GET", f"/invoices?client_id={b_client['id']}", ws_a).get_json()["data"] == []

    _problem(api("GET", f"/clients/{b_client['id']}", ws_a), 404)
    _problem(api("PATCH", f"/clients/{b_client['id']}", ws_a, json={"name": "Mine"}), 404)
    _problem(api("GET", f"/invoices/{b_invoice['id']}", ws_a), 404)
    _problem(api("GET", f"/invoices/{b_invoice['id']}?as_of=2025-06-30", ws_a), 404)
    _problem(api("PATCH", f"/invoices/{b_invoice['id']}", ws_a, json={"total": "1.00"}), 404)
    _problem(
        api(
            "POST",
            f"/invoices/{b_invoice['id']}/payments",
            ws_a,
            json={"received_on": "2025-06-01", "amount": "10.00"},
        ),
        404,
    )
    _problem(
        api(
            "POST",
            f"/invoices/{b_invoice['id']}/pdf",
            ws_a,
            data=PDF,
            content_type="application/pdf",
        ),
        404,
    )
    # B's client cannot be the debtor of A's invoice either.
    response = api(
        "POST",
        "/invoices",
        ws_a,
        json={
            "client_id": b_client["id"],
            "number": "A-1",
            "issue_date": "2025-05-01",
            "due_date": "2025-05-31",
            "total": "10.00",
        },
    )
    assert _problem(response, 422)["errors"][0]["field"] == "client_id"

    # Nothing of B changed.
    assert api("GET", f"/clients/{b_client['id']}", ws_b).get_json()["name"] == "Cliente de Bea"
    invoice = api("GET", f"/invoices/{b_invoice['id']}", ws_b).get_json()
    assert (invoice["total"], invoice["paid"], invoice["attachment"]) == ("1210.00", "0.00", None)


# --- clients ------------------------------------------------------------------------------------


def test_create_list_get_and_update_clients(api, ws_a):
    created = _client(api, ws_a, tax_id=CIF, email="Cobros@Sol.example", city="Sevilla")
    assert created["tax_id"] == CIF
    assert created["is_business"] is True
    assert created["kind"] == "company"
    assert created["email"] == "cobros@sol.example"
    _client(api, ws_a, name="Ana García", language="en")

    listed = api("GET", "/clients", ws_a).get_json()
    assert [c["name"] for c in listed["data"]] == ["Ana García", "Hostelería Sol SL"]
    assert listed["next_cursor"] is None
    found = api("GET", "/clients?q=sol", ws_a).get_json()["data"]
    assert [c["id"] for c in found] == [created["id"]]

    got = api("GET", f"/clients/{created['id']}", ws_a).get_json()
    assert got == created

    response = api("PATCH", f"/clients/{created['id']}", ws_a, json={"phone": "954000000"})
    assert response.status_code == 200
    assert response.get_json()["phone"] == "954000000"
    assert api("GET", f"/clients/{created['id']}", ws_a).get_json()["phone"] == "954000000"


def test_client_pagination_by_cursor_and_by_page(api, ws_a):
    for i in range(5):
        _client(api, ws_a, name=f"Cliente {i}")
    first = api("GET", "/clients?limit=2", ws_a).get_json()
    assert [c["name"] for c in first["data"]] == ["Cliente 0", "Cliente 1"]
    second = api("GET", f"/clients?limit=2&cursor={first['next_cursor']}", ws_a).get_json()
    assert [c["name"] for c in second["data"]] == ["Cliente 2", "Cliente 3"]
    third = api("GET", f"/clients?limit=2&cursor={second['next_cursor']}", ws_a).get_json()
    assert [c["name"] for c in third["data"]] == ["Cliente 4"]
    assert third["next_cursor"] is None
    page = api("GET", "/clients?page=2&per_page=3", ws_a).get_json()
    assert [c["name"] for c in page["data"]] == ["Cliente 3", "Cliente 4"]
    assert (page["page"], page["per_page"]) == (2, 3)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "name", "required"),
        ({"name": ""}, "name", "required"),
        ({"name": 12}, "name", "type"),
        ({"name": "X", "tax_id": "B12345670"}, "tax_id", "tax_id_invalid"),
        ({"name": "X", "email": "not an email"}, "email", "email_invalid"),
        ({"name": "X", "is_business": "yes"}, "is_business", "type"),
        ({"name": "X", "language": "fr"}, "language", "choice_invalid"),
        ({"name": "X", "colour": "red"}, "colour", "unknown_field"),
        ({"name": "X\x00"}, "name", "invalid_character"),
        ({"name": "Talleres\u2028Bea"}, "name", "invalid_character"),  # reaches mail headers
        ({"name": "Talleres\r\nBea"}, "name", "invalid_character"),
        ({"name": "X", "city": "\ud800"}, "city", "invalid_character"),
        ({"name": "X" * 201}, "name", "too_long"),
    ],
)
def test_bad_client_input_is_422_with_the_field(api, ws_a, body, field, code):
    body = _problem(api("POST", "/clients", ws_a, json=body), 422)
    assert {"field": field, "code": code} == {k: body["errors"][0][k] for k in ("field", "code")}
    assert api("GET", "/clients", ws_a).get_json()["data"] == []


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b"NaN", b'{"name": NaN}', b'{"name": Infinity}', b"\xff\xfe", b"[" * 5000],
)
def test_malformed_json_is_400(api, ws_a, raw):
    _problem(api("POST", "/clients", ws_a, data=raw, content_type="application/json"), 400)


# --- invoices -----------------------------------------------------------------------------------


def test_create_list_get_and_update_invoices(api, ws_a):
    client = _client(api, ws_a, tax_id=CIF)
    other = _client(api, ws_a, name="Otro SL")
    invoice = _invoice(api, ws_a, client["id"])
    assert invoice["total"] == "1210.00"
    assert invoice["outstanding"] == "1210.00"
    assert invoice["status"] == "open"
    assert invoice["warnings"] == []
    _invoice(
        api,
        ws_a,
        other["id"],
        number="F-2025-002",
        issue_date="2025-07-01",
        due_date="2025-07-31",
        total=100,
        base=None,
        vat=None,
    )

    listed = api("GET", "/invoices", ws_a).get_json()["data"]
    assert [i["number"] for i in listed] == ["F-2025-002", "F-2025-001"]
    by_client = api("GET", f"/invoices?client_id={client['id']}", ws_a).get_json()["data"]
    assert [i["number"] for i in by_client] == ["F-2025-001"]
    june = api("GET", "/invoices?issued_from=2025-06-01&issued_to=2025-12-31", ws_a).get_json()
    assert [i["number"] for i in june["data"]] == ["F-2025-002"]
    assert api("GET", "/invoices?status=paid", ws_a).get_json()["data"] == []
    assert len(api("GET", "/invoices?status=open&per_page=1&page=2", ws_a).get_json()["data"]) == 1

    response = api("PATCH", f"/invoices/{invoice['id']}", ws_a, json={"total": "1300.00"})
    assert response.status_code == 200
    updated = response.get_json()
    assert (updated["total"], updated["number"]) == ("1300.00", "F-2025-001")
    assert updated["warnings"] == ["vat_mismatch"]  # 1000 + 210 ≠ 1300: shown, not refused
    got = api("GET", f"/invoices/{invoice['id']}", ws_a).get_json()
    assert got["total"] == "1300.00"
    assert "claim" not in got


def test_duplicate_invoice_number_is_422_with_the_field(api, ws_a):
    client = _client(api, ws_a)
    first = _invoice(api, ws_a, client["id"])
    response = api(
        "POST",
        "/invoices",
        ws_a,
        json={
            "client_id": client["id"],
            "number": "F-2025-001",
            "issue_date": "2025-06-01",
            "due_date": "2025-06-30",
            "total": "5.00",
        },
    )
    body = _problem(response, 422)
    assert body["errors"][0]["field"] == "number"
    assert body["errors"][0]["code"] == "invoice_number_taken"
    assert len(api("GET", "/invoices", ws_a).get_json()["data"]) == 1
    second = _invoice(api, ws_a, client["id"], number="F-2025-002")
    response = api("PATCH", f"/invoices/{second['id']}", ws_a, json={"number": first["number"]})
    assert _problem(response, 422)["errors"][0]["field"] == "number"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"due_date": "2025-04-30"}, "due_date", "due_before_issue"),
        ({"total": "-5.00"}, "total", "amount_invalid"),
        ({"total": -5}, "total", "amount_not_positive"),
        ({"total": "1.234"}, "total", "amount_invalid"),
        ({"total": 1e300}, "total", "amount_too_large"),
        ({"total": "1" * 400}, "total", "amount_invalid"),
        ({"total": 10**400}, "total", "amount_too_large"),
        ({"total": True}, "total", "type"),
        ({"total": "0"}, "total", "amount_not_positive"),
        ({"currency": "XXY"}, "currency", "currency_unknown"),
        ({"issue_date": "2025-02-30"}, "issue_date", "date_invalid"),
        ({"issue_date": "20250201"}, "issue_date", "date_invalid"),
        ({"issue_date": 20250201}, "issue_date", "date_invalid"),
        ({"client_id": "1"}, "client_id", "type"),
        ({"client_id": 2**40}, "client_id", "not_found"),
        ({"number": None}, "number", "required"),
    ],
)
def test_bad_invoice_input_is_422_with_the_field(api, ws_a, fields, field, code):
    client = _client(api, ws_a)
    body = {
        "client_id": client["id"],
        "number": "F-1",
        "issue_date": "2025-05-01",
        "due_date": "2025-05-31",
        "total": "1210.00",
        **fields,
    }
    problem = _problem(api("POST", "/invoices", ws_a, json=body), 422)
    assert (problem["errors"][0]["field"], problem["errors"][0]["code"]) == (field, code)
    assert api("GET", "/invoices", ws_a).get_json()["data"] == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "limit=99999999999999999999",
        "cursor=x",
        "status=lost",
        "issued_from=2025-13-01",
        "client_id=-1",
        "page=0",
        "stauts=paid",
        "limit=%D9%A1%D9%A2",  # Arabic-Indic digits are digits to Python, not to this API
    ],
)
def test_bad_query_parameters_are_422(api, ws_a, query):
    _problem(api("GET", f"/invoices?{query}", ws_a), 422)


def test_huge_ids_are_404_not_500(api, ws_a):
    _problem(api("GET", f"/invoices/{2**70}", ws_a), 404)
    _problem(api("GET", f"/clients/{2**31}", ws_a), 404)


def test_as_of_includes_the_claim_for_a_late_business_invoice(api, ws_a):
    client = _client(api, ws_a, tax_id=CIF)
    invoice = _invoice(api, ws_a, client["id"])
    response = api("GET", f"/invoices/{invoice['id']}?as_of=2025-06-30", ws_a)
    assert response.status_code == 200
    claim = response.get_json()["claim"]
    # Ley 3/2004: 1210.00 × 11.15 % × 30 / 365 = 11.09 (June), plus 40.00 compensation.
    assert claim["regime"] == "business"
    assert claim["principal_due"] == "1210.00"
    assert claim["interest"] == "11.09"
    assert claim["compensation"] == "40.00"
    assert claim["total"] == "1261.09"
    assert claim["missing_rates"] == []
    [stretch] = claim["stretches"]
    assert (stretch["from"], stretch["to"], stretch["principal"]) == (
        "2025-06-01",
        "2025-06-30",
        "1210.00",
    )
    [segment] = stretch["segments"]
    assert (segment["days"], segment["rate"], segment["amount"]) == (30, "11.15", "11.09")
    assert isinstance(segment["source"], str)
    _problem(api("GET", f"/invoices/{invoice['id']}?as_of=30/06/2025", ws_a), 422)


def test_payments_are_recorded_and_lower_what_is_owed(api, ws_a):
    client = _client(api, ws_a, tax_id=CIF)
    invoice = _invoice(api, ws_a, client["id"])
    path = f"/invoices/{invoice['id']}/payments"
    response = api(
        "POST",
        path,
        ws_a,
        json={"received_on": "2025-06-15", "amount": "210.00", "reference": "TRF 1"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    payment = response.get_json()
    assert (payment["amount"], payment["method"]) == ("210.00", "transfer")
    assert payment["invoice"]["outstanding"] == "1000.00"
    assert payment["invoice"]["status"] == "partly_paid"

    too_much = api("POST", path, ws_a, json={"received_on": "2025-06-16", "amount": "1000.01"})
    assert _problem(too_much, 422)["errors"][0]["code"] == "payment_above_outstanding"
    bad_method = api(
        "POST", path, ws_a, json={"received_on": "2025-06-16", "amount": "1", "method": "gold"}
    )
    assert _problem(bad_method, 422)["errors"][0]["field"] == "method"
    got = api("GET", f"/invoices/{invoice['id']}", ws_a).get_json()
    assert got["paid"] == "210.00"


def test_pdf_upload_accepted_raw_or_multipart_and_refused_otherwise(app, api, ws_a):
    import io

    from tenants.storage import DocumentStore

    client = _client(api, ws_a)
    invoice = _invoice(api, ws_a, client["id"])
    path = f"/invoices/{invoice['id']}/pdf"

    response = api(
        "POST", path + "?filename=f1.pdf", ws_a, data=PDF, content_type="application/pdf"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    attachment = response.get_json()["attachment"]
    assert attachment["name"] == "f1.pdf"
    assert DocumentStore(app.config["DOCUMENTS_DIR"]).get(attachment["sha256"]) == PDF

    other = PDF + b"% second\n"
    response = api(
        "POST",
        path,
        ws_a,
        data={"file": (io.BytesIO(other), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["attachment"]["name"] == "scan.pdf"

    not_pdf = api("POST", path, ws_a, data=b"GIF89a...", content_type="application/pdf")
    assert _problem(not_pdf, 422)["errors"][0]["code"] == "attachment_not_pdf"
    too_big = api(
        "POST",
        path,
        ws_a,
        data=b"%PDF-" + b"0" * (10 * 1024 * 1024),
        content_type="application/pdf",
    )
    assert _problem(too_big, 422)["errors"][0]["code"] == "attachment_too_large"
    _problem(api("POST", path, ws_a, data=b"{}", content_type="application/json"), 415)
    got = api("GET", f"/invoices/{invoice['id']}", ws_a).get_json()
    assert got["attachment"]["name"] == "scan.pdf"
