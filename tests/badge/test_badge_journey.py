"""The badge in a real browser (issue 13, "a browser journey"): the owner of a protected business
copies the HTML snippet from the badge page with its button, a plain web page on another origin
embeds it, Chromium loads the badge from the live server (active, with the creditor's name), and
clicking it opens the verify page, which shows the creditor and the protection in force.

The workspace qualifies through the services and the badge is issued by the refresh service
(the job is tested in test_issuance.py); everything after the login is done in the browser.
"""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from letters import badge_art
from tests.conftest import PASSWORD
from tests.web.conftest import browser, live_server  # noqa: F401 - fixtures
from tests.web.test_journey import watch

pytestmark = pytest.mark.browser

NAME = "Suministros Ana"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_site(tmp_path):
    """A plain static web server on another port: another origin, as a creditor's own website."""
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _issue(app, workspace_id: int) -> str:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    with app.app_context(), tenant_context(workspace_id):
        assert issuance.refresh_badge() == "issued"
        token = issuance.workspace_badge().token
        db.session.commit()
        return token


def test_an_owner_embeds_the_badge_on_another_site_and_it_verifies(
    app, qualifying, live_server, browser, other_site, es
):
    ws = qualifying(name=NAME)
    token = _issue(app, ws.id)
    site_root, site_url = other_site

    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    # 127.0.0.1 is a secure context: the "Copy HTML" button writes to the real clipboard.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch(page, problems)

    # 1. The owner signs in and opens Settings → Badge.
    page.goto("/login")
    page.locator("#email").fill("ana@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    page.goto(f"/w/{ws.slug}/settings/badge")
    expect(page.locator("[data-state=active]").first).to_be_visible()

    # 2. She copies the HTML snippet with its button: the clipboard holds the textarea's text.
    copy = page.locator("button[data-copy=snippet-html]")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text(es("Copied"))
    snippet = page.evaluate("navigator.clipboard.readText()")
    assert snippet == page.locator("#snippet-html").input_value()
    assert f"{live_server.url}/badge/{token}.svg" in snippet
    assert f'href="{live_server.url}/verify/{token}"' in snippet

    # 3. She pastes it into a plain page of her own website, on another origin.
    (site_root / "factura.html").write_text(
        "<!doctype html><html lang=es><head><meta charset=utf-8><link rel=icon href='data:,'>"
        "<title>Factura F-2026-118</title>"
        f"</head><body><h1>Factura F-2026-118</h1><p>Total: 1.210,00 €</p>{snippet}</body></html>",
        encoding="utf-8",
    )
    visitor = browser.new_context(locale="es-ES")  # a debtor: no session with Amparo
    visitor.set_default_timeout(15_000)
    invoice_page = visitor.new_page()
    watch(invoice_page, problems)
    with invoice_page.expect_response(re.compile(rf"/badge/{token}\.svg")) as badge_response:
        invoice_page.goto(f"{site_url}/factura.html")
    response = badge_response.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "set-cookie" not in response.headers
    art = response.text()
    assert NAME in art and badge_art.WORDS["es"]["active"][0] in art

    image = invoice_page.locator(f'img[src*="/badge/{token}.svg"]')
    expect(image).to_be_visible()
    invoice_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => img.naturalWidth") > 0

    # 4. A debtor clicks the badge: Amparo's verify page names the creditor, in force.
    image.click()
    invoice_page.wait_for_url(f"{live_server.url}/verify/{token}")
    verify = invoice_page.locator("#verify")
    expect(verify).to_have_attribute("data-state", "active")
    expect(invoice_page.locator("#verify-creditor")).to_contain_text(NAME)
    expect(invoice_page.locator("#verify-state")).to_contain_text(
        es(
            "%(name)s is an Amparo client and this badge is valid: its unpaid invoices are "
            "followed up with Amparo.",
            name=NAME,
        )
    )
    verify_image = invoice_page.locator("#verify img")
    invoice_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=verify_image.element_handle()
    )

    visitor.close()
    context.close()
    assert problems == []
    assert live_server.errors() == []
