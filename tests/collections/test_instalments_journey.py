"""In Chromium, against the live server and its worker (as in production), with the fake of
Stripe: a debtor opens the link of the letter the SMTP server received, sees the debt and
proposes 3 instalments; the creditor accepts them in her workspace; the debtor sets up a SEPA
Direct Debit; the first instalment is debited on its day, the second is returned and, the day
after, the plan is broken and the ladder resumes; the debtor then pays the rest by card on the
fake's hosted page, the case closes and no further letter is sent.

The days move as the collections tests move them: the daily job and the sweep are given the
day (`fan_out_instalments(day)`, `sweep(now)`), the pages show today's."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from playwright.sync_api import expect

from tenants.clock import today_in_spain
from tests import stripe_fake as fake_api
from tests.billing.test_card_journey import wait_for_mail
from tests.billing.test_card_onboarding import activate
from tests.collections.conftest import RENDER_WARNING, landlord, make_case, make_letter  # noqa: F401
from tests.conftest import PASSWORD
from tests.web.conftest import browser, live_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(RENDER_WARNING)]

DEBTOR = "javier@example.com"


def until(check, what: str, timeout: float = 40):
    """Wait for the live worker (or a webhook) to have done `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not done within {timeout}s: {what}")


def run_day(app, day) -> None:
    """The daily instalments job for `day`, done by the live worker."""
    from jobs.enqueue import enqueue_now
    from jobs.instalments import fan_out_instalments

    with app.app_context():
        enqueue_now(fan_out_instalments, day.isoformat())


def test_a_debtor_pays_by_instalments_then_by_card_and_the_letters_stop(
    app, landlord, make_case, make_letter, stripe_fake, live_server, browser, rows, inbox, es, money
):
    activate(app, landlord, stripe_fake)
    stripe_fake.deliver_to(f"{live_server.url}/stripe/webhook")
    data = make_case(landlord.id)
    make_letter(landlord.id, data.case_id, kind="claim_1")  # the live worker emails it
    today = today_in_spain()

    def instalments():
        return rows("SELECT * FROM instalments ORDER BY position")

    def case():
        [row] = rows("SELECT * FROM cases WHERE id = :id", id=data.case_id)
        return row

    # 1. The letter arrives; its link opens the debtor's page, which shows the debt.
    letter = wait_for_mail(inbox, DEBTOR)
    text = letter.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(rf"{re.escape(live_server.url)}/p/[\w-]+", text)
    debtor = browser.new_context(locale="es-ES")
    debtor.set_default_timeout(15_000)
    portal = debtor.new_page()
    portal.goto(link)
    expect(portal.locator("#portal-balance")).to_contain_text(money("1700"))

    # 2. The debtor proposes 3 monthly instalments from today.
    portal.locator("#plan-propose-open").click()
    portal.locator("#plan-count").select_option("3")
    portal.locator("#plan-first_due_on").fill(today.isoformat())
    portal.locator("#plan-propose-submit").click()
    expect(portal.locator("#plan-told")).to_be_visible()
    expect(portal.locator("#plan-proposed")).to_contain_text(money("566.66"))

    # 3. The creditor accepts it in her workspace.
    creditor = browser.new_context(base_url=live_server.url, locale="es-ES")
    creditor.set_default_timeout(15_000)
    page = creditor.new_page()
    page.goto("/login")
    page.locator("#email").fill("rosa@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    page.goto(f"/w/{landlord.slug}/cases/{data.case_id}")
    expect(page.locator("#plan-terms")).to_contain_text(money("566.68"))
    page.locator("#plan-accept").click()
    expect(page.locator("#plan-running")).to_be_visible()
    expect(page.locator("#plan-schedule .plan-instalment")).to_have_count(3)
    assert (case()["status"], case()["pause_reason"]) == ("paused", "plan")

    # 4. The debtor sets up the direct debit: name, IBAN, the mandate accepted.
    portal.reload()
    expect(portal.locator("#plan-schedule .plan-instalment")).to_have_count(3)
    portal.locator("#plan-sepa-details summary").click()
    expect(portal.locator("#sepa-mandate-text")).to_contain_text("8")
    portal.locator("#sepa-name").fill("Javier Martín Ruiz")
    portal.locator("#sepa-iban").fill(fake_api.GOOD_IBAN)
    portal.locator("#sepa-accepted").check()
    portal.locator("#plan-sepa-submit").click()
    expect(portal.locator("#plan-sepa")).to_contain_text("3000")

    # 5. Today the first instalment is debited, and paid.
    first, second, _third = instalments()
    assert first["due_on"] == today
    run_day(app, today)
    until(lambda: instalments()[0]["status"] == "paid", "the first debit paid")
    [paid] = rows("SELECT amount, method FROM payments")
    assert (str(paid["amount"]), paid["method"]) == ("566.66", "direct_debit")

    # 6. On its day the second one is returned by the bank; the day after, the ladder resumes.
    stripe_fake.fail_next_payment()
    run_day(app, second["due_on"])
    until(lambda: instalments()[1]["status"] == "failed", "the second debit returned")
    assert case()["status"] == "paused"
    run_day(app, second["due_on"] + timedelta(days=1))
    until(lambda: case()["status"] == "open", "the ladder resumed")
    page.reload()
    expect(page.locator("#timeline")).to_contain_text(
        es("The letters resume: an instalment was missed.")
    )
    expect(page.locator("#plan-broken")).to_be_visible()

    # 7. The debtor pays the rest by card on the (fake) hosted page: the case closes.
    portal.reload()
    expect(portal.locator("#plan-broken")).to_be_visible()
    portal.locator("#pay-card-button").click()
    portal.wait_for_url(f"{stripe_fake.url}/checkout/**")
    portal.locator("#pay").click()
    portal.wait_for_url("**/card/paid**")
    until(lambda: case()["status"] == "closed", "the case closed by the card payment")
    payments = rows("SELECT amount, method FROM payments ORDER BY id")
    assert [(str(p["amount"]), p["method"]) for p in payments] == [
        ("566.66", "direct_debit"),
        ("1133.34", "card"),
    ]

    # 8. No further letter: the sweep at the day the ladder would have sent the next one.
    from tenants.services.collections import sweep

    letters_before = rows("SELECT id FROM letters")
    later = datetime.combine(second["due_on"] + timedelta(days=30), clock(12), tzinfo=UTC)
    with app.app_context():
        for tenant_id in sweep.tenants_with_due_work(later):
            from tenants.db import tenant_context

            with tenant_context(tenant_id):
                sweep.sweep(later)
    assert rows("SELECT id FROM letters") == letters_before
    wait_for_mail(inbox, DEBTOR)  # the letter and the plan's emails, then the thanks
    until(
        lambda: any(
            "Gracias" in (m["Subject"] or "") or "Thank" in (m["Subject"] or "")
            for m in inbox.to(DEBTOR)
        ),
        "the thank-you email",
    )
    letter_emails = [
        m
        for m in inbox.to(DEBTOR)
        if m.get_content_maintype() == "multipart"
        and any(p.get_content_type() == "application/pdf" for p in m.iter_attachments())
    ]
    assert len(letter_emails) == 1  # the first letter only
    debtor.close()
    creditor.close()
    assert live_server.errors() == [], live_server.log_tail()
