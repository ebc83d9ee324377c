"""Fixtures of the badge tests: creditor workspaces with their owner logged in, one that
qualifies for the badge, and reading a badge from outside the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

VALID_CIF = "B12345674"


@dataclass
class Creditor:
    id: int
    slug: str
    name: str
    client: object  # its owner, logged in

    def url(self, path: str = "/") -> str:
        return f"/w/{self.slug}{path}"

    def page(self, path: str = "/") -> str:
        response = self.client.get(self.url(path))
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)


@pytest.fixture
def creditor(app, create_workspace, make_client):
    """A new workspace (on its trial of Profesional, its owner verified, no tax id yet) with its
    owner logged in: `creditor(kind="business", name=..., email=...)`."""
    from tests.conftest import login

    def create(kind="business", name="Suministros Ana", email="ana@example.com") -> Creditor:
        workspace_id, slug = create_workspace(name=name, kind=kind, owner_email=email)
        client = make_client()
        login(client, email)
        return Creditor(workspace_id, slug, name, client)

    return create


@pytest.fixture
def qualifying(app, creditor):
    """A business that qualifies, with no badge yet: on Protección, its owner verified, a valid
    CIF on its letterhead, the default ladder."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.billing import plans

    def create(**kwargs) -> Creditor:
        workspace = creditor(**kwargs)
        with app.app_context(), tenant_context(workspace.id):
            db.session.get(Workspace, workspace.id).tax_id = VALID_CIF
            plans.put_on("proteccion", reason="test")
            db.session.commit()
        return workspace

    return create


@pytest.fixture
def badge_of(app):
    """The workspace's badge as a dict (None before it has one), read through the service;
    checks that Workspace.is_protected (what letters read) says the same."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    def read(workspace_id: int) -> dict | None:
        with app.app_context(), tenant_context(workspace_id):
            badge = issuance.workspace_badge()
            protected = db.session.get(Workspace, workspace_id).is_protected
            db.session.rollback()
            if badge is None:
                assert not protected
                return None
            assert protected == (badge.state == "active")
            return {
                "token": badge.token,
                "state": badge.state,
                "reason": badge.reason,
                "version": badge.version,
            }

    return read


@pytest.fixture
def add_invoice(app):
    """An invoice of the workspace to a client, overdue since November: returns its id."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    def add(workspace_id: int, number: str) -> int:
        with app.app_context(), tenant_context(workspace_id):
            client = parties.create_party(
                name=f"Cliente {number}", is_business=True, email="cliente@example.com"
            )
            invoice = invoices.create_invoice(
                invoices.InvoiceInput(
                    party_id=client.id,
                    number=number,
                    issue_date=date(2026, 10, 1),
                    due_date=date(2026, 11, 1),
                    total="121.00",
                )
            )
            db.session.commit()
            return invoice.id

    return add
