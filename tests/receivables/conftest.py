"""Fixtures for the receivables service tests: a business workspace as the current tenant and
the legal and late-payment rates the migration seeds."""

from __future__ import annotations

import importlib.util

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


def _seed_rates(connection) -> None:
    """Run the seeding step of migration 0002 itself, so the tests see exactly its values."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    path = next((ROOT / "tenants" / "migrations" / "versions").glob("0002_*.py"))
    spec = importlib.util.spec_from_file_location("amparo_migration_0002", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with Operations.context(MigrationContext.configure(connection)):
        migration._seed_rates()


@pytest.fixture(autouse=True)
def seeded_rates(admin_engine):
    """The interés legal del dinero and the Ley 3/2004 rates of the migration. tests/conftest.py
    empties every table after each test, these platform tables included, so they are put back
    before each test here."""
    from tenants.models import InterestRate, RentIndexValue

    with admin_engine.begin() as connection:
        rates = connection.scalar(select(func.count()).select_from(InterestRate))
        values = connection.scalar(select(func.count()).select_from(RentIndexValue))
        if not rates and not values:
            _seed_rates(connection)
        else:
            assert rates and values, "one seeded table is empty and the other is not"


@pytest.fixture
def business(app, create_workspace):
    """A business workspace, current for the test: services can be called directly.

    Yields its id. The session is rolled back at the end (tables are emptied anyway)."""
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    with app.app_context(), tenant_context(workspace_id):
        yield workspace_id
        db.session.rollback()
