"""Fixtures of the debtor portal's tests: a case's link, its debtor's language, a letter sent."""

from __future__ import annotations

import pytest

from tests.collections.conftest import (  # noqa: F401 - fixtures the portal tests share
    landlord,
    make_case,
    make_letter,
    row_of,
    viewer,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture
def token_of(rows):
    def token(case_id: int) -> str:
        [row] = rows("SELECT portal_token FROM cases WHERE id = :id", id=case_id)
        return row["portal_token"]

    return token


@pytest.fixture
def set_case(app):
    """Change a case's (or its debtor's) columns directly: `set_case(tenant, case_id, status=…)`."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case

    def change(tenant_id: int, case_id: int, *, language: str | None = None, **values) -> None:
        with app.app_context(), tenant_context(tenant_id):
            case = db.session.get(Case, case_id)
            for name, value in values.items():
                setattr(case, name, value)
            if language:
                case.party.language = language
            db.session.commit()

    return change


@pytest.fixture
def contact(app):
    """The workspace's letterhead: the IBAN and the contact address the portal shows."""
    from tenants import db
    from tenants.models import Workspace

    def set_contact(workspace_id: int, email: str = "cobros@pisosrosa.example") -> None:
        with app.app_context():
            workspace = db.session.get(Workspace, workspace_id)
            workspace.iban = "ES9121000418450200051332"
            workspace.contact_email = email
            db.session.commit()

    return set_contact


@pytest.fixture
def sent_letter(app, make_letter):  # noqa: F811 - the fixture imported above
    """A letter of the case that left by email (status sent), with its PDF stored."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Letter
    from tenants.services.collections import letters

    def make(tenant_id: int, case_id: int, text: str = "Carta enviada") -> int:
        letter_id = make_letter(tenant_id, case_id, kind="reminder", status="sending", text=text)
        with app.app_context(), tenant_context(tenant_id):
            letter = db.session.get(Letter, letter_id)
            if letter.status != "sent":
                letter.status = "sending"
                letters.mark_sent(letter, None)
            db.session.commit()
        return letter_id

    return make
