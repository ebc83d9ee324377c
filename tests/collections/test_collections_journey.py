"""A landlord works a case in a real browser against a real server and worker: the renter owes
two months, the case's formal demand (sent by certified post in this landlord's ladder) waits
for approval. She finds the case, previews the letter in the approval queue and approves it,
downloads the tray of paper letters as one PDF, marks the letter posted with its tracking
number, and reads it on the case's timeline.

The data up to the rendered letter is made with the services (the letter's PDF is rendered in
the fixture, as the render job would); everything after the login is done through the pages,
in English (the Spanish texts are checked by the other tests of this folder).
"""

from __future__ import annotations

import re

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from tenants.clock import today_in_spain
from tests.collections.conftest import RENDER_WARNING, RENTER, pdf_text
from tests.conftest import PASSWORD
from tests.web.conftest import browser, live_server  # noqa: F401 - fixtures
from tests.web.test_journey import watch

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings(RENDER_WARNING)]

OWNER = {"email": "rosa@example.com", "name": "Rosa Vidal", "workspace": "Pisos Rosa"}
LETTER_TEXT = "Requerimiento de pago a Javier Martin"
TRACKING = "PK123456789ES"


def test_landlord_approves_a_formal_demand_and_posts_it(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    create_user,
    create_workspace,
    make_case,
    make_letter,
    tmp_path,
):
    create_user(email=OWNER["email"], name=OWNER["name"])
    workspace_id, slug = create_workspace(name=OWNER["workspace"], owner_email=OWNER["email"])
    data = make_case(workspace_id)
    letter_id = make_letter(
        workspace_id, data.case_id, kind="formal_demand", channel="certified", text=LETTER_TEXT
    )
    today = today_in_spain()

    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, locale="es-ES", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch(page, problems)

    page.goto("/login")
    page.locator("#email").fill(OWNER["email"])
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"**/w/{slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # 1. The case, from the Collections menu.
    page.get_by_role("button", name=re.compile("^Collections")).click()
    expect(page.locator("#menu-approvals")).to_contain_text("1")
    page.get_by_role("link", name="Cases", exact=True).click()
    page.wait_for_url(f"**/w/{slug}/cases")
    row = page.locator(f"#case-{data.case_id}")
    expect(row).to_contain_text(RENTER)
    expect(row).to_contain_text("€1,700.00")
    expect(row).to_contain_text("Formal demand")
    row.get_by_role("link", name=RENTER).click()
    page.wait_for_url(f"**/cases/{data.case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case of {RENTER}")
    letter_row = page.locator(f"#letter-{letter_id}")
    expect(letter_row).to_contain_text("Formal demand")
    expect(letter_row).to_contain_text("Waiting for approval")
    expect(page.locator("#ladder .step-next")).to_contain_text("Certified demand")

    # 2. The approval queue: preview the letter, then approve it.
    letter_row.get_by_role("link", name="Review it").click()
    page.wait_for_url(f"**/cases/approvals#letter-{letter_id}")
    card = page.locator(f"#letter-{letter_id}")
    expect(card).to_contain_text(RENTER)
    expect(card).to_contain_text("Certified mail with acknowledgement of receipt")
    preview = card.locator("iframe.letter-preview")
    expect(preview).to_be_visible()
    pdf = page.request.get(preview.get_attribute("src"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert LETTER_TEXT in pdf_text(pdf.body())
    page.screenshot(path=tmp_path / "approvals.png", full_page=True)
    card.get_by_label("Note (optional to approve or skip)").fill("Checked the amounts")
    card.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(f"**/w/{slug}/cases/approvals")
    expect(page.locator(".alert-success")).to_contain_text("The letter is approved and on its way.")
    expect(page.locator("#no-approvals")).to_be_visible()

    # 3. The tray: download every letter as one PDF, then mark this one posted.
    page.get_by_role("button", name=re.compile("^Collections")).click()
    page.locator("#menu-to-post").click()
    page.wait_for_url(f"**/w/{slug}/cases/to-post")
    tray_row = page.locator(f"#tray-{letter_id}")
    expect(tray_row).to_contain_text(RENTER)
    expect(tray_row).to_contain_text("Calle Luna 3")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all as one PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"letters-to-post-{today.isoformat()}.pdf"
    saved = tmp_path / "tray.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert LETTER_TEXT in pdf_text(saved.read_bytes())

    page.locator(f"#post-{letter_id}").check()
    page.locator(f"#tracking-{letter_id}").fill(TRACKING)
    expect(page.locator("#posted_on")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Mark the selected letters posted").click()
    page.wait_for_url(f"**/w/{slug}/cases/to-post")
    expect(page.locator(".alert-success")).to_contain_text("1 letter marked as posted.")
    expect(page.locator("#tray-empty")).to_be_visible()
    expect(page.locator(f"#posted-{letter_id}")).to_contain_text(TRACKING)

    # 4. The case's timeline tells the story.
    page.goto(f"/w/{slug}/cases/{data.case_id}")
    timeline = page.locator("#timeline")
    day = format_date(today, "medium", locale="en")
    expect(timeline).to_contain_text(
        f"Formal demand to {RENTER} posted on {day}, tracking number {TRACKING}."
    )
    expect(timeline).to_contain_text(f"Formal demand to {RENTER} approved.")
    expect(page.locator(f"#letter-{letter_id}")).to_contain_text("Posted")
    page.screenshot(path=tmp_path / "case.png", full_page=True)

    context.close()
    csp = [p for p in problems if "Content Security Policy" in p]
    assert not csp, "\n".join(csp)
    errors = [
        p
        for p in problems
        if p.startswith(("pageerror", "console.error")) and "/favicon.ico" not in p
    ]
    assert not errors, "\n".join(errors)
    assert not live_server.errors(), live_server.log_tail()
