"""Properties and units as a landlord meets them in the browser: added through forms, listed
with each unit's use and whether it is let today, bad input refused next to its field.

Ana owns the landlord workspace "Pisos Ana" (the `landlord` fixture); her requests go through
the real app with CSRF tokens. Rows are counted from outside the app (no tenant scoping).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.conftest import Tenant, login, post_form

MAYOR = {
    "name": "Calle Mayor 12",
    "street": "Calle Mayor 12",
    "postal_code": "28013",
    "city": "Madrid",
    "province": "Madrid",
}


# --- fixtures shared with test_parties_ui -----------------------------------------------------


@pytest.fixture
def landlord(create_workspace, make_client) -> Tenant:
    workspace_id, slug = create_workspace()
    client = make_client()
    login(client)
    return Tenant(workspace_id, slug, "ana@example.com", client)


@pytest.fixture
def viewer(app, landlord, create_user, make_client):
    """Luis, a viewer of Ana's workspace, logged in on his own client."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    with app.app_context(), tenant_context(landlord.id):
        db.session.add(Member(user_id=user_id, role="viewer"))
        db.session.commit()
    client = make_client()
    login(client, "luis@example.com")
    return client


@pytest.fixture
def in_tenant(app):
    """Run `fn()` inside a workspace, as a service caller would, and commit."""
    from tenants import db
    from tenants.db import tenant_context

    def run(tenant_id: int, fn):
        with app.app_context(), tenant_context(tenant_id):
            result = fn()
            db.session.commit()
            return result

    return run


def field_error(html: str, field_id: str) -> str:
    """The error text shown under a form field (the forms macro's `<id>-error` element)."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def submit(tenant: Tenant, path: str, data: dict, token_from: str | None = None):
    """POST a form; after a redirect, open the next page as a browser does (its flash shown)."""
    response = post_form(tenant.client, path, data, token_from=token_from or path)
    if response.status_code == 302:
        assert tenant.client.get(response.headers["Location"]).status_code == 200
    return response


def add_property(tenant: Tenant, **overrides) -> int:
    path = f"/w/{tenant.slug}/properties"
    response = submit(tenant, path, {**MAYOR, **overrides})
    assert response.status_code == 302, field_errors_of(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def add_unit(tenant: Tenant, property_id: int, label: str, use: str = "housing", ref: str = ""):
    detail = f"/w/{tenant.slug}/properties/{property_id}"
    return submit(
        tenant,
        f"{detail}/units",
        {"label": label, "use": use, "cadastral_ref": ref},
        token_from=detail,
    )


def field_errors_of(response) -> str:
    return " | ".join(re.findall(r'-error"[^>]*>(.*?)</div>', response.get_data(as_text=True)))


def unit_state(html: str, unit_id: int) -> str:
    """The let/vacant badge of a unit's row."""
    match = re.search(rf'id="unit-{unit_id}".*?class="badge[^>]*>([^<]+)<', html, re.S)
    return match.group(1).strip() if match else ""


def count(rows, table: str) -> int:
    return rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608 - our table names


# --- adding properties and units --------------------------------------------------------------


def test_a_landlord_adds_a_property_with_units_and_sees_them_listed(landlord, rows):
    property_id = add_property(landlord)
    assert add_unit(landlord, property_id, "1º A").status_code == 302
    response = add_unit(landlord, property_id, "Local 1", "other", "9872023 vh5797s 0001 wx")
    assert response.status_code == 302

    units = rows("SELECT label, use, cadastral_ref FROM units ORDER BY label")
    assert units == [
        {"label": "1º A", "use": "housing", "cadastral_ref": None},
        {"label": "Local 1", "use": "other", "cadastral_ref": "9872023VH5797S0001WX"},
    ]
    listing = landlord.client.get(f"/w/{landlord.slug}/properties").get_data(as_text=True)
    assert "Calle Mayor 12" in listing and "28013 Madrid (Madrid)" in listing
    assert "1º A" in listing and "Local 1" in listing
    detail = landlord.client.get(f"/w/{landlord.slug}/properties/{property_id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "9872023VH5797S0001WX" in html
    unit_ids = [r["id"] for r in rows("SELECT id FROM units ORDER BY label")]
    for unit_id in unit_ids:  # each unit offers a new lease on itself
        assert f'href="/w/{landlord.slug}/leases/new?unit_id={unit_id}"' in html


def test_a_unit_with_a_running_lease_shows_as_let(landlord, in_tenant, rows, es):
    from tenants.services.rentals import leases, parties

    property_id = add_property(landlord)
    add_unit(landlord, property_id, "1º A")
    add_unit(landlord, property_id, "1º B")
    let_id, vacant_id = [r["id"] for r in rows("SELECT id FROM units ORDER BY label")]

    def lease_1a():
        renter = parties.create_party(name="Marta Ruiz", tax_id="12345678Z")
        leases.create_lease(
            leases.LeaseInput(
                unit_id=let_id,
                renter_ids=[renter.id],
                start_date=date.today() - timedelta(days=60),
                rent="850",
                payment_method="cash",
            )
        )

    in_tenant(landlord.id, lease_1a)

    for path in ("/properties", f"/properties/{property_id}"):
        html = landlord.client.get(f"/w/{landlord.slug}{path}").get_data(as_text=True)
        assert unit_state(html, let_id) == es("let"), path
        assert unit_state(html, vacant_id) == es("vacant"), path


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "  "}, "name", "required"),
        ({"postal_code": "2801"}, "postal_code", "postal_code_invalid"),
        ({"postal_code": "28O13"}, "postal_code", "postal_code_invalid"),
        ({"province": "Atlántida"}, "province", "province_invalid"),
        ({"province": ""}, "province", "required"),
        ({"city": "x" * 101}, "city", None),
    ],
)
def test_bad_property_input_is_refused_next_to_its_field(
    landlord, rows, message, overrides, field, code
):
    path = f"/w/{landlord.slug}/properties"
    response = submit(landlord, path, {**MAYOR, **overrides})

    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error and (code is None or error == message(code))
    assert count(rows, "properties") == 0


def test_a_province_is_accepted_however_it_is_capitalised(landlord, rows):
    add_property(landlord, province="a coruña", postal_code="15001")
    assert rows("SELECT province FROM properties") == [{"province": "A Coruña"}]


@pytest.mark.parametrize(
    ("label", "ref", "field", "code"),
    [
        ("Bajo", "9872023VH5797S0001W", "cadastral_ref", "cadastral_ref_invalid"),
        ("Bajo", "9872023VH5797S0001W-", "cadastral_ref", "cadastral_ref_invalid"),
        ("1º a", "", "label", "unit_exists"),  # the same label, whatever the case
        ("", "", "label", "required"),
    ],
)
def test_bad_unit_input_is_refused_next_to_its_field(
    landlord, rows, message, label, ref, field, code
):
    property_id = add_property(landlord)
    add_unit(landlord, property_id, "1º A")

    response = add_unit(landlord, property_id, label, ref=ref)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message(code)
    assert [r["label"] for r in rows("SELECT label FROM units")] == ["1º A"]


def test_the_same_unit_label_is_fine_in_another_property(landlord, rows):
    first, second = add_property(landlord), add_property(landlord, name="Calle Luna 3")
    assert add_unit(landlord, first, "Bajo").status_code == 302
    assert add_unit(landlord, second, "Bajo").status_code == 302
    assert count(rows, "units") == 2


# --- who sees what ----------------------------------------------------------------------------


def test_properties_and_people_are_in_the_menu_of_landlords_only(
    landlord, create_workspace, make_client
):
    page = landlord.client.get(f"/w/{landlord.slug}/").get_data(as_text=True)
    assert f'href="/w/{landlord.slug}/properties"' in page
    assert f'href="/w/{landlord.slug}/parties"' in page

    _id, shop = create_workspace(name="Tienda Ana", kind="business")
    page = landlord.client.get(f"/w/{shop}/").get_data(as_text=True)
    assert "/properties" not in page and "/leases" not in page
    # A business sees the same people pages, as its clients.
    assert f'href="/w/{shop}/parties"' in page


def test_another_workspaces_property_is_not_found(two_tenants, rows):
    a, b = two_tenants
    b_property = add_property(b, name="Locales de Bea")
    add_unit(b, b_property, "Local 1")

    assert a.client.get(f"/w/{a.slug}/properties/{b_property}").status_code == 404
    own = f"/w/{a.slug}/properties"
    response = post_form(
        a.client,
        f"/w/{a.slug}/properties/{b_property}/units",
        {"label": "Intruso", "use": "housing"},
        token_from=own,
    )
    assert response.status_code == 404
    assert "Locales de Bea" not in a.client.get(own).get_data(as_text=True)
    assert [r["label"] for r in rows("SELECT label FROM units")] == ["Local 1"]


def test_a_viewer_sees_properties_but_cannot_add_any(landlord, viewer, rows):
    property_id = add_property(landlord)
    listing = f"/w/{landlord.slug}/properties"
    detail = f"{listing}/{property_id}"

    page = viewer.get(listing)
    assert page.status_code == 200
    assert "Calle Mayor 12" in page.get_data(as_text=True)
    assert 'name="postal_code"' not in page.get_data(as_text=True)  # no form to fill in
    assert 'name="label"' not in viewer.get(detail).get_data(as_text=True)

    assert post_form(viewer, listing, MAYOR, token_from=listing).status_code == 403
    response = post_form(viewer, f"{detail}/units", {"label": "1º A"}, token_from=detail)
    assert response.status_code == 403
    assert count(rows, "properties") == 1
    assert count(rows, "units") == 0


def test_a_property_whose_postal_code_is_in_another_province_is_refused(landlord, rows, message):
    path = f"/w/{landlord.slug}/properties"
    response = submit(landlord, path, {**MAYOR, "province": "Barcelona"})  # 28013 is Madrid's
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "postal_code") == message(
        "postal_code_province", province="Barcelona", prefix="08"
    )
    assert count(rows, "properties") == 0
