"""The platform admin extends the IPC/IRAV values and the interest rates every workspace uses,
and verifies them (docs/law.md#rates-as-data); nobody else sees it."""

import re
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


# --- interest rates (docs/law.md#rates-as-data) ------------------------------------------------


def _rate(app, kind: str, valid_from: date):
    from sqlalchemy import select

    from tenants import db
    from tenants.models import InterestRate

    with app.app_context():
        row = db.session.scalar(
            select(InterestRate).where(
                InterestRate.kind == kind, InterestRate.valid_from == valid_from
            )
        )
        if row is None:
            return None
        return {
            c: getattr(row, c)
            for c in ("id", "rate", "valid_to", "boe_reference", "source", "verified")
        } | {"verified_by": row.verified_by, "verified_at": row.verified_at}


def _rate_form(row: dict, **changes) -> dict:
    form = {
        "rate-rate_id": str(row["id"]),
        "rate-kind": "late_payment",
        "rate-valid_from": "2026-07-01",
        "rate-valid_to": "2026-12-31",
        "rate-rate": "10,15",
        "rate-boe_reference": row["boe_reference"],
        "rate-source": row["source"],
    }
    return form | changes


def test_every_rate_and_index_is_listed_unverified_first(app, admin_client):
    html = admin_client.get("/admin/rates").get_data(as_text=True)
    rates = re.findall(r'<tr class="interest-rate( table-warning unverified)?" id="rate-', html)
    assert rates and "" in rates and rates[0]  # some verified, some not: unverified on top
    assert rates == sorted(rates, reverse=True)
    # The legal interest rate and Ley 3/2004, from 2016.
    assert "interés legal del dinero 2016" in html and "Ley 3/2004, 1.er semestre de 2016" in html
    assert "BOE-A-2019-18736" in html
    values = re.findall(r'<tr class="index-value( table-warning unverified)?" id="index-', html)
    assert values and values == sorted(values, reverse=True)


def test_the_admin_corrects_a_rate_and_verifies_it(app, admin_client):
    h2 = _rate(app, "late_payment", date(2026, 7, 1))
    assert h2["verified"] is False
    # Verifying a rate without its BOE resolution is refused, with the reason.
    response = post_form(
        admin_client,
        f"/admin/rates/interest/{h2['id']}/verify",
        {},
        token_from="/admin/rates",
        follow_redirects=True,
    )
    assert "Escribe el identificador del BOE de la resolución que has leído" in response.get_data(
        as_text=True
    )
    assert _rate(app, "late_payment", date(2026, 7, 1))["verified"] is False

    form = _rate_form(h2, **{"rate-boe_reference": "boe-a-2026-15000"})
    response = post_form(admin_client, "/admin/rates/interest", form, token_from="/admin/rates")
    assert response.status_code == 302
    saved = _rate(app, "late_payment", date(2026, 7, 1))
    assert (saved["boe_reference"], saved["verified"]) == ("BOE-A-2026-15000", False)

    response = post_form(
        admin_client, f"/admin/rates/interest/{h2['id']}/verify", {}, token_from="/admin/rates"
    )
    assert response.status_code == 302
    verified = _rate(app, "late_payment", date(2026, 7, 1))
    assert verified["verified"] is True
    assert verified["verified_by"] == "root@example.com" and verified["verified_at"] is not None
    html = admin_client.get("/admin/rates").get_data(as_text=True)
    [row] = re.findall(rf'<tr class="interest-rate[^"]*" id="rate-{h2["id"]}".*?</tr>', html, re.S)
    assert "root@example.com" in row and "unverified" not in row

    # Correcting the rate makes it unverified again: nobody has read the new value.
    form = _rate_form(verified, **{"rate-rate": "10,40"})
    post_form(admin_client, "/admin/rates/interest", form, token_from="/admin/rates")
    corrected = _rate(app, "late_payment", date(2026, 7, 1))
    assert (corrected["rate"], corrected["verified"]) == (Decimal("10.400"), False)


def test_the_admin_adds_the_next_half_year(app, admin_client):
    form = {
        "rate-kind": "late_payment",
        "rate-valid_from": "2027-01-01",
        "rate-valid_to": "2027-06-30",
        "rate-rate": "10.15",
        "rate-boe_reference": "",
        "rate-source": "Resolución SGTFI, 1S 2027",
    }
    response = post_form(admin_client, "/admin/rates/interest", form, token_from="/admin/rates")
    assert response.status_code == 302
    added = _rate(app, "late_payment", date(2027, 1, 1))
    assert (added["rate"], added["valid_to"], added["verified"]) == (
        Decimal("10.150"),
        date(2027, 6, 30),
        False,
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"rate-rate": "diez"}, "rate_invalid"),
        ({"rate-rate": "101,5"}, "rate_invalid"),
        ({"rate-rate": "45"}, "rate_implausible"),
        ({"rate-boe_reference": "BOE 3/2004"}, "boe_reference_invalid"),
        ({"rate-valid_to": "2026-06-30"}, "end_before_start"),
        ({"rate-valid_from": "2026-06-01"}, "rate_overlap"),
    ],
)
def test_bad_rate_input_is_refused_with_a_message_and_nothing_changes(
    app, admin_client, message, changes, code
):
    before = _rate(app, "late_payment", date(2026, 7, 1))
    form = _rate_form(before, **changes)
    response = post_form(admin_client, "/admin/rates/interest", form, token_from="/admin/rates")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    params = {"start": "01/01/2026", "end": "30/06/2026"} if code == "rate_overlap" else {}
    assert message(code, **params) in html
    assert "is-invalid" in html
    assert _rate(app, "late_payment", date(2026, 7, 1)) == before
    assert _rate(app, "late_payment", date(2026, 6, 1)) is None


def test_the_admin_verifies_an_index_value_and_a_corrected_one_needs_it_again(app, admin_client):
    from tenants.services.rentals.rent_updates import index_value

    with app.app_context():
        value_id = index_value("irav", date(2025, 1, 1)).id
    response = post_form(
        admin_client, f"/admin/rates/index/{value_id}/verify", {}, token_from="/admin/rates"
    )
    assert response.status_code == 302
    with app.app_context():
        row = index_value("irav", date(2025, 1, 1))
        assert (row.verified, row.verified_by) == (True, "root@example.com")
    form = {"index": "irav", "month": "2025-01-01", "value": "2,20", "source": "INE"}
    post_form(admin_client, "/admin/rates", form, token_from="/admin/rates")
    with app.app_context():
        assert index_value("irav", date(2025, 1, 1)).verified is False


def test_only_platform_admins_change_rates(app, client, create_user):
    from tests.conftest import csrf_token

    h2 = _rate(app, "late_payment", date(2026, 7, 1))
    create_user()
    login(client)
    token = csrf_token(client, "/workspaces")
    for path in (
        f"/admin/rates/interest/{h2['id']}/verify",
        "/admin/rates/interest",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert _rate(app, "late_payment", date(2026, 7, 1)) == h2
