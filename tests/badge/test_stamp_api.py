"""The API's stamp endpoint (issue 13.5): POST /api/v1/invoices/<id>/stamp with a bearer token
answers the invoice PDF stamped with the badge and a link to its verify page, and registers the
invoice; without a token, for another workspace's invoice, with a file that is not a PDF or
with a badge that is not active it refuses and changes nothing."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.badge.test_stamping import BASE_URL, invoice_pdf, link_uris, texts


@pytest.fixture
def api_protected(app, qualifying):
    """A business on Profesional (the API needs it) with an active badge and an API token:
    (workspace, bearer headers)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance
    from tenants.services.billing import plans
    from tenants.services.platform import workspaces as ws_service

    def create(**kwargs):
        ws = qualifying(**kwargs)
        with app.app_context(), tenant_context(ws.id):
            plans.put_on("profesional", reason="test")
            assert issuance.refresh_badge() == "issued"
            _token, secret = ws_service.create_api_token(None, "accounting")
            db.session.commit()
        return ws, {"Authorization": f"Bearer {secret}"}

    return create


def _stamp(client, invoice_id, headers, body, mimetype="application/pdf"):
    return client.post(
        f"/api/v1/invoices/{invoice_id}/stamp", data=body, headers=headers, content_type=mimetype
    )


def test_the_api_answers_the_stamped_pdf_and_registers_the_invoice(
    app, client, api_protected, add_invoice, rows
):
    ws, headers = api_protected()
    invoice_id = add_invoice(ws.id, "F-2026-0042")
    original = invoice_pdf(3, "F-2026-0042")

    response = _stamp(client, invoice_id, headers, original)

    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/pdf"
    stamped = response.get_data()
    assert len(PdfReader(io.BytesIO(stamped)).pages) == 3
    assert texts(stamped) == texts(original)
    [badge] = rows(
        "SELECT token, stamped_sha256 FROM invoice_badges WHERE charge_id = :c", c=invoice_id
    )
    url = f"{BASE_URL}/verify/{badge['token']}?amount=121.00"
    assert response.headers["X-Verify-URL"] == url
    assert link_uris(stamped) == [url]
    assert badge["stamped_sha256"] is not None
    # Multipart with a field 'file' works too and keeps the one registration.
    again = client.post(
        f"/api/v1/invoices/{invoice_id}/stamp",
        data={"file": (io.BytesIO(original), "f.pdf", "application/pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert again.status_code == 200 and again.headers["X-Verify-URL"] == url
    assert len(rows("SELECT id FROM invoice_badges WHERE charge_id = :c", c=invoice_id)) == 1


def test_without_a_token_it_is_401_and_nothing_is_registered(
    client, api_protected, add_invoice, rows
):
    ws, _headers = api_protected()
    invoice_id = add_invoice(ws.id, "F-1")
    response = _stamp(client, invoice_id, {}, invoice_pdf(1))
    assert response.status_code == 401
    bad = _stamp(client, invoice_id, {"Authorization": "Bearer nope"}, invoice_pdf(1))
    assert bad.status_code == 401
    assert rows("SELECT id FROM invoice_badges WHERE charge_id = :c", c=invoice_id) == []


def test_another_workspaces_invoice_is_404(client, api_protected, add_invoice, rows):
    _ws, headers = api_protected()
    other, _ = api_protected(name="Talleres Bea", email="bea@example.com")
    theirs = add_invoice(other.id, "B-1")
    response = _stamp(client, theirs, headers, invoice_pdf(1))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert rows("SELECT id FROM invoice_badges WHERE charge_id = :c", c=theirs) == []


@pytest.mark.parametrize(
    ("body", "mimetype"),
    [
        (b"PK\x03\x04 a zip file", "application/pdf"),
        (b"%PDF-1.4\n" + b"\x00garbage" * 50, "application/pdf"),
        (b"hello", "text/plain"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused_with_a_problem_and_nothing_changes(
    app, client, api_protected, add_invoice, rows, body, mimetype
):
    from pathlib import Path

    ws, headers = api_protected()
    invoice_id = add_invoice(ws.id, "F-2")
    response = _stamp(client, invoice_id, headers, body, mimetype)
    assert 400 <= response.status_code < 500, response.status_code
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == response.status_code and problem.get("detail")
    assert rows("SELECT stamped_sha256 FROM invoice_badges WHERE charge_id = :c", c=invoice_id) in (
        [],
        [{"stamped_sha256": None}],
    )
    documents = Path(app.config["DOCUMENTS_DIR"])
    assert not documents.exists() or not any(p.is_file() for p in documents.rglob("*"))


def test_a_suspended_badge_is_409_saying_why(app, client, api_protected, add_invoice, rows):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    ws, headers = api_protected()
    invoice_id = add_invoice(ws.id, "F-9")
    with app.app_context(), tenant_context(ws.id):
        # The tax id taken off the letterhead (the plan, and so the API, stays).
        db.session.get(Workspace, ws.id).tax_id = ""
        assert issuance.refresh_badge() == "suspended"
        db.session.commit()
    response = _stamp(client, invoice_id, headers, invoice_pdf(1))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["reason"] == "tax_id"
    assert "NIF" in problem["detail"] or "CIF" in problem["detail"], problem["detail"]
    assert rows("SELECT stamped_sha256 FROM invoice_badges WHERE charge_id = :c", c=invoice_id) in (
        [],
        [{"stamped_sha256": None}],
    )
