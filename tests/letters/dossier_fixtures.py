"""A case ready for a lawyer, made through the services: Rosa's renter owes two months of
850 €, paid 100 € of them, was sent a formal demand by post and a certified demand (delivered,
its acknowledgement stored), wrote through the portal with a PDF, and the case was escalated
(the Escalation row made directly, as the escalate() service will) with two documents added:
a PDF and a photo. Import the fixtures into a test module with
``from tests.letters.dossier_fixtures import *``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.collections.conftest import (  # noqa: F401 - fixtures, found by name
    GUARANTOR,
    RENTER,
    letter_pdf,
    make_case,
    make_letter,
)

__all__ = ["DossierCase", "dossier_case", "make_case", "make_letter", "pdf_text", "PNG"]

LANDLORD = "Inmuebles Rosa SL"
LANDLORD_NIF = "B12345674"
RENTER_NIF = "12345678Z"
GUARANTOR_NIF = "X1234567L"
# A 1x1 PNG: a photo the creditor added to the escalation (listed, not appended).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def pdf_text(content: bytes) -> str:
    """The PDF's text, whitespace (no-break spaces too) folded to single spaces."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.replace("\u00a0", " ").split())


@dataclass
class DossierCase:
    tenant_id: int
    case_id: int
    escalation_id: int
    letter_ids: list[int]
    lease_id: int
    document_pdf: bytes
    debtor_pdf: bytes
    burofax_signer: object  # the signing.Identity the certified demand was signed with


@pytest.fixture
def dossier_case(app, create_workspace, make_case, make_letter, tmp_path):  # noqa: F811
    from flask import current_app
    from sqlalchemy import select

    from letters import signing
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import (
        Case,
        Escalation,
        EscalationDocument,
        LawFirm,
        Letter,
        Member,
        User,
        Workspace,
        WorkspaceKind,
    )
    from tenants.services.portal import telling
    from tenants.services.receivables import payments
    from tenants.storage import DocumentStore

    tenant_id, _slug = create_workspace(name="Pisos Rosa", owner_email="rosa@example.com")
    with app.app_context(), tenant_context(tenant_id):
        workspace = db.session.get(Workspace, tenant_id)
        workspace.legal_name = LANDLORD
        workspace.tax_id = LANDLORD_NIF
        workspace.street = "Calle Mayor 1"
        workspace.postal_code = "28013"
        workspace.city = "Madrid"
        workspace.contact_email = "rosa@example.com"
        db.session.commit()
    data = make_case(tenant_id, tax_id=RENTER_NIF)
    today = today_in_spain()
    with app.app_context(), tenant_context(tenant_id):
        payments.record_payment(
            lease_id=data.lease_id,
            received_on=today,
            amount="100",
            method="transfer",
            reference="Transferencia parcial",
        )
        db.session.commit()
    demand = make_letter(
        tenant_id,
        data.case_id,
        kind="formal_demand",
        channel="postal",
        status="posted",
        text="Requerimiento de pago",
        tracking="PK111111111ES",
    )
    certified = make_letter(
        tenant_id,
        data.case_id,
        kind="certified_demand",
        status="delivered",
        text="Burofax",
        tracking="BF222222222ES",
    )
    # The certified demand as the render job archives it: signed (docs/law.md#signatures).
    burofax_signer = signing.self_signed_identity(tmp_path / "burofax", "Burofax firmado")
    with app.app_context(), tenant_context(tenant_id):
        letter = db.session.get(Letter, certified)
        store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
        letter.pdf_sha256 = store.put(
            signing.sign_pdf(store.get(letter.pdf_sha256), burofax_signer, reason="Burofax")
        )
        db.session.commit()
    document_pdf = letter_pdf("Contrato firmado")
    debtor_pdf = letter_pdf("Justificante del deudor")
    with app.app_context(), tenant_context(tenant_id):
        store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
        telling.explain(
            data.case_id,
            reason="hardship",
            text="Estoy en paro, pagaré en cuanto pueda.",
            uploads=[telling.Upload("justificante.pdf", debtor_pdf)],
            today=today,
            store=store,
        )
        owner = db.session.scalars(
            select(User).join(Member, Member.user_id == User.id).where(Member.role == "owner")
        ).first()
        firm = Workspace(slug=f"firm-{tenant_id}", name="Abogados Sol", kind=WorkspaceKind.LAW_FIRM)
        db.session.add(firm)
        db.session.flush()
        db.session.add(
            LawFirm(workspace_id=firm.id, provinces=["Madrid"], case_types=["monitorio"])
        )
        case = db.session.get(Case, data.case_id)
        escalation = Escalation(
            case_id=case.id,
            firm_id=firm.id,
            case_type="monitorio",
            status="offered",
            claimed_amount=Decimal("1600.00"),
            flat_fee=Decimal("150.00"),
            terms_accepted_at=db.utcnow(),
            escalated_by_id=owner.id,
        )
        db.session.add(escalation)
        db.session.flush()
        for filename, content_type, content in (
            ("contrato.pdf", "application/pdf", document_pdf),
            ("foto_puerta.png", "image/png", PNG),
        ):
            db.session.add(
                EscalationDocument(
                    escalation_id=escalation.id,
                    side="creditor",
                    uploaded_by_id=owner.id,
                    filename=filename,
                    content_type=content_type,
                    size=len(content),
                    sha256=store.put(content),
                )
            )
        db.session.commit()
        return DossierCase(
            tenant_id=tenant_id,
            case_id=data.case_id,
            escalation_id=escalation.id,
            letter_ids=[demand, certified],
            lease_id=data.lease_id,
            document_pdf=document_pdf,
            debtor_pdf=debtor_pdf,
            burofax_signer=burofax_signer,
        )
