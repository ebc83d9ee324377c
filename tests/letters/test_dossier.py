"""The escalation dossier (docs/law.md#dossier): one signed PDF whose cover lists the parties,
the debt, the letters with their hashes and delivery, and an index of its parts; a ZIP of the
parts with an index of hashes; a signed draft of the monitorio petition."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest
from pypdf import PdfReader

from letters.render import format_money
from tests.letters.dossier_fixtures import *  # noqa: F403 - the fixtures
from tests.letters.dossier_fixtures import (
    GUARANTOR,
    GUARANTOR_NIF,
    LANDLORD,
    LANDLORD_NIF,
    PNG,
    RENTER,
    RENTER_NIF,
    pdf_text,
)

pytestmark = pytest.mark.filterwarnings(
    r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning",
)


def money(amount: str) -> str:
    return format_money(amount).replace("\u00a0", " ")


@pytest.fixture
def identity(tmp_path):
    from letters import signing

    return signing.development_identity(tmp_path / "signing")


@pytest.fixture
def built(app, dossier_case, identity):
    """The dossier of the escalated case, built in-process as the job builds it."""
    from flask import current_app

    from letters import dossier
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Escalation, Letter
    from tenants.storage import DocumentStore

    with app.app_context(), tenant_context(dossier_case.tenant_id):
        escalation = db.session.get(Escalation, dossier_case.escalation_id)
        result = dossier.build(
            escalation,
            store=DocumentStore(current_app.config["DOCUMENTS_DIR"]),
            signer=identity,
            now=db.utcnow(),
        )
        letters = [db.session.get(Letter, i) for i in dossier_case.letter_ids]
        facts = {
            "letter_hashes": [letter.pdf_sha256 for letter in letters],
            "ack_hash": letters[1].acknowledgement_sha256,
            "tracking": [letter.tracking_number for letter in letters],
        }
        db.session.rollback()
    return result, facts


def test_the_cover_lists_every_letter_with_its_hash_and_delivery_and_the_amounts(built):
    result, facts = built
    cover = pdf_text(_pages(result.pdf, 0, result.cover_pages))
    for sha256 in facts["letter_hashes"]:
        assert sha256 in cover
    for tracking in facts["tracking"]:
        assert tracking in cover
    assert "Requerimiento de pago" in cover and "Requerimiento fehaciente de pago" in cover
    assert "Intento de solución extrajudicial (Ley Orgánica 1/2025)" in cover
    # Two rents of 850 €, 100 € paid on the older one: 750 € and 850 € still owed.
    assert money("850") in cover and money("750") in cover
    assert f"Principal {money('1600')}" in cover
    # The parties with their tax ids; the guarantor too.
    for text in (LANDLORD, LANDLORD_NIF, RENTER, RENTER_NIF, GUARANTOR, GUARANTOR_NIF):
        assert text in cover
    assert "Calle Luna 3" in cover  # the debtor's address
    # Each part's hash is listed, and the photo that is not a PDF.
    for part in result.parts:
        assert part.sha256 in cover
    assert hashlib.sha256(PNG).hexdigest() in cover


def test_the_pages_are_the_cover_and_the_parts_with_a_bookmark_per_part(built, dossier_case):
    result, facts = built
    reader = PdfReader(io.BytesIO(result.pdf))
    assert len(reader.pages) == result.pages
    assert result.pages == result.cover_pages + sum(p.pages for p in result.parts)
    titles = [item.title for item in reader.outline]
    assert titles == ["Portada e índice", *(p.title for p in result.parts)]
    # Each bookmark opens its part's first page, the page the cover's index gives.
    for item, part in zip(reader.outline[1:], result.parts, strict=True):
        assert reader.get_destination_page_number(item) + 1 == part.first_page
    # The originals are the stored files, byte for byte: letters, acknowledgement, documents.
    hashes = [p.sha256 for p in result.parts]
    assert facts["letter_hashes"][0] in hashes and facts["letter_hashes"][1] in hashes
    assert facts["ack_hash"] in hashes
    assert hashlib.sha256(dossier_case.document_pdf).hexdigest() in hashes
    assert hashlib.sha256(dossier_case.debtor_pdf).hexdigest() in hashes
    # Letters in date order, then the lease, the payments, the debtor's messages.
    kinds = [p.filename.split("_", 1)[1] for p in result.parts]
    assert kinds[0].startswith("carta_formal_demand") and kinds[1].startswith("carta_certified")
    text = pdf_text(result.pdf)
    assert "Contrato de arrendamiento: datos" in text and money("850") in text
    assert "Pagos recibidos" in text and "Transferencia parcial" in text
    assert "Estoy en paro, pagaré en cuanto pueda." in text
    assert "Justificante del deudor" in text and "Contrato firmado" in text


def test_the_dossier_signature_validates_and_a_changed_byte_fails_it(built, identity, tmp_path):
    from letters import signing

    result, _facts = built
    checked = signing.validate(result.pdf, identity)
    assert checked.ok and checked.count == 1  # the certified demand's own is not carried over
    assert "Amparo desarrollo" in checked.signer
    # A byte changed inside the signed range (a page's content): no longer intact.
    tampered = bytearray(result.pdf)
    position = result.pdf.index(b"stream", len(result.pdf) // 3) + 20
    tampered[position] ^= 0x01
    assert not signing.validate(bytes(tampered), identity).intact
    # Another certificate is not trusted; bytes added after the signature are not covered.
    other = signing.self_signed_identity(tmp_path / "other", "Otro firmante")
    assert not signing.validate(result.pdf, other).trusted
    assert not signing.validate(result.pdf + b"\n% added\n", identity).entire_file


def test_the_zip_index_hashes_match_its_files(built, dossier_case):
    from letters import dossier, signing

    result, facts = built
    archive = zipfile.ZipFile(io.BytesIO(result.zip))
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8"))))
    names = {row["archivo"] for row in rows}
    assert names == set(archive.namelist()) - {"index.csv", "indice.txt"}
    for row in rows:
        assert hashlib.sha256(archive.read(row["archivo"])).hexdigest() == row["sha256"]
        assert row["descripcion"]
    assert archive.read(dossier.DOSSIER_NAME) == result.pdf
    assert archive.read(dossier.PETITION_NAME) == result.petition
    digests = {row["sha256"] for row in rows}
    assert set(facts["letter_hashes"]) <= digests
    assert hashlib.sha256(PNG).hexdigest() in digests  # the photo is in the ZIP
    # The certified demand's file is the archived original: its own signature still holds.
    [burofax] = [n for n in archive.namelist() if "certified_demand" in n]
    assert hashlib.sha256(archive.read(burofax)).hexdigest() == facts["letter_hashes"][1]
    assert signing.validate(archive.read(burofax), dossier_case.burofax_signer).ok
    index_txt = archive.read("indice.txt").decode("utf-8")
    for row in rows:
        assert f"{row['sha256']}  {row['descripcion']}" in index_txt


def test_the_petition_draft_holds_the_parties_and_the_amounts(built, identity):
    from letters import signing

    result, _facts = built
    text = pdf_text(result.petition)
    assert "BORRADOR — revisar por el abogado" in text
    assert "Petición inicial de procedimiento monitorio" in text
    assert "JUZGADO DE PRIMERA INSTANCIA DE MADRID" in text
    for value in (LANDLORD, LANDLORD_NIF, RENTER, RENTER_NIF):
        assert value in text
    assert f"Principal {money('1600')}" in text
    assert "Intereses" in text and "Costas y gastos" in text
    # Every document that goes with it, by its hash.
    for part in result.parts:
        assert part.sha256 in text
    assert signing.validate(result.petition, identity).ok


def _pages(pdf: bytes, start: int, stop: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages[start:stop]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_business_debt_carries_its_invoices_and_the_late_payment_fees(
    app,
    create_workspace,
    make_letter,  # noqa: F811
    identity,
):
    """An unpaid invoice of a business client: its PDF is a part of the dossier, and the debt
    adds the Ley 3/2004 interest and the 40 € fees once a demand has left."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import select

    from letters import dossier
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Case, Charge, Escalation, Member, User
    from tenants.services.collections import cases, claims
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties
    from tenants.storage import DocumentStore
    from tests.letters.dossier_fixtures import letter_pdf

    tenant_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    today = today_in_spain()
    invoice_pdf = letter_pdf("Factura F-7 Talleres Norte")
    with app.app_context(), tenant_context(tenant_id):
        store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
        client = parties.create_party(
            name="Talleres Norte SL",
            kind="company",
            tax_id="B87654323",
            is_business=True,
            street="Polígono Sur 4",
            postal_code="41001",
            city="Sevilla",
            province="Sevilla",
        )
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-7",
                issue_date=today - timedelta(days=90),
                due_date=today - timedelta(days=60),
                total="1210.00",
                description="Recambios",
            )
        )
        invoices.attach_document(invoice.id, sha256=store.put(invoice_pdf), filename="F-7.pdf")
        cases.take_in_overdue(today, "business")
        db.session.flush()
        case_id = db.session.scalar(select(Charge.case_id).where(Charge.id == invoice.id))
        db.session.commit()
    make_letter(tenant_id, case_id, kind="formal_demand", channel="postal", status="posted")
    with app.app_context(), tenant_context(tenant_id):
        owner = db.session.scalars(
            select(User).join(Member, Member.user_id == User.id).where(Member.role == "owner")
        ).first()
        escalation = Escalation(
            case_id=case_id,
            case_type="monitorio",
            claimed_amount="1250.00",
            terms_accepted_at=db.utcnow(),
            escalated_by_id=owner.id,
        )
        db.session.add(escalation)
        db.session.flush()
        claim = claims.claim_of_case(db.session.get(Case, case_id), today)
        result = dossier.build(escalation, store=store, signer=identity, now=db.utcnow())
        db.session.rollback()

    assert claim.is_demand and claim.compensation == 40
    invoice_hash = hashlib.sha256(invoice_pdf).hexdigest()
    [part] = [p for p in result.parts if p.sha256 == invoice_hash]
    assert part.title == "Factura F-7" and part.original
    assert not [p for p in result.parts if "arrendamiento" in p.filename]  # no lease here
    cover = pdf_text(_pages(result.pdf, 0, result.cover_pages))
    assert "Factura F-7" in cover and "Talleres Norte SL" in cover and "B87654323" in cover
    assert f"Principal {money('1210')}" in cover
    assert "Ley 3/2004" in cover and money("40") in cover
    assert f"Total reclamado {money(str(claim.total))}" in cover
    petition = pdf_text(result.petition)
    assert "JUZGADO DE PRIMERA INSTANCIA DE SEVILLA" in petition
    assert "Facturas vencidas y no pagadas" in petition
    assert (
        f"Costas y gastos (indemnización por costes de cobro, art. 8 Ley 3/2004) {money('40')}"
        in petition
    )
    assert "Intereses" in petition and money(str(claim.interest)) in petition


def test_a_stored_file_that_is_no_readable_pdf_is_listed_and_kept_in_the_zip(
    app, dossier_case, identity
):
    """An acknowledgement scanned to a broken PDF does not stop the dossier: it is listed on
    the cover with its hash and goes in the ZIP as it is."""
    from flask import current_app

    from letters import dossier
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Escalation, Letter
    from tenants.storage import DocumentStore

    broken = b"%PDF-1.4 a scan that is not a PDF"
    with app.app_context(), tenant_context(dossier_case.tenant_id):
        store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
        letter = db.session.get(Letter, dossier_case.letter_ids[1])
        letter.acknowledgement_sha256 = store.put(broken)
        db.session.flush()
        escalation = db.session.get(Escalation, dossier_case.escalation_id)
        result = dossier.build(escalation, store=store, signer=identity, now=db.utcnow())
        db.session.rollback()

    digest = hashlib.sha256(broken).hexdigest()
    assert digest not in [p.sha256 for p in result.parts]
    [listed] = [one for one in result.listed if one.sha256 == digest]
    assert listed.title.startswith("Acuse de recibo")
    assert digest in pdf_text(_pages(result.pdf, 0, result.cover_pages))
    archive = zipfile.ZipFile(io.BytesIO(result.zip))
    assert broken in [archive.read(name) for name in archive.namelist()]
    assert result.pages == result.cover_pages + sum(p.pages for p in result.parts)
