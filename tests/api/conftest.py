"""Workspaces with API tokens, and a JSON client that sends the bearer token."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Argon2 at minimal cost: creating the workspace's owner is not what these tests test."""
    from argon2 import PasswordHasher

    from tenants.services import secrets

    monkeypatch.setattr(
        secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def seeded_rates(admin_engine):
    """The rates migration 0002 seeds (tests/conftest.py empties these tables after each test)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from tenants.models import InterestRate

    with admin_engine.begin() as connection:
        if connection.scalar(select(func.count()).select_from(InterestRate)):
            return
        path = next((ROOT / "tenants" / "migrations" / "versions").glob("0002_*.py"))
        spec = importlib.util.spec_from_file_location("amparo_migration_0002", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        with Operations.context(MigrationContext.configure(connection)):
            migration._seed_rates()


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
    from tenants.services import workspaces as ws_service

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
