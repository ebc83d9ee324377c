"""Law firms and escalations for the inbox tests, built with the ORM and core's offer (the
escalation service of the creditor's side is tested on its own).

`inbox_world`: Ana's landlord workspace with a renter in arrears and a case for him; two law
firms that fit it (Madrid, every case type, the current data-processing agreement), "Bufete
Uno" (partner uno@, lawyer lola@) and "Bufete Dos" (partner dos@); the case escalated and
offered to Bufete Uno. Each person is logged in on a client of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pytest

from tests.collections import conftest as collections_fixtures
from tests.conftest import login

RENTER = collections_fixtures.RENTER
make_case = collections_fixtures.make_case  # a fixture, for the test modules


@dataclass
class Firm:
    id: int
    slug: str
    name: str
    partner: str
    clients: dict = field(default_factory=dict)  # email -> logged-in client


@dataclass
class InboxWorld:
    app: object
    creditor_id: int
    creditor_slug: str
    case_id: int
    uno: Firm
    dos: Firm
    escalation_id: int
    ana: object  # the creditor's owner, logged in

    def run(self, tenant_id: int, fn):
        from tenants import db
        from tenants.db import tenant_context

        with self.app.app_context(), tenant_context(tenant_id):
            result = fn()
            db.session.commit()
            return result

    def escalation(self, escalation_id: int | None = None):
        """The escalation as stored (read under the creditor's tenant)."""
        from tenants import db
        from tenants.models import Escalation

        return self.run(
            self.creditor_id,
            lambda: db.session.get(Escalation, escalation_id or self.escalation_id),
        )

    def user(self, email: str):
        from tenants.services.platform.accounts import find_user_by_email

        with self.app.app_context():
            return find_user_by_email(email)


def add_member(app, create_user, workspace_id: int, email: str, role: str) -> int:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email=email, name=email.split("@")[0].capitalize() + " Abogada")
    with app.app_context(), tenant_context(workspace_id):
        db.session.add(Member(user_id=user_id, role=role))
        db.session.commit()
    return user_id


def make_firm(
    app,
    create_workspace,
    name: str,
    partner: str,
    *,
    flat_fee: str | None = "150.00",
    percent: str | None = None,
    provinces=("Madrid",),
    case_types=("monitorio", "eviction", "ordinary"),
) -> Firm:
    from tenants import db
    from tenants.models import LawFirm
    from tenants.services.escalations import core

    firm_id, slug = create_workspace(name=name, kind="law_firm", owner_email=partner)
    with app.app_context():
        db.session.add(
            LawFirm(
                workspace_id=firm_id,
                provinces=list(provinces),
                case_types=list(case_types),
                capacity=20,
                min_amount=Decimal("0"),
                flat_fee=Decimal(flat_fee) if flat_fee else None,
                success_percent=Decimal(percent) if percent else None,
                dpa_version=core.DPA_VERSION,
                dpa_accepted_at=db.utcnow(),
            )
        )
        db.session.commit()
    return Firm(firm_id, slug, name, partner)


def escalate(
    app,
    creditor_id: int,
    case_id: int,
    firm_id: int,
    *,
    case_type: str = "monitorio",
    flat_fee: str | None = "150.00",
    percent: str | None = None,
    claimed: str = "1700.00",
    now: datetime | None = None,
    accepted_by: int | None = None,
) -> int:
    """The case escalated on these terms and offered to the firm (accepted by `accepted_by`,
    a user id, when given). Returns the escalation's id."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Escalation
    from tenants.services.escalations import core

    with app.app_context(), tenant_context(creditor_id):
        now = now or db.utcnow()
        escalation = Escalation(
            case_id=case_id,
            case_type=case_type,
            claimed_amount=Decimal(claimed),
            flat_fee=Decimal(flat_fee) if flat_fee else None,
            success_percent=Decimal(percent) if percent else None,
            terms_accepted_at=now,
            created_at=now,
        )
        db.session.add(escalation)
        db.session.flush()
        offer = core.offer_to(escalation, firm_id, now)
        if accepted_by is not None:
            offer.answer, offer.answered_at, offer.answered_by_id = "accepted", now, accepted_by
            offer.no_conflict = True
            escalation.status, escalation.accepted_at = "accepted", now
            escalation.accepted_by_id = accepted_by
            escalation.offer_expires_at = None
            escalation.firm_attention_at = None
        db.session.commit()
        return escalation.id


def firm_client(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


@pytest.fixture
def inbox_world(app, create_workspace, create_user, make_case) -> InboxWorld:
    creditor_id, creditor_slug = create_workspace(name="Pisos Ana")
    case = make_case(creditor_id)
    uno = make_firm(app, create_workspace, "Bufete Uno", "uno@example.com")
    add_member(app, create_user, uno.id, "lola@example.com", "lawyer")
    dos = make_firm(app, create_workspace, "Bufete Dos", "dos@example.com")
    escalation_id = escalate(app, creditor_id, case.case_id, uno.id)
    for firm, emails in (
        (uno, ("uno@example.com", "lola@example.com")),
        (dos, ("dos@example.com",)),
    ):
        for email in emails:
            firm.clients[email] = firm_client(app, email)
    ana = app.test_client()
    login(ana, "ana@example.com")
    return InboxWorld(app, creditor_id, creditor_slug, case.case_id, uno, dos, escalation_id, ana)


def escalation_for_firm(firm_id: int, tag: str, *, status: str = "offered") -> dict[str, int]:
    """In the current app context: a creditor of its own (`<tag>-creditor`) whose debtor's case
    is escalated and offered to the firm (or accepted, `status="accepted"`), with its dossier's
    files stored, a deadline and a document of the creditor's. For the walks of tests/tenants,
    which try every route of the firm's inbox. Returns the ids the routes take."""
    import secrets

    from flask import current_app

    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import (
        Case,
        Escalation,
        EscalationDeadline,
        EscalationDocument,
        Workspace,
        WorkspaceKind,
    )
    from tenants.services.collections import ladders
    from tenants.services.escalations import core
    from tenants.services.rentals import parties
    from tenants.storage import DocumentStore

    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    creditor = Workspace(
        slug=f"{tag}-creditor", name=f"{tag} Inmuebles", kind=WorkspaceKind.LANDLORD
    )
    db.session.add(creditor)
    db.session.flush()
    with tenant_context(creditor.id):
        party = parties.create_party(name=f"{tag}-debtor")
        case = Case(
            party_id=party.id,
            ladder_id=ladders.workspace_ladder("landlord").id,
            anchor_date=db.utcnow().date(),
            portal_token=secrets.token_urlsafe(24),
        )
        db.session.add(case)
        db.session.flush()
        now = db.utcnow()
        pdf = store.put(f"%PDF-1.7 {tag} dossier".encode())
        escalation = Escalation(
            case_id=case.id,
            case_type="monitorio",
            claimed_amount=Decimal("900.00"),
            flat_fee=Decimal("150.00"),
            terms_accepted_at=now,
            dossier_state="ready",
            dossier_pdf_sha256=pdf,
            dossier_zip_sha256=pdf,
            petition_sha256=pdf,
        )
        db.session.add(escalation)
        db.session.flush()
        offer = core.offer_to(escalation, firm_id, now)
        if status == "accepted":
            offer.answer, offer.answered_at, offer.no_conflict = "accepted", now, True
            escalation.status, escalation.accepted_at = "accepted", now
        deadline = EscalationDeadline(
            escalation_id=escalation.id, due_on=now.date(), label=f"{tag} deadline"
        )
        document = EscalationDocument(
            escalation_id=escalation.id,
            side="creditor",
            filename=f"{tag}.pdf",
            content_type="application/pdf",
            size=20,
            sha256=pdf,
        )
        db.session.add_all([deadline, document])
        db.session.flush()
        return {
            "escalation_id": escalation.id,
            "deadline_id": deadline.id,
            "document_id": document.id,
            "creditor_id": creditor.id,
        }
