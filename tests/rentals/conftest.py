"""Fixtures for the rent book service tests: a landlord's workspace as the current tenant, leases
made through the real services, and the legal rates and rent indexes the migration seeds."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import ROOT

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Argon2 at minimal cost: creating the landlord's owner is not what these tests test."""
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
    """The interés legal del dinero, the late-payment rates and the IPC/IRAV values of the
    migration. tests/conftest.py empties every table after each test, these platform tables
    included, so they are put back before each test here."""
    from tenants.models import InterestRate, RentIndexValue

    with admin_engine.begin() as connection:
        rates = connection.scalar(select(func.count()).select_from(InterestRate))
        values = connection.scalar(select(func.count()).select_from(RentIndexValue))
        if not rates and not values:
            _seed_rates(connection)
        else:
            assert rates and values, "one seeded table is empty and the other is not"


@pytest.fixture
def landlord(app, create_workspace):
    """A landlord's workspace, current for the test: services can be called directly.

    Yields its id. The session is rolled back at the end (tables are emptied anyway)."""
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, _slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        yield workspace_id
        db.session.rollback()


@pytest.fixture
def make_lease(landlord):
    """Create a lease through the real services (property, unit, renter, lease, deposit).

    Defaults: housing, paid in cash, rent 800.00 due on the 1st, no update clause, no end.
    Any LeaseInput field can be given; `unit_use` sets the unit's use."""
    from tenants.services import leases, parties, properties

    def make(*, start: date, rent="800.00", unit_use: str = "housing", **fields):
        n = next(_numbers)
        building = properties.create_property(
            name=f"Edificio {n}",
            street=f"Calle Mayor {n}",
            postal_code="28013",
            city="Madrid",
            province="Madrid",
        )
        unit = properties.add_unit(building.id, label="1º A", use=unit_use)
        renter = parties.create_party(name=f"Inquilina {n}")
        data = {"payment_method": "cash", **fields}
        return leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id, renter_ids=[renter.id], start_date=start, rent=rent, **data
            )
        )

    return make
