"""Issue 14's browser journey, in Chromium against a live server and worker: the creditor
escalates an eligible case from its page; the firm's partner signs in with password and TOTP,
accepts (declaring no conflict), asks for a document; the creditor uploads it; the lawyer moves
the status to "monitorio filed" with the court and procedure number, then records the outcome;
the creditor sees each step on the case page and gets an email for each.

The case up to its delivered certified demand and the firm's directory entry are made with the
fixtures; everything after the logins is done through the pages.
"""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tenants.clock import today_in_spain
from tests.collections.conftest import RENDER_WARNING, RENTER
from tests.conftest import PASSWORD, totp_code
from tests.web.conftest import browser, live_server  # noqa: F401 - fixtures
from tests.web.test_journey import watch

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(RENDER_WARNING)]

ROSA = "rosa@example.com"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _mails(inbox, to: str) -> list:
    with inbox.lock:
        return [m for m in inbox.messages if to in m["To"]]


def _wait_for_mails(inbox, to: str, count: int, timeout: float = 40) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _mails(inbox, to)
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{len(_mails(inbox, to))} emails to {to} within {timeout}s, not {count}")


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_a_case_goes_to_a_lawyer_and_comes_back_recovered(
    app, creditor, law_firm, escalatable_case, live_server, browser, inbox, rows, es
):
    firm = law_firm("Bufete Álvarez", flat_fee="150", success_percent="10")
    data = escalatable_case(creditor.id)
    today = today_in_spain()
    problems: list[str] = []

    # 1. Rosa escalates the case from its page, as a monitorio, accepting the firm's fees.
    rosa = browser.new_context(base_url=live_server.url, locale="es-ES")
    rosa.set_default_timeout(15_000)
    case_page = rosa.new_page()
    watch(case_page, problems)
    _sign_in(case_page, ROSA)
    case_page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    case_page.goto(f"/w/{creditor.slug}/cases/{data.case_id}")
    details = case_page.locator("details#escalate")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = case_page.locator("#escalate-form")
    form.locator("select").first.select_option("monitorio")
    form.locator("input.firm-option").first.check()
    form.locator("input[type=checkbox]").check()
    form.locator("#escalate-submit").click()
    expect(case_page.locator("#escalation-firm")).to_have_text(firm.name)
    expect(case_page.locator("#escalation-status")).to_have_text(es("Offered to a firm"))
    [escalation] = rows("SELECT id, status FROM escalations")
    _wait_for_mails(inbox, firm.partner_email, 1)  # the offer

    # 2. The partner signs in with password and TOTP, and accepts with no conflict.
    lawyer = browser.new_context(base_url=live_server.url, locale="es-ES")
    lawyer.set_default_timeout(15_000)
    firm_page = lawyer.new_page()
    watch(firm_page, problems)
    _sign_in(firm_page, firm.partner_email)
    firm_page.wait_for_url("**/login/two-factor**")
    firm_page.locator("#code").fill(totp_code(app, firm.partner_email))
    firm_page.locator("main form button[type=submit]").click()
    firm_page.wait_for_url(re.compile(rf"/w/{firm.slug}/"))
    firm_page.goto(f"/w/{firm.slug}/inbox")
    firm_page.locator(f'a[href="/w/{firm.slug}/inbox/{escalation["id"]}"]').first.click()
    expect(firm_page.locator("#debtor")).to_contain_text(RENTER)
    firm_page.locator("#accept-form input[type=checkbox]").check()
    firm_page.locator("#accept-form button[type=submit]").click()
    expect(firm_page.locator("#escalation-status")).to_have_text(es("Accepted"))

    # 3. She asks for a document, with a date.
    request_form = firm_page.locator("#request-form")
    request_form.locator("textarea").fill("El contrato de arrendamiento firmado, por favor.")
    request_form.locator("input[type=date]").fill((today + timedelta(days=7)).isoformat())
    request_form.locator("button[type=submit]").click()
    expect(firm_page.locator("#thread")).to_contain_text("El contrato de arrendamiento firmado")

    # 4. Rosa sees the acceptance and the request, and answers it by upload.
    case_page.reload()
    expect(case_page.locator("#escalation-status")).to_have_text(es("Accepted"))
    expect(case_page.locator("#escalation-thread")).to_contain_text("contrato de arrendamiento")
    case_page.locator("#escalation-thread details summary").first.click()
    upload = case_page.locator("form.request-upload").first
    upload.locator("input[type=file]").set_input_files(
        {"name": "contrato.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    upload.locator("button[type=submit]").click()
    expect(case_page.locator("#escalation-documents")).to_contain_text("contrato.pdf")

    # 5. The lawyer finds it, files the monitorio, then records the outcome.
    firm_page.reload()
    expect(firm_page.locator("#documents")).to_contain_text("contrato.pdf")
    status_form = firm_page.locator("#status-form")
    status_form.locator("select").select_option("monitorio_filed")
    status_form.locator("input[name$=court]").fill("Juzgado de Primera Instancia n.º 3 de Madrid")
    status_form.locator("input[name$=procedure_number]").fill("Monitorio 877/2026")
    status_form.locator("input[type=date]").fill(today.isoformat())
    status_form.locator("button[type=submit]").click()
    expect(firm_page.locator("#escalation-status")).to_have_text(es("Monitorio filed"))
    expect(firm_page.locator("#procedure")).to_contain_text("Monitorio 877/2026")
    outcome = firm_page.locator("#outcome-form")
    outcome.locator("select").select_option("recovered")
    outcome.locator("input[name$=recovered_amount]").fill("1700,00")
    outcome.locator("input[type=date]").fill(today.isoformat())
    outcome.locator("button[type=submit]").click()
    expect(firm_page.locator("#escalation-status")).to_have_text(es("Recovered"))

    # 6. Rosa sees each step on the case, and got an email for each step the firm took.
    case_page.reload()
    expect(case_page.locator("#escalation-status")).to_have_text(es("Recovered"))
    expect(case_page.locator("#escalation-outcome")).to_be_visible()
    timeline = case_page.locator("#escalation-timeline")
    expect(timeline).to_contain_text(es("Monitorio filed"))
    procedure = case_page.locator("#escalation-procedure")
    expect(procedure).to_contain_text("Juzgado de Primera Instancia n.º 3 de Madrid")
    expect(procedure).to_contain_text("Monitorio 877/2026")
    # accepted, the request, filed, the outcome: one email each, at least.
    _wait_for_mails(inbox, ROSA, 4)
    [done] = rows("SELECT status, fee_amount FROM escalations")
    assert done["status"] == "recovered" and str(done["fee_amount"]) == "320.00"  # 150 + 10 %

    lawyer.close()
    rosa.close()
    assert problems == []
    assert live_server.errors() == []
