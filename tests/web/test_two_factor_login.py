"""Two-factor sign-in as people meet it (issue 14): a law firm's member gives a code after the
password and opens no page of the firm before enrolling; creditors sign in as before; the
code page refuses wrong and reused codes in Spanish, and forgets a password given more than
five minutes ago. Also the demo's `flask demo totp`, and the whole journey in Chromium."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from itsdangerous.timed import TimestampSigner

from tests.conftest import PASSWORD, csrf_token, login, post_form, totp_code


def secret_on_page(html: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the enrolment page"
    return match.group(1).replace(" ", "")


def recovery_codes_on_page(html: str) -> list[str]:
    block = re.search(r'id="recovery-codes">(.*?)</ul>', html, re.S)
    assert block, "no recovery codes on the page"
    return re.findall(r"<li>([a-z0-9-]+)</li>", block.group(1))


def password_step(client, email: str):
    return post_form(client, "/login", {"email": email, "password": PASSWORD})


def code_step(client, code: str):
    return post_form(client, "/login/two-factor", {"code": code})


def wrong_code(rows, email: str) -> str:
    """A 6-digit code that is none of the codes the person's app shows around now."""
    (row,) = rows("SELECT totp_secret FROM users WHERE email = :email", email=email)
    totp = pyotp.TOTP(row["totp_secret"])
    window = {totp.at(time.time() + d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in window)


def can_open(client, slug: str) -> bool:
    return client.get(f"/w/{slug}/").status_code == 200


@pytest.fixture
def firm(create_workspace):
    _id, slug = create_workspace(name="Bufete Gil", kind="law_firm", owner_email="gil@example.com")
    return slug


def enrol(client, es) -> tuple[str, list[str]]:
    """Enrol on /account/two-factor as a person does: read the key, type the app's code."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "qrline" in html  # the QR code, inline
    secret = secret_on_page(html)
    # Reloading shows the same key: the one already scanned stays good.
    assert secret_on_page(client.get("/account/two-factor").get_data(as_text=True)) == secret
    answer = post_form(
        client,
        "/account/two-factor",
        {"code": pyotp.TOTP(secret).now()},
        token_from="/account/two-factor",
    )
    assert answer.status_code == 200
    shown = answer.get_data(as_text=True)
    assert es("Two-factor sign-in is on.") in shown
    codes = recovery_codes_on_page(shown)
    assert len(codes) == 10
    assert 'download="amparo-recovery-codes.txt"' in shown
    return secret, codes


def test_a_law_firm_member_enrols_before_the_firm_opens_then_needs_a_code(
    client, app, firm, es, rows
):
    first = password_step(client, "gil@example.com")
    assert first.headers["Location"].endswith("/account/two-factor")
    # Logged in, but the firm's pages send them to enrolment until it is done.
    page = client.get(f"/w/{firm}/")
    assert page.status_code == 302 and page.headers["Location"].endswith("/account/two-factor")
    assert client.get(f"/w/{firm}/members").status_code == 302

    secret, _codes = enrol(client, es)
    assert can_open(client, firm)
    (row,) = rows("SELECT totp_secret, totp_enabled_at FROM users WHERE email = 'gil@example.com'")
    assert row["totp_secret"] == secret and row["totp_enabled_at"] is not None

    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    second = password_step(client, "gil@example.com")
    assert second.headers["Location"].endswith("/login/two-factor")
    assert not can_open(client, firm)  # the password alone opens nothing
    asked = client.get("/login/two-factor")
    assert es("Write the 6-digit code your authenticator app shows for Amparo.") in (
        asked.get_data(as_text=True)
    )
    done = code_step(client, totp_code(app, "gil@example.com"))
    assert done.status_code == 302
    assert client.get(done.headers["Location"], follow_redirects=True).request.path == (
        f"/w/{firm}/"
    )
    assert can_open(client, firm)


def test_a_wrong_code_says_so_in_spanish_and_does_not_log_in(client, app, firm, message, rows):
    login(client, "gil@example.com")  # enrols Gil
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client, "gil@example.com")
    right = totp_code(app, "gil@example.com")
    wrong = wrong_code(rows, "gil@example.com")

    answer = code_step(client, wrong)
    assert answer.status_code == 401
    assert message("two_factor_code_wrong") in answer.get_data(as_text=True)
    answer = code_step(client, "12345")
    assert message("two_factor_code_format") in answer.get_data(as_text=True)
    assert not can_open(client, firm)

    assert code_step(client, right).status_code == 302
    assert can_open(client, firm)


def test_a_code_used_twice_is_refused(make_client, app, firm, message):
    first, second = make_client(), make_client()
    login(first, "gil@example.com")
    first.post("/logout", data={"csrf_token": csrf_token(first, "/account")})
    password_step(first, "gil@example.com")
    password_step(second, "gil@example.com")
    code = totp_code(app, "gil@example.com")
    assert code_step(first, code).status_code == 302
    # Someone who saw the code over the shoulder, in the same 30 seconds:
    answer = code_step(second, code)
    assert answer.status_code == 401
    assert message("two_factor_code_used") in answer.get_data(as_text=True)
    assert not can_open(second, firm)


def test_a_recovery_code_signs_in_once(client, firm, es, message):
    password_step(client, "gil@example.com")
    _secret, codes = enrol(client, es)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})

    password_step(client, "gil@example.com")
    answer = code_step(client, codes[0])
    assert answer.status_code == 302
    landed = client.get(answer.headers["Location"], follow_redirects=True)
    assert es(
        "You signed in with a recovery code; it cannot be used again. "
        "Recovery codes left: %(count)s.",
        count=9,
    ) in landed.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})

    password_step(client, "gil@example.com")
    again = code_step(client, codes[0])
    assert again.status_code == 401
    assert message("recovery_code_wrong") in again.get_data(as_text=True)
    assert not can_open(client, firm)


def test_the_code_step_expires_after_five_minutes(client, app, firm, es, monkeypatch):
    login(client, "gil@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 301)
    password_step(client, "gil@example.com")  # the note is stamped 5 min 1 s ago
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)

    answer = code_step(client, totp_code(app, "gil@example.com"))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert es("The sign-in took too long or was not started. Log in again.") in page
    assert not can_open(client, firm)
    # Without any password first, the code page is not a way in either.
    fresh = app.test_client()
    assert fresh.get("/login/two-factor").headers["Location"].endswith("/login")


def test_a_creditor_without_two_factor_signs_in_as_before(client, create_workspace, es):
    _id, slug = create_workspace(name="Pisos Ana", kind="landlord")
    answer = password_step(client, "ana@example.com")
    assert answer.status_code == 302 and not answer.headers["Location"].endswith("two-factor")
    assert can_open(client, slug)
    assert es("Turned off") in client.get("/account").get_data(as_text=True)


def test_a_creditor_may_turn_it_on_and_off_a_law_firm_member_may_not(
    client, app, create_workspace, firm, es, message
):
    _id, slug = create_workspace(name="Pisos Ana", kind="landlord")
    login(client, "ana@example.com")
    secret, _codes = enrol(client, es)
    window = {pyotp.TOTP(secret).at(time.time() + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in window)
    off = post_form(client, "/account/two-factor/off", {"off-code": wrong}, token_from="/account")
    account = client.get(off.headers["Location"]).get_data(as_text=True)
    assert message("two_factor_code_wrong") in account and es("Turned on") in account
    code = totp_code(app, "ana@example.com")
    post_form(client, "/account/two-factor/off", {"off-code": code}, token_from="/account")
    assert es("Two-factor sign-in is off.") in client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert password_step(client, "ana@example.com").headers["Location"] == "/"
    assert can_open(client, slug)

    lawyer = app.test_client()
    login(lawyer, "gil@example.com")
    account = lawyer.get("/account").get_data(as_text=True)
    assert "/account/two-factor/off" not in account
    code = totp_code(app, "gil@example.com")
    refused = post_form(
        lawyer, "/account/two-factor/off", {"off-code": code}, token_from="/account"
    )
    assert message("two_factor_required_law_firm") in lawyer.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    lawyer.post("/logout", data={"csrf_token": csrf_token(lawyer, "/account")})
    assert password_step(lawyer, "gil@example.com").headers["Location"].endswith("two-factor")


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(client, app, firm, es, message):
    password_step(client, "gil@example.com")
    _secret, old = enrol(client, es)
    refused = post_form(
        client,
        "/account/two-factor/recovery-codes",
        {"recovery-code": "abcde"},
        token_from="/account",
    )
    assert refused.status_code == 302
    answer = post_form(
        client,
        "/account/two-factor/recovery-codes",
        {"recovery-code": totp_code(app, "gil@example.com")},
        token_from="/account",
    )
    assert answer.status_code == 200
    new = recovery_codes_on_page(answer.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client, "gil@example.com")
    assert message("recovery_code_wrong") in code_step(client, old[1]).get_data(as_text=True)
    assert code_step(client, new[1]).status_code == 302


def test_the_code_step_is_rate_limited_like_the_login(client, app, firm, rows):
    login(client, "gil@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client, "gil@example.com")
    right = totp_code(app, "gil@example.com")
    wrong = wrong_code(rows, "gil@example.com")
    for n in range(10):
        assert code_step(client, wrong).status_code == 401, n
    blocked = code_step(client, right)
    assert blocked.status_code == 429
    assert not can_open(client, firm)


# --- the demo -------------------------------------------------------------------------------


def test_flask_demo_totp_prints_a_code_for_the_secret_the_seed_printed(app):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    line = next(
        x for x in seeded.output.splitlines() if "lawyer@demo.amparo.test" in x and "TOTP" in x
    )
    assert "Laura Abogada" in line
    secret = re.search(r"\b([A-Z2-7]{32})\b", line).group(1)
    shown = runner.invoke(args=["demo", "totp"])
    assert shown.exit_code == 0, shown.output
    code = shown.output.strip().split()[-1]
    assert re.fullmatch(r"\d{6}", code)
    assert pyotp.TOTP(secret).verify(code, valid_window=1)
    # Reproducible: seeding again keeps the same, documented secret.
    again = runner.invoke(args=["demo", "seed"])
    assert secret in again.output


# --- in a browser ---------------------------------------------------------------------------


def test_a_lawyer_enrols_and_signs_in_with_a_code_in_chromium(live_server, browser, firm):
    context = browser.new_context(base_url=live_server.url, locale="es-ES", accept_downloads=True)
    page = context.new_page()
    page.goto("/login")
    page.locator("#email").fill("gil@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/account/two-factor")
    page.goto(f"/w/{firm}/")
    page.wait_for_url("**/account/two-factor")  # the firm stays closed

    assert page.locator(".two-factor-qr svg").is_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activar la verificación en dos pasos").click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.locator("#download-codes").click()
    saved = download.value.path().read_text()
    assert saved.split() == codes
    page.locator("a.btn-amparo").click()
    page.wait_for_url(f"**/w/{firm}/")

    page.locator("#user-menu").click()
    page.locator("#logout").click()
    page.wait_for_url("**/login")
    page.locator("#email").fill("gil@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/login/two-factor")
    # The enrolment used this step's code: the next one is what the app shows in a moment.
    totp = pyotp.TOTP(secret)
    next_step = totp.timecode(time.time()) + 1
    page.locator("#code").fill(totp.generate_otp(next_step))
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"**/w/{firm}/")
    assert live_server.errors() == []
    context.close()
