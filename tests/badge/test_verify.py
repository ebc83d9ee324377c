"""`/verify/<token>` (issue 13.4): the creditor, masked tax id, since when, the state in words and
what protection means; an invoice's number, date and amount and a warning when the link's
amount is not the registered one. Never the debtor, never a debt; a made-up token: not valid."""

from __future__ import annotations

import pytest


@pytest.fixture
def invoice_badge(app, qualifying, add_invoice):
    """A protected business and one of its invoices registered: (creditor, invoice token)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    ws = qualifying(name="Suministros Ana")
    invoice_id = add_invoice(ws.id, "F-2026-007")
    with app.app_context(), tenant_context(ws.id):
        assert issuance.refresh_badge() == "issued"
        token = issuance.register_invoice(invoice_id).token
        db.session.commit()
    return ws, token


def test_the_verify_page_shows_the_invoice_and_never_its_debtor(client, invoice_badge, es):
    _ws, token = invoice_badge

    response = client.get(f"/verify/{token}?amount=121.00")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Suministros Ana" in page
    assert "B1234***4" in page and "B12345674" not in page  # the CIF, masked
    assert es("This invoice is monitored by Amparo.") in page
    assert "F-2026-007" in page and "121,00" in page
    assert es("What protection means") in page
    assert "Cliente F-2026-007" not in page  # the debtor add_invoice seeded
    assert "cliente@example.com" not in page
    assert 'id="verify-tampered"' not in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("amount", ["1121.00", "12,10", "abc", "NaN", "9" * 100])
def test_a_link_with_another_amount_warns_the_invoice_may_be_altered(
    client, invoice_badge, es, amount
):
    _ws, token = invoice_badge
    page = client.get(f"/verify/{token}?amount={amount}").get_data(as_text=True)
    assert 'id="verify-tampered"' in page
    assert es("This invoice may have been altered.") in page


def test_the_page_speaks_english_when_asked(client, invoice_badge):
    _ws, token = invoice_badge
    by_link = client.get(f"/verify/{token}?lang=en").get_data(as_text=True)
    by_browser = client.get(
        f"/verify/{token}", headers={"Accept-Language": "en-GB,en;q=0.8"}
    ).get_data(as_text=True)
    for page in (by_link, by_browser):
        assert "This invoice is monitored by Amparo." in page
        assert 'lang="en"' in page


@pytest.mark.parametrize(
    "path", ["/verify/AAAAAAAAAAAAAAAAAAAAAAAA", "/verify/../x", "/verify/" + "é" * 3000]
)
def test_a_made_up_token_gets_the_not_valid_page(client, invoice_badge, es, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert es("Badge not valid") in page
    assert "Suministros Ana" not in page
