"""Workspaces with API tokens, and a JSON client that sends the bearer token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class ApiWorkspace:
    id: int
    slug: str
    token: str
    token_id: int

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def api_workspace(app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.platform import workspaces as ws_service

    def make(name="Suministros Ana", email="ana@example.com") -> ApiWorkspace:
        workspace_id, slug = create_workspace(name=name, kind="business", owner_email=email)
        with app.app_context(), tenant_context(workspace_id):
            token, secret = ws_service.create_api_token(None, "accounting")
            db.session.commit()
            return ApiWorkspace(workspace_id, slug, secret, token.id)

    return make


@pytest.fixture
def ws_a(api_workspace):
    return api_workspace()


@pytest.fixture
def ws_b(api_workspace):
    return api_workspace("Talleres Bea", "bea@example.com")


@pytest.fixture
def api(client):
    """api(method, path, ws, json=…): a request to /api/v1 with `ws`'s token."""

    def call(method: str, path: str, ws: ApiWorkspace | None = None, **kwargs):
        headers = {**(ws.headers if ws else {}), **kwargs.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call
