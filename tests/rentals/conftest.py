"""Fixtures for the rent book service tests: a landlord's workspace as the current tenant, leases
made through the real services, and the legal rates and rent indexes the migration seeds."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

_numbers = itertools.count(1)


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
    from tenants.services.rentals import leases, parties, properties

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
