"""The debtor portal `/p/<token>` a letter links to: no login, that debtor's case only."""

from __future__ import annotations

import re

from tests.collections.conftest import RENTER


def token_of(rows, case_id: int) -> str:
    [row] = rows("SELECT portal_token FROM cases WHERE id = :id", id=case_id)
    return row["portal_token"]


def letterhead(app, workspace_id: int) -> None:
    from tenants import db
    from tenants.models import Workspace

    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        workspace.iban = "ES9121000418450200051332"
        workspace.contact_email = "cobros@pisosrosa.example"
        db.session.commit()


def test_the_debtor_sees_what_is_owed_and_how_to_pay(
    app, client, landlord, make_case, rows, es, money
):
    data = make_case(landlord.id)
    letterhead(app, landlord.id)
    response = client.get(f"/p/{token_of(rows, data.case_id)}")  # not logged in
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert es("For %(name)s", name=RENTER) in html
    assert len(re.findall(r'class="portal-charge"', html)) == 2
    assert money("1700") in re.search(r'id="portal-balance">(.*?)<', html).group(1)
    assert "ES9121000418450200051332" in html
    assert 'src="data:image/svg+xml' in html  # the transfer QR code
    assert "cobros@pisosrosa.example" in html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_paid_case_says_nothing_is_owed(app, client, landlord, make_case, rows, es):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.receivables import payments

    data = make_case(landlord.id)
    with app.app_context(), tenant_context(landlord.id):
        payments.record_payment(lease_id=data.lease_id, received_on=today_in_spain(), amount="1700")
        db.session.commit()
    html = client.get(f"/p/{token_of(rows, data.case_id)}").get_data(as_text=True)
    assert es("Nothing is owed any more. Thank you.") in html
    assert "portal-charge" not in html


def test_an_unknown_token_is_not_found(client, landlord, make_case):
    make_case(landlord.id)
    assert client.get("/p/not-a-real-token").status_code == 404
    assert client.get("/p/" + "x" * 200).status_code == 404
