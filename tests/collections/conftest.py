"""A landlord with a renter in arrears, a case for her, and letters of that case in any state,
made through the services. Letters get a small real PDF (rendered here with WeasyPrint, the way
the render job stores one), so pages can preview, download and join them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

import letters.render  # noqa: F401 - WeasyPrint warns once on import: at collection, not in a test

# WeasyPrint leaves its sRGB ICC profile open when writing PDF/A (see tests/letters).
RENDER_WARNING = r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning"

RENTER = "Javier Martín Ruiz"
GUARANTOR = "Anna Schmidt"


@dataclass
class CaseData:
    case_id: int
    charge_ids: list[int]
    lease_id: int
    renter_id: int


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def pdf_text(content: bytes) -> str:
    """The PDF's text, lines joined by single spaces (a heading may wrap anywhere)."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def letter_pdf(text: str) -> bytes:
    from letters.render import render_pdf

    return render_pdf(f"<html><body><h1>{text}</h1><p>Amparo</p></body></html>")


@pytest.fixture
def make_case(app):
    """Within `tenant_id`: a lease of a renter (and a guarantor) with two months unpaid, taken
    in by a case. Returns CaseData."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Charge
    from tenants.services.collections import cases
    from tenants.services.rentals import charges, leases, parties, properties

    def make(tenant_id: int, renter: str = RENTER, tax_id: str = "12345678Z") -> CaseData:
        today = today_in_spain()
        with app.app_context(), tenant_context(tenant_id):
            prop = properties.create_property(
                name="Calle Mayor 12",
                street="Calle Mayor 12",
                postal_code="28013",
                city="Madrid",
                province="Madrid",
            )
            unit = properties.add_unit(prop.id, label="2º B")
            person = parties.create_party(
                name=renter,
                tax_id=tax_id,
                email="javier@example.com",
                street="Calle Luna 3",
                postal_code="28004",
                city="Madrid",
                province="Madrid",
            )
            guarantor = parties.find_party_by_tax_id("X1234567L") or parties.create_party(
                name=GUARANTOR, tax_id="X1234567L"
            )
            lease = leases.create_lease(
                leases.LeaseInput(
                    unit_id=unit.id,
                    renter_ids=[person.id],
                    guarantor_ids=[guarantor.id],
                    start_date=months_before(today, 2),
                    rent="850",
                    payment_method="cash",
                )
            )
            for months in (2, 1):
                charges.generate_rent_charges(months_before(today, months))
            cases.take_in_overdue(today, "landlord")
            db.session.flush()
            held = list(
                db.session.scalars(
                    select(Charge).where(Charge.lease_id == lease.id).order_by(Charge.due_date)
                )
            )
            data = CaseData(held[0].case_id, [c.id for c in held], lease.id, person.id)
            db.session.commit()
            return data

    return make


@pytest.fixture
def make_letter(app):
    """A letter of the case at step `kind`, rendered (a real PDF stored) and, as asked, moved
    on: "awaiting_approval", "to_post", "posted", "delivered" or "bounced". Returns its id."""
    from flask import current_app

    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Case, User
    from tenants.services.collections import cases, letters
    from tenants.storage import DocumentStore

    def make(
        tenant_id: int,
        case_id: int,
        kind: str = "formal_demand",
        channel: str | None = None,
        status: str = "awaiting_approval",
        text: str | None = None,
        tracking: str = "PK123456789ES",
    ) -> int:
        today = today_in_spain()
        with app.app_context(), tenant_context(tenant_id):
            case = db.session.get(Case, case_id)
            ladder = case.ladder
            step = next(s for s in ladder.steps if s.kind == kind)
            if channel is not None and step.channel != channel:
                step.channel = channel
                db.session.flush()
            case.stage = step.position
            [letter, *_copies] = letters.record_step_letters(case, step, [])
            pdf = letter_pdf(text or f"Letter {kind} for {case.party.name}")
            sha256 = DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(pdf)
            letters.mark_rendered(
                letter, pdf_sha256=sha256, content_sha256=None, context={}, total=Decimal("1740")
            )
            owner = db.session.scalars(select(User).order_by(User.id)).first()
            if status != "awaiting_approval" and letter.status == "awaiting_approval":
                letters.approve(letter.id, owner)
            if status in ("posted", "delivered"):
                letters.mark_posted(
                    [letter.id],
                    posted_on=today,
                    tracking={letter.id: tracking},
                    actor=owner,
                    today=today,
                )
            if status == "delivered":
                ack = DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(
                    letter_pdf("Acuse de recibo firmado")
                )
                letters.record_acknowledgement(
                    letter.id, sha256=ack, delivered_on=today, actor=owner, today=today
                )
            if status == "bounced":
                letter.status = "sending"
                letters.mark_sent(letter, None)
                letters.mark_failed(letter, "550 mailbox unavailable", bounced=True)
            cases.schedule(case, ladder, today)
            letter_id = letter.id
            db.session.commit()
            return letter_id

    return make


def days_from_today(days: int) -> date:
    from tenants.clock import today_in_spain

    return today_in_spain() + timedelta(days=days)


@dataclass
class Landlord:
    id: int
    slug: str
    client: object

    def path(self, path: str) -> str:
        return f"/w/{self.slug}{path}"

    def get(self, path: str):
        return self.client.get(self.path(path))

    def page(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:3000]
        return response.get_data(as_text=True)

    def post(self, path: str, data: dict, *, page: str, client=None, **kwargs):
        """Submit a form from `page` the way a browser does (with that page's CSRF token)."""
        from tests.conftest import post_form

        return post_form(
            client or self.client, self.path(path), data, token_from=self.path(page), **kwargs
        )


@pytest.fixture
def landlord(app, create_workspace, make_client):
    """Rosa's landlord workspace, Rosa (its owner) logged in; the pages in Spanish."""
    from tests.conftest import login

    workspace_id, slug = create_workspace(name="Pisos Rosa", owner_email="rosa@example.com")
    client = make_client()
    login(client, "rosa@example.com")
    return Landlord(workspace_id, slug, client)


@pytest.fixture
def viewer(app, landlord, create_user, make_client):
    """Luis, a viewer of Rosa's workspace, logged in on his own client."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member
    from tests.conftest import login

    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    with app.app_context(), tenant_context(landlord.id):
        db.session.add(Member(user_id=user_id, role="viewer"))
        db.session.commit()
    client = make_client()
    login(client, "luis@example.com")
    return client


@pytest.fixture
def row_of(rows):
    def one(table: str, row_id: int) -> dict:
        [row] = rows(f"SELECT * FROM {table} WHERE id = :id", id=row_id)  # noqa: S608
        return row

    return one
