"""Fixtures for the receivables service tests: a business workspace as the current tenant and
the legal and late-payment rates the migration seeds."""

from __future__ import annotations

import pytest


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
