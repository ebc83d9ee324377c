"""Stamping an invoice PDF with the badge (issue 13.5): the PDF keeps its pages and text, gets
the badge, the verify QR and a link to the invoice's verify page, and the invoice is
registered; a file that is not a readable PDF, or a badge that is not active, changes nothing."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from tests.conftest import PASSWORD, csrf_token, login

BASE_URL = "http://localhost"  # the tests' BASE_URL (tests/conftest.py settings)


def invoice_pdf(pages: int = 3, number: str = "F-2026-0007") -> bytes:
    """An invoice as an invoicing program exports it: text on every page."""
    body = "".join(
        f"<section><h1>Factura {number}</h1><p>Página {n + 1} de {pages}. Muebles y más, "
        f"línea {n}: 121,00 €</p></section>"
        for n in range(pages)
    )
    style = "<style>@page { size: A4 } section { break-after: page }</style>"
    return HTML(string=style + body).write_pdf()


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def link_uris(pdf: bytes, page: int = 0) -> list[str]:
    annots = PdfReader(io.BytesIO(pdf)).pages[page].get("/Annots") or []
    uris = []
    for annot in annots:
        action = annot.get_object().get("/A")
        if action is not None and "/URI" in action:
            uris.append(str(action["/URI"]))
    return uris


def stamp_images(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of the pictures the stamp annotation of the first page draws."""
    found = []
    for annot in PdfReader(io.BytesIO(pdf)).pages[0].get("/Annots") or []:
        annot = annot.get_object()
        if annot.get("/Subtype") != "/Stamp":
            continue
        xobjects = annot["/AP"]["/N"]["/Resources"]["/XObject"]
        found += [(int(x["/Width"]), int(x["/Height"])) for x in xobjects.values()]
    return found


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (11, 79, 108, 255)).save(out, "PNG")
    return out.getvalue()


# --- letters/stamp.py ---------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_stamped_pdf_keeps_its_pages_and_text_and_links_the_verify_page(rotation):
    from letters.stamp import stamp_pdf

    writer = PdfWriter(clone_from=io.BytesIO(invoice_pdf(pages=3)))
    for page in writer.pages:
        page.rotate(rotation)
    writer.pages[0].cropbox.lower_left = (30, 40)  # a crop box not at the origin
    original = io.BytesIO()
    writer.write(original)
    original = original.getvalue()
    url = f"{BASE_URL}/verify/abc?amount=121.00"

    stamped = stamp_pdf(original, badge_png=_png(480, 88), qr_png=_png(100, 100), verify_url=url)

    assert len(PdfReader(io.BytesIO(stamped)).pages) == 3
    assert texts(stamped) == texts(original)
    assert link_uris(stamped) == [url]
    assert sorted(stamp_images(stamped)) == [(100, 100), (480, 88)]
    assert link_uris(stamped, page=1) == []


def test_the_stamp_sits_in_the_visible_bottom_right_corner_of_a_turned_page():
    from letters.stamp import stamp_pdf

    writer = PdfWriter(clone_from=io.BytesIO(invoice_pdf(pages=1)))
    writer.pages[0].rotate(90)  # shown landscape: the page's right edge is at the bottom
    original = io.BytesIO()
    writer.write(original)
    stamped = stamp_pdf(
        original.getvalue(), badge_png=_png(480, 88), qr_png=_png(100, 100), verify_url="x:y"
    )
    page = PdfReader(io.BytesIO(stamped)).pages[0]
    x0, y0, x1, y1 = (float(v) for v in page["/Annots"][0].get_object()["/Rect"])
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    # Seen turned, bottom-right is the page's top-right: near x = width and y = height.
    assert width - 40 < x1 <= width and x0 > width - 120
    assert height - 40 < y1 <= height and y0 > height / 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"not a pdf at all", "attachment_not_pdf"),
        (b"%PDF-1.7\nthis is no PDF body\n%%EOF", "pdf_unreadable"),
        ("encrypted", "pdf_encrypted"),
    ],
)
def test_an_unreadable_or_encrypted_pdf_is_refused(content, code):
    from letters.stamp import stamp_pdf
    from tenants.services.errors import ServiceError

    if content == "encrypted":
        writer = PdfWriter(clone_from=io.BytesIO(invoice_pdf(pages=1)))
        writer.encrypt(user_password="", owner_password="secret")
        out = io.BytesIO()
        writer.write(out)
        content = out.getvalue()
    with pytest.raises(ServiceError) as refused:
        stamp_pdf(content, badge_png=_png(4, 4), qr_png=_png(4, 4), verify_url="x:y")
    assert refused.value.code == code


# --- the badge page's "stamp my invoice" ---------------------------------------------------------


@pytest.fixture
def protected(app, qualifying):
    """A business whose badge is active (issued by the real service), owner logged in."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    def create(**kwargs):
        ws = qualifying(**kwargs)
        with app.app_context(), tenant_context(ws.id):
            assert issuance.refresh_badge() == "issued"
            db.session.commit()
        return ws

    return create


def _client_id(app, ws, name="Talleres Pérez") -> int:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals import parties

    with app.app_context(), tenant_context(ws.id):
        party = parties.create_party(name=name, is_business=True)
        db.session.commit()
        return party.id


def _post_stamp(ws, data: dict, pdf: bytes | None, client=None):
    client = client or ws.client
    token = csrf_token(client, ws.url("/settings/badge"))
    form = {"csrf_token": token, **data}
    if pdf is not None:
        form["file"] = (io.BytesIO(pdf), "factura.pdf", "application/pdf")
    return client.post(
        ws.url("/settings/badge/stamp"), data=form, content_type="multipart/form-data"
    )


def _new_invoice(party_id: int, number="F-2026-0007") -> dict:
    return {
        "invoice_id": "",
        "party_id": str(party_id),
        "number": number,
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "total": "1.210,50",
    }


def test_stamping_a_new_invoice_registers_it_and_answers_the_stamped_pdf(app, protected, rows, es):
    ws = protected()
    original = invoice_pdf()
    response = _post_stamp(ws, _new_invoice(_client_id(app, ws)), original)

    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    stamped = response.get_data()
    assert texts(stamped) == texts(original)
    [badge] = rows(
        "SELECT ib.token, ib.stamped_sha256, c.number, c.amount, c.attachment_sha256 "
        "FROM invoice_badges ib JOIN charges c ON c.id = ib.charge_id WHERE ib.tenant_id = :t",
        t=ws.id,
    )
    assert (badge["number"], badge["amount"]) == ("F-2026-0007", Decimal("1210.50"))
    assert link_uris(stamped) == [f"{BASE_URL}/verify/{badge['token']}?amount=1210.50"]
    assert badge["stamped_sha256"] is not None and badge["attachment_sha256"] is not None
    # The invoice's page offers the stamped copy, the same bytes.
    invoice_page = ws.page("/invoices")
    invoice_id = re.search(r"/invoices/(\d+)\"", invoice_page).group(1)
    detail = ws.page(f"/invoices/{invoice_id}")
    assert 'id="invoice-stamped"' in detail
    again = ws.client.get(ws.url(f"/invoices/{invoice_id}/stamped.pdf"))
    assert again.status_code == 200 and again.get_data() == stamped
    assert es("stamped invoice %(number)s with the badge", number="F-2026-0007") in ws.page("/")


def test_stamping_an_existing_invoice_keeps_one_registration(app, protected, add_invoice, rows):
    ws = protected()
    invoice_id = add_invoice(ws.id, "F-1")
    first = _post_stamp(ws, {"invoice_id": str(invoice_id)}, invoice_pdf(1, "F-1"))
    second = _post_stamp(ws, {"invoice_id": str(invoice_id)}, invoice_pdf(2, "F-1"))
    assert first.status_code == second.status_code == 200
    registered = rows("SELECT token FROM invoice_badges WHERE charge_id = :c", c=invoice_id)
    assert len(registered) == 1
    url = f"{BASE_URL}/verify/{registered[0]['token']}?amount=121.00"
    assert link_uris(first.get_data()) == link_uris(second.get_data()) == [url]


@pytest.mark.parametrize("kind", ["not_pdf", "encrypted", "broken"])
def test_a_bad_file_is_refused_with_a_message_and_nothing_changes(
    app, protected, rows, message, kind
):
    from pathlib import Path

    ws = protected()
    if kind == "encrypted":
        writer = PdfWriter(clone_from=io.BytesIO(invoice_pdf(1)))
        writer.encrypt(user_password="open", owner_password="secret")
        out = io.BytesIO()
        writer.write(out)
        content, code = out.getvalue(), "pdf_encrypted"
    elif kind == "broken":
        content, code = b"%PDF-1.4\n" + b"\x00garbage" * 50, "pdf_unreadable"
    else:
        content, code = b"PK\x03\x04 a zip file", "attachment_not_pdf"
    response = _post_stamp(ws, _new_invoice(_client_id(app, ws)), content)
    assert response.status_code == 422
    assert message(code) in response.get_data(as_text=True)
    assert rows("SELECT id FROM charges WHERE tenant_id = :t", t=ws.id) == []
    assert rows("SELECT id FROM invoice_badges WHERE tenant_id = :t", t=ws.id) == []
    documents = Path(app.config["DOCUMENTS_DIR"])
    assert not documents.exists() or not any(p.is_file() for p in documents.rglob("*"))


def test_a_suspended_badge_refuses_stamping_naming_why(app, protected, add_invoice, rows, message):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance
    from tenants.services.billing import plans

    ws = protected()
    invoice_id = add_invoice(ws.id, "F-9")
    with app.app_context(), tenant_context(ws.id):
        plans.put_on("gratis", reason="test")
        assert issuance.refresh_badge() == "suspended"
        db.session.commit()
    refused = message("badge_inactive_plan")
    assert refused in ws.page("/settings/badge")  # said before anyone tries
    response = _post_stamp(ws, {"invoice_id": str(invoice_id)}, invoice_pdf(1))
    assert response.status_code == 422
    assert refused in response.get_data(as_text=True)
    assert rows("SELECT stamped_sha256 FROM invoice_badges WHERE charge_id = :c", c=invoice_id) in (
        [],
        [{"stamped_sha256": None}],
    )
    # The invoice page's button refuses too, with the same words.
    with app.app_context(), tenant_context(ws.id):
        from tenants.services.receivables import invoices
        from tenants.storage import DocumentStore

        sha = DocumentStore(app.config["DOCUMENTS_DIR"]).put(invoice_pdf(1))
        invoices.attach_document(invoice_id, sha256=sha, filename="F-9.pdf")
        db.session.commit()
    token = csrf_token(ws.client, ws.url(f"/invoices/{invoice_id}"))
    answer = ws.client.post(
        ws.url(f"/invoices/{invoice_id}/stamp"), data={"csrf_token": token}, follow_redirects=True
    )
    assert refused in answer.get_data(as_text=True)
    assert ws.client.get(ws.url(f"/invoices/{invoice_id}/stamped.pdf")).status_code == 404


def test_the_invoice_page_stamps_its_attached_pdf(app, protected, add_invoice, rows):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.receivables import invoices
    from tenants.storage import DocumentStore

    ws = protected()
    invoice_id = add_invoice(ws.id, "F-3")
    original = invoice_pdf(2, "F-3")
    with app.app_context(), tenant_context(ws.id):
        sha = DocumentStore(app.config["DOCUMENTS_DIR"]).put(original)
        invoices.attach_document(invoice_id, sha256=sha, filename="F-3.pdf")
        db.session.commit()
    assert ws.client.get(ws.url(f"/invoices/{invoice_id}/stamped.pdf")).status_code == 404
    page = ws.page(f"/invoices/{invoice_id}")
    assert 'id="invoice-stamp-button"' in page
    token = csrf_token(ws.client, ws.url(f"/invoices/{invoice_id}"))
    response = ws.client.post(ws.url(f"/invoices/{invoice_id}/stamp"), data={"csrf_token": token})
    assert response.status_code == 302
    stamped = ws.client.get(ws.url(f"/invoices/{invoice_id}/stamped.pdf"))
    assert stamped.status_code == 200 and stamped.mimetype == "application/pdf"
    assert texts(stamped.get_data()) == texts(original)
    [badge] = rows("SELECT token FROM invoice_badges WHERE charge_id = :c", c=invoice_id)
    assert link_uris(stamped.get_data()) == [f"{BASE_URL}/verify/{badge['token']}?amount=121.00"]


def test_a_viewer_cannot_stamp_and_another_workspaces_invoice_is_404(
    app, protected, create_user, add_invoice, make_client, rows
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    ws = protected()
    other = protected(name="Talleres Bea", email="bea@example.com")
    theirs = add_invoice(other.id, "B-1")
    user_id = create_user(email="vera@example.com", name="Vera")
    with app.app_context(), tenant_context(ws.id):
        db.session.add(Member(user_id=user_id, role="viewer"))
        db.session.commit()
    viewer = make_client()
    login(viewer, "vera@example.com", PASSWORD)

    page = viewer.get(ws.url("/settings/badge")).get_data(as_text=True)
    assert 'id="snippet-html"' in page  # viewers see the badge and its snippets…
    assert 'id="stamp-form"' not in page and 'id="badge-check"' not in page  # …and stamp nothing
    response = _post_stamp(ws, {"invoice_id": ""}, invoice_pdf(1), client=viewer)
    assert response.status_code == 403

    response = _post_stamp(ws, {"invoice_id": str(theirs)}, invoice_pdf(1))
    assert response.status_code == 404
    token = csrf_token(ws.client, ws.url("/settings/badge"))
    response = ws.client.post(ws.url(f"/invoices/{theirs}/stamp"), data={"csrf_token": token})
    assert response.status_code == 404
    assert ws.client.get(ws.url(f"/invoices/{theirs}/stamped.pdf")).status_code == 404
    assert rows("SELECT stamped_sha256 FROM invoice_badges WHERE charge_id = :c", c=theirs) in (
        [],
        [{"stamped_sha256": None}],
    )
