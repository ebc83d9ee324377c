"""In Chromium: a debtor opens their page, says they have paid already with the bank's receipt
attached, and sees the thank-you; the owner finds the reason, the text and the document on
the case page, and the email about it arrives (the live server and its worker)."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re

from tests.billing.test_card_journey import wait_for_mail
from tests.collections.conftest import landlord, make_case  # noqa: F401
from tests.portal.conftest import PDF
from tests.web.conftest import browser, live_server  # noqa: F401


def test_a_debtor_tells_why_with_a_document_in_the_browser(
    landlord, make_case, token_of, live_server, browser, rows, inbox, es, tmp_path
):
    data = make_case(landlord.id)
    receipt = tmp_path / "justificante.pdf"
    receipt.write_bytes(PDF)
    not_a_document = tmp_path / "nota.txt"
    not_a_document.write_text("solo texto")

    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"/p/{token_of(data.case_id)}")
    page.locator("#explain summary").click()
    page.get_by_label(es("I have already paid")).check()
    page.get_by_label(es("Tell us what happened")).fill("Pagué el día 3 por transferencia.")
    # A text file first: refused next to the field, in Spanish, and nothing sent.
    page.locator("input[type=file]").set_input_files(str(not_a_document))
    page.get_by_role("button", name=es("Send my message")).click()
    error = page.locator("#explain .invalid-feedback").inner_text()
    assert "nota.txt" in error
    assert rows("SELECT id FROM debtor_messages") == []
    # Then the receipt.
    page.get_by_label(es("I have already paid")).check()
    page.locator("input[type=file]").set_input_files(str(receipt))
    page.get_by_role("button", name=es("Send my message")).click()
    page.wait_for_url(re.compile(r".*told=explain.*"))
    assert "Gracias" in page.locator("#told").inner_text()
    assert context.cookies() == []  # the portal set none, on the GETs nor on the POSTs
    context.close()

    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert case == {"status": "paused", "pause_reason": "dispute"}
    html = landlord.page(f"/cases/{data.case_id}")
    assert "Pagué el día 3 por transferencia." in html
    assert "justificante.pdf" in html
    email = wait_for_mail(inbox, "rosa@example.com")
    assert "Pagué el día 3 por transferencia." in inbox.body(email)
    assert live_server.errors() == []
