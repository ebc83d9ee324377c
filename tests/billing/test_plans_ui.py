"""Plans at the routes: a refused action answers a 402 page naming the plan it needs (with a
link to the plan page), the API a JSON problem naming it; the plan page shows the plan, the
trial, the usage and the three plans to the owner only."""

from __future__ import annotations

import pytest

from tests.billing.test_plans import _lease
from tests.collections.test_ladder_ui import DEFAULT_STEPS, ladder_form
from tests.conftest import Tenant, login, post_form
from tests.rentals.lease_pages import open_book, page_text


@pytest.fixture
def book(app, create_workspace, make_client):
    """Ana's rent book, her client speaking English."""
    return open_book(app, create_workspace, make_client)


def put_on(book, code: str, status: str = "active") -> None:
    from tenants.services.billing import plans

    book.run(lambda: plans.put_on(code, reason="test", status=status))


def assert_needs_plan(response, plan: str, what: str) -> str:
    html = page_text(response)
    assert response.status_code == 402, html[:2000]
    assert f"This needs the {plan} plan" in html
    assert f"{what}: this needs the {plan} plan." in html
    assert 'href="/w/' in html and '/settings/plan"' in html  # the way to the plan
    return html


def test_the_11th_lease_on_gratis_gets_a_page_naming_protection_then_works_on_upgrade(book):
    put_on(book, "gratis")
    book.run(lambda: [_lease(n) for n in range(10)])
    unit = book.unit(label="2º B", building="Calle Luna 1")
    renter = book.person("Marta Ruiz")
    assert 'data-plan-needed="leases">Protection plan</span>' in book.page("/leases")  # the button
    assert_needs_plan(book.new_lease(unit, [renter]), "Protection", "More leases running")
    put_on(book, "proteccion")
    book.lease(unit, [renter])  # restored on upgrade


def test_ladder_steps_beyond_the_reminder_need_protection_at_the_route(book):
    put_on(book, "gratis")
    book.page("/settings/ladder")  # the ladder exists, as the owner sees it
    steps = [("reminder", 3, "due", "postal", False), *DEFAULT_STEPS[1:]]
    response = post_form(
        book.client,
        book.path("/settings/ladder"),
        ladder_form(steps),
        token_from=book.path("/settings/ladder"),
    )
    assert_needs_plan(response, "Protection", "Paper letters (postal and certified)")
    assert 'id="ladder-plan-note"' in book.page("/settings/ladder")


def test_inviting_a_second_person_needs_profesional(book):
    put_on(book, "proteccion")
    assert 'data-plan-needed="members">Professional plan</span>' in book.page("/members")
    response = post_form(
        book.client,
        book.path("/members"),
        {"emails": "luis@example.com", "role": "manager"},
        token_from=book.path("/members"),
    )
    assert_needs_plan(response, "Professional", "Inviting more people to the workspace")
    put_on(book, "profesional", status="trialing")
    response = post_form(
        book.client,
        book.path("/members"),
        {"emails": "luis@example.com", "role": "manager"},
        token_from=book.path("/members"),
    )
    assert response.status_code == 302


def test_an_api_token_of_a_workspace_without_the_api_is_refused_naming_the_plan(
    app, create_workspace
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans
    from tenants.services.platform import workspaces

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    with app.app_context(), tenant_context(workspace_id):
        _token, secret = workspaces.create_api_token(None, "ERP")
        plans.put_on("proteccion", reason="test")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/v1/invoices", headers=headers)
    assert response.status_code == 402
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert (body["plan"], body["feature"]) == ("profesional", "api")
    assert "Profesional" in body["detail"] or "Professional" in body["detail"]
    with app.app_context(), tenant_context(workspace_id):
        plans.put_on("profesional", reason="test")
        db.session.commit()
    assert client.get("/api/v1/invoices", headers=headers).status_code == 200


def test_the_plan_page_shows_the_trial_the_usage_and_the_plans_to_the_owner_only(
    app, create_workspace, create_user, make_client, es
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    workspace_id, slug = create_workspace()
    client = make_client()
    login(client)
    html = page_text(client.get(f"/w/{slug}/settings/plan"))
    assert es("Your plan: %(plan)s", plan="Profesional") in html
    assert "Quedan 14 días de prueba." in html
    assert es("%(used)s of %(limit)s", used=0, limit=10) not in html  # no limit on Profesional
    for name in ("Gratis", "Protección", "Profesional"):
        assert f'<th scope="col">{name}</th>' in html
    assert "19,00" in html and "49,00" in html
    assert 'id="subscribe-proteccion"' in html and 'id="subscribe-profesional"' in html
    assert 'id="menu-plan"' in html

    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    with app.app_context(), tenant_context(workspace_id):
        db.session.add(Member(user_id=user_id, role="manager"))
        db.session.commit()
    other = make_client()
    login(other, "luis@example.com")
    assert other.get(f"/w/{slug}/settings/plan").status_code == 403
    assert 'id="menu-plan"' not in page_text(other.get(f"/w/{slug}/"))


def test_the_plan_page_counts_the_leases_against_gratis(book):
    put_on(book, "gratis")
    book.run(lambda: [_lease(n) for n in range(3)])
    html = book.page("/settings/plan")
    assert "Your plan: Free" in html
    assert "3 of 10" in html


def test_a_case_waiting_for_the_plan_says_so_on_its_page(app, create_workspace, make_client, es):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans
    from tenants.services.collections import sweep
    from tests.billing.test_plans import _due_now
    from tests.collections import conftest as collections_fixtures

    workspace_id, slug = create_workspace()
    data = collections_fixtures.make_case.__wrapped__(app)(workspace_id)
    with app.app_context(), tenant_context(workspace_id):
        plans.put_on("gratis", reason="test")
        sweep.sweep(_due_now(data.case_id, 1))
        db.session.commit()
    client = make_client()
    login(client)
    html = page_text(client.get(f"/w/{slug}/cases/{data.case_id}"))
    assert 'id="case-plan-wait"' in html
    assert "el siguiente paso necesita el plan Protección" in html
    assert "En pausa: «" in html  # the timeline names the step that waits


def test_approving_a_demand_on_gratis_gets_the_page_and_a_suspended_workspace_reads_all(
    app, make_client, create_workspace
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans
    from tests.collections import conftest as collections_fixtures

    workspace_id, slug = create_workspace()
    data = collections_fixtures.make_case.__wrapped__(app)(workspace_id)
    letter_id = collections_fixtures.make_letter.__wrapped__(app)(workspace_id, data.case_id)
    with app.app_context(), tenant_context(workspace_id):
        plans.put_on("proteccion", reason="test", status="suspended")
        db.session.commit()
    client = make_client()
    login(client)
    page = f"/w/{slug}/cases/approvals"
    response = post_form(
        client, f"/w/{slug}/cases/letters/{letter_id}/approve", {}, token_from=page
    )
    html = page_text(response)
    assert response.status_code == 402
    assert "Esto necesita el plan Protección" in html
    # Suspended, it still reads everything it has: nothing was deleted.
    for path in ("/leases", f"/cases/{data.case_id}", "/cases/approvals", "/settings/plan"):
        assert client.get(f"/w/{slug}{path}").status_code == 200, path


def test_the_51st_invoice_owed_on_gratis_gets_the_page_naming_protection(
    app, create_workspace, make_client
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans
    from tenants.services.rentals import parties
    from tests.billing.test_plans import _invoice
    from tests.receivables.test_invoices_ui import invoice_fields, new_invoice

    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    with app.app_context(), tenant_context(workspace_id):
        plans.put_on("gratis", reason="test")
        client_id = parties.create_party(name="Cliente SL", tax_id="B12345674").id
        for n in range(50):
            _invoice(f"F-{n}", client_id)
        db.session.commit()
    client = make_client()
    login(client)
    response = new_invoice(
        Tenant(workspace_id, slug, "ana@example.com", client), invoice_fields(client_id)
    )
    html = page_text(response)
    assert response.status_code == 402
    assert "Más facturas pendientes de cobro: hace falta el plan Protección." in html
