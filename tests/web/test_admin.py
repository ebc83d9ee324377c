"""The platform admin extends the IPC/IRAV values every workspace uses; nobody else sees it."""

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import login, post_form


@pytest.fixture
def admin_client(app, create_user):
    from tenants import db
    from tenants.models import User

    user_id = create_user(email="root@example.com", name="Root")
    with app.app_context():
        db.session.get(User, user_id).is_platform_admin = True
        db.session.commit()
    client = app.test_client()
    login(client, "root@example.com")
    return client


def _value(app, index: str, month: date):
    from tenants.services.rentals.rent_updates import index_value

    with app.app_context():
        row = index_value(index, month)
        return None if row is None else row.value


def test_admin_adds_and_corrects_an_index_value(app, admin_client):
    page = admin_client.get("/admin/rates")
    assert page.status_code == 200
    assert "2,19" in page.get_data(as_text=True) or "2.19" in page.get_data(as_text=True)

    form = {"index": "irav", "month": "2025-05-01", "value": "2,05", "source": "INE"}
    response = post_form(admin_client, "/admin/rates", form, token_from="/admin/rates")
    assert response.status_code == 302
    assert _value(app, "irav", date(2025, 5, 1)) == Decimal("2.05")

    form["value"] = "-0,3"  # a correction replaces the value; negative variations exist
    post_form(admin_client, "/admin/rates", form, token_from="/admin/rates")
    assert _value(app, "irav", date(2025, 5, 1)) == Decimal("-0.30")


def test_bad_value_is_refused_with_a_message(app, admin_client):
    form = {"index": "irav", "month": "2025-06-01", "value": "dos", "source": "INE"}
    response = post_form(admin_client, "/admin/rates", form, token_from="/admin/rates")
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    assert _value(app, "irav", date(2025, 6, 1)) is None


def test_only_platform_admins_get_in(app, client, create_user):
    assert client.get("/admin/rates").status_code == 404
    create_user()
    login(client)
    assert client.get("/admin/rates").status_code == 404
    assert client.post("/admin/rates").status_code in (400, 404)
