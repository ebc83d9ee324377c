"""The demo: one landlord, one business and one law firm, so `make run` shows a live product.

Idempotent: running it again finds what exists and adds only what is missing. Later areas
(rentals, invoices, cases) add their data here.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenants.db import tenant_context
from tenants.models import WorkspaceKind
from tenants.services import accounts
from tenants.services import workspaces as ws_service

DEMO = (
    (
        "demo-landlord",
        "Alquileres Demo",
        WorkspaceKind.LANDLORD,
        "landlord@demo.amparo.test",
        "Lucía Arrendadora",
    ),
    (
        "demo-business",
        "Comercial Demo S.L.",
        WorkspaceKind.BUSINESS,
        "business@demo.amparo.test",
        "Bruno Comerciante",
    ),
    (
        "demo-lawfirm",
        "Bufete Demo Abogados",
        WorkspaceKind.LAW_FIRM,
        "lawyer@demo.amparo.test",
        "Laura Abogada",
    ),
)


def seed_demo(password: str) -> Iterator[str]:
    for slug, name, kind, email, person in DEMO:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(name=person, email=email, password=password, verified=True)
        workspace = ws_service.workspace_by_slug(slug)
        if workspace is None:
            workspace = ws_service.create_workspace(name=name, kind=kind, owner=user, slug=slug)
        with tenant_context(workspace.id):
            if ws_service.membership(user.id) is None:
                raise RuntimeError(f"{slug} exists but {email} is not a member")
        yield f"{slug:15} {email}"
