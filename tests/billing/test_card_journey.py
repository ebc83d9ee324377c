"""In Chromium: a debtor opens their page, pays by card on the fake's hosted Checkout page and
comes back to a thank-you; the webhook has booked it, the case is closed and the thank-you
email arrives (the live server and its worker, as in production)."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import time

from tests.billing.test_card_onboarding import activate
from tests.billing.test_card_payments import case_of, token_of
from tests.collections.conftest import landlord, make_case  # noqa: F401
from tests.web.conftest import browser, live_server  # noqa: F401


def wait_for_mail(inbox, to: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with inbox.lock:
            found = [m for m in inbox.messages if to in m["To"]]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} within {timeout}s")


def test_a_debtor_pays_by_card_in_the_browser(
    app, landlord, make_case, stripe_fake, live_server, browser, rows, inbox, es, money
):
    activate(app, landlord, stripe_fake)
    data = make_case(landlord.id)
    stripe_fake.deliver_to(f"{live_server.url}/stripe/webhook")

    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"/p/{token_of(rows, data.case_id)}")
    card = page.locator("#pay-card")
    assert money("1700") in card.inner_text()
    card.locator("#pay-card-button").click()
    page.wait_for_url(f"{stripe_fake.url}/checkout/**")
    page.locator("#pay").click()  # «Pagar» on Stripe's (fake) page
    page.wait_for_url("**/card/paid**")
    assert es("Thank you: your payment has been received") in page.locator("h1").inner_text()
    page.locator("#back-to-portal").click()
    settled = page.locator("#portal-settled").inner_text()
    assert es("Nothing is owed any more. Thank you.") in settled
    context.close()

    assert case_of(rows, data.case_id)["status"] == "closed"
    [payment] = rows("SELECT amount, method FROM payments")
    assert payment["method"] == "card" and str(payment["amount"]) == "1700.00"
    wait_for_mail(inbox, "javier@example.com")
    assert live_server.errors() == []
