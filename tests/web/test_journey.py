"""The first hour of a landlord on Amparo, in a real browser against a real server and worker:
sign up, confirm the email, log in, invite a manager who joins, switch to English, log out.

Assertions are what a person would notice. Texts that depend on the Spanish catalogue are
matched in either language, so the test does not break while translations are being edited.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

OWNER = {"name": "Lucía Ortega", "email": "lucia@example.com", "workspace": "Pisos Lucía"}
COLLEAGUE = {"name": "Marcos Gil", "email": "marcos@example.com"}
STRONG_PASSWORD = "tejado verde sobre Cádiz"
MAIL_TIMEOUT = 20  # seconds
SCREENSHOT = "/tmp/amparo-dashboard.png"  # noqa: S108 - a fixed place to look at it afterwards


def either(spanish: str, english: str) -> re.Pattern:
    return re.compile(f"{re.escape(spanish)}|{re.escape(english)}")


def wait_for_link(inbox, address: str, fragment: str) -> str:
    """The link in the email the worker delivers to the real SMTP server, polled like a person
    refreshing their inbox."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while True:
        try:
            return inbox.link(address, fragment)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def watch(page, problems: list[str]) -> None:
    """Keep every console message and uncaught error of the page, to check for CSP violations."""
    page.on(
        "console",
        lambda msg: problems.append(
            f"console.{msg.type}: {msg.text} ({msg.location.get('url', '')})"
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))


def test_landlord_signs_up_invites_a_manager_and_switches_language(live_server, browser, inbox):
    base = live_server.url
    problems: list[str] = []
    owner_ctx = browser.new_context(base_url=base, locale="es-ES")
    owner_ctx.set_default_timeout(10_000)
    page = owner_ctx.new_page()
    watch(page, problems)

    # 1. Sign up, in Spanish by default.
    page.goto("/signup")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    page.locator("#name").fill(OWNER["name"])
    page.locator("#email").fill(OWNER["email"])
    page.locator("#password").fill(STRONG_PASSWORD)
    page.locator("input[name=kind][value=landlord]").check()
    page.locator("#workspace_name").fill(OWNER["workspace"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/signup/check-email")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        either("Revisa tu correo", "Check your email")
    )
    expect(page.locator("main")).to_contain_text(OWNER["email"])

    # 2. The confirmation email arrives through the worker; its link confirms the address.
    verify_link = wait_for_link(inbox, OWNER["email"], "/account/confirm/")
    assert verify_link.startswith(f"{base}/account/confirm/"), verify_link
    page.goto(verify_link)
    page.wait_for_url("**/login")
    expect(page.locator(".alert-success")).to_contain_text(either("confirmado", "confirmed"))

    # 3. Log in and land on the empty landlord dashboard.
    page.locator("#email").fill(OWNER["email"])
    page.locator("#password").fill(STRONG_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/w/[a-z0-9-]+/$"))
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    assert slug == "pisos-lucia"
    expect(page.get_by_role("heading", level=1)).to_have_text(OWNER["workspace"])
    first_steps = page.locator("#first-steps")
    expect(first_steps).to_have_text(
        either("Tu registro de alquileres está vacío", "Your rent book is empty")
    )
    # Styled: our CSS (the navbar colour) and Bootstrap's (the card) load under the strict CSP.
    expect(page.locator("nav.navbar")).to_have_css("background-color", "rgb(11, 79, 108)")
    expect(page.locator("section.card")).to_have_css("border-top-left-radius", "6px")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Bootstrap's JavaScript works too: the workspace switcher opens.
    page.locator("#workspace-switcher").click()
    expect(page.locator(".dropdown-menu .dropdown-item.active")).to_have_text(OWNER["workspace"])
    page.keyboard.press("Escape")

    # 4. Invite a manager from the Members page; the progress bar polls until the email is out.
    page.locator("#settings-menu").click()  # Members lives in the Settings menu
    page.locator(f"nav a[href='/w/{slug}/members']").click()
    page.wait_for_url(f"**/w/{slug}/members")
    page.locator("#emails").fill(COLLEAGUE["email"])
    page.locator("#role").select_option("manager")
    page.locator("form[action$='/members'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/w/{slug}/members\?run=\d+$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("main .list-group")).to_contain_text(COLLEAGUE["email"])
    progress = page.locator("[role=status] progress")
    expect(progress).to_have_attribute("value", "100", timeout=MAIL_TIMEOUT * 1000)
    expect(page.locator("[role=status][id^=job-] label")).to_contain_text(
        either("Completado: 1 de 1", "Done: 1 of 1")
    )

    # 5. The colleague, in a browser of their own, accepts from the email and creates an account.
    invite_link = wait_for_link(inbox, COLLEAGUE["email"], "/invitations/")
    assert invite_link.startswith(f"{base}/invitations/"), invite_link
    colleague_ctx = browser.new_context(base_url=base, locale="es-ES")
    colleague_ctx.set_default_timeout(10_000)
    other = colleague_ctx.new_page()
    watch(other, problems)
    other.goto(invite_link)
    expect(other.get_by_role("heading", level=1)).to_contain_text(OWNER["workspace"])
    expect(other.locator("main")).to_contain_text(COLLEAGUE["email"])
    other.locator("#name").fill(COLLEAGUE["name"])
    other.locator("#password").fill(STRONG_PASSWORD)
    other.locator("#confirm").fill(STRONG_PASSWORD)
    other.locator("main form button[type=submit]").click()
    other.wait_for_url(f"**/w/{slug}/")
    expect(other.get_by_role("heading", level=1)).to_have_text(OWNER["workspace"])
    expect(other.locator("#first-steps")).to_be_visible()
    expect(other.locator("#user-menu")).to_have_text(COLLEAGUE["name"].split()[0])
    colleague_ctx.close()

    page.reload()
    members = page.locator("main #members tbody")
    expect(members).to_contain_text(COLLEAGUE["name"])
    expect(members).to_contain_text(COLLEAGUE["email"])
    expect(members.locator("tr")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text(
        either("Invitaciones pendientes", "Pending invitations")
    )

    # 6. Switch to English; the choice sticks while navigating.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"**/w/{slug}/members*")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#user-menu")).to_have_text(OWNER["name"].split()[0])
    expect(page.get_by_role("button", name="Español")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"**/w/{slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#first-steps")).to_have_text("Your rent book is empty")

    # 7. Log out, from the menu under her name: back on the login page, the workspace closed.
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.locator(".alert-info")).to_contain_text(
        either("Has cerrado sesión", "You have logged out")
    )
    expect(page.locator("#password")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto(f"/w/{slug}/")
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.locator("#password")).to_be_visible()

    owner_ctx.close()
    csp = [p for p in problems if "Content Security Policy" in p]
    assert not csp, "\n".join(csp)
    # Chromium asks for /favicon.ico on its own; Amparo has none, and that 404 is harmless.
    errors = [
        p
        for p in problems
        if p.startswith(("pageerror", "console.error")) and "/favicon.ico" not in p
    ]
    assert not errors, "\n".join(errors)
    # The worker delivered both emails without a failed attempt (a retry would hide one).
    assert not live_server.errors(), live_server.log_tail()
