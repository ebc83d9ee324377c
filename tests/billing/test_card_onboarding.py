"""Settings → Card payments: the owner connects the workspace's own Stripe account (Connect
Express) through the fake's onboarding page, and the page shows what Stripe says of it."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re

from tests.collections.conftest import landlord  # noqa: F401 - the fixture
from tests.conftest import login, post_form

PAGE = "/settings/card-payments"


def status_on(page: str) -> str:
    return re.search(r'id="stripe-status" data-status="(\w+)"', page).group(1)


def start_onboarding(landlord, stripe_fake) -> tuple[str, str]:
    """The owner presses the button: (the account's id, the onboarding link)."""
    response = landlord.post(f"{PAGE}/onboarding", {}, page=PAGE)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    link = response.headers["Location"]
    assert link.startswith(f"{stripe_fake.url}/connect/onboard/acct_")
    return re.search(r"/connect/onboard/(acct_\w+)", link).group(1), link


def activate(app, landlord, stripe_fake) -> str:
    """Onboarding done on Stripe's side, the owner back on the settings page: the account id."""
    stripe_fake.deliver_to(app.test_client())
    account_id, _link = start_onboarding(landlord, stripe_fake)
    stripe_fake.onboard(account_id)
    back = landlord.get(f"{PAGE}/onboarding/return")
    assert back.status_code == 302
    return account_id


def test_the_owner_connects_stripe_and_the_page_shows_each_status(
    app, landlord, stripe_fake, rows, es
):
    stripe_fake.deliver_to(app.test_client())
    page = landlord.page(PAGE)
    assert status_on(page) == "not_started"
    assert es("Set up card payments with Stripe") in page

    account_id, link = start_onboarding(landlord, stripe_fake)
    [created] = [
        r for r in stripe_fake.requests if r["method"] == "POST" and r["path"] == "/v1/accounts"
    ]
    assert created["params"]["type"] == "express"
    assert created["params"]["country"] == "ES"
    assert created["params"]["metadata"] == {"tenant_id": str(landlord.id)}
    assert created["idempotency_key"]
    assert "return_url=" in link and "refresh_url=" in link
    page = landlord.page(PAGE)
    assert status_on(page) == "pending"
    assert es("the bank account your money is paid out to") in page  # requirements.currently_due

    # A second press makes a new link for the same account, not a second account.
    again, _ = start_onboarding(landlord, stripe_fake)
    assert again == account_id
    assert len(rows("SELECT * FROM stripe_accounts")) == 1

    # The owner finishes on Stripe's page: account.updated arrives, and the return reads it too.
    stripe_fake.onboard(account_id)
    landlord.get(f"{PAGE}/onboarding/return")
    page = landlord.page(PAGE)
    assert status_on(page) == "active"
    assert 'id="stripe-onboard"' not in page

    # Stripe later holds the payouts back until it has an identity document.
    requirements = {"currently_due": ["individual.verification.document"], "past_due": []}
    stripe_fake.set_state(account_id, payouts_enabled=False, requirements=requirements)
    state = stripe_fake.call("GET", f"/v1/accounts/{account_id}", {})[1]
    stripe_fake.send("account.updated", state, account=account_id)
    page = landlord.page(PAGE)
    assert status_on(page) == "restricted"
    assert es("your personal details and identity document") in page
    assert es("Debtors can pay you by card, but Stripe holds the payouts to your bank.") in page

    actions = [r["action"] for r in rows("SELECT action FROM activity_events ORDER BY id")]
    assert [a for a in actions if a.startswith("stripe_account.")] == [
        "stripe_account.created",
        "stripe_account.active",
        "stripe_account.restricted",
    ]
    dashboard = landlord.page("/")
    assert es("the Stripe account %(account)s can now take card payments", account=account_id) in (
        dashboard
    )


def test_a_manager_sees_the_status_but_cannot_connect_stripe(
    app, landlord, stripe_fake, create_user, make_client, rows, es
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email="marta@example.com", name="Marta")
    with app.app_context(), tenant_context(landlord.id):
        db.session.add(Member(user_id=user_id, role="manager"))
        db.session.commit()
    manager = make_client()
    login(manager, "marta@example.com")
    page = manager.get(f"/w/{landlord.slug}{PAGE}").get_data(as_text=True)
    assert 'id="stripe-onboard"' not in page
    assert es("Only an owner of the workspace can connect its Stripe account.") in page
    response = post_form(
        manager, f"/w/{landlord.slug}{PAGE}/onboarding", {}, token_from=f"/w/{landlord.slug}{PAGE}"
    )
    assert response.status_code == 403
    assert rows("SELECT * FROM stripe_accounts") == []
    assert not [r for r in stripe_fake.requests if r["path"] == "/v1/accounts"]
