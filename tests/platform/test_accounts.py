"""Accounts as a person meets them: sign-up, the emailed links, logging in and out, passwords,
the account page, the language, security headers and the admin CLI.

Messages are matched as the page shows them: translated to Spanish by the app's own catalogue
(the `es` fixture) and HTML-escaped. Emails travel for real: committed, enqueued on Redis,
delivered by a burst RQ worker to the aiosmtpd server of the `inbox` fixture.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import text

from tenants.services.platform.secrets import sign_link
from tests.conftest import PASSWORD, csrf_token, login, post_form

NEW_PASSWORD = "tejado verde sobre Cádiz"
CARMEN = {
    "name": "Carmen Ruiz",
    "email": "carmen@example.com",
    "password": PASSWORD,
    "kind": "landlord",
    "workspace_name": "Pisos Carmen",
}


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def sql(admin_engine):
    """Rows as dicts, read from outside the app (as the database owner: no tenant scoping)."""

    def query(statement: str, **params) -> list[dict]:
        with admin_engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(statement), params)]

    return query


def count(sql, table: str) -> int:
    return sql(f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608 - our table names


def field_error(html: str, field_id: str) -> str:
    """The error text shown under a form field (the forms macro's `<id>-error` element)."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def path_of(link: str) -> str:
    return urlsplit(link).path


def signed_ago(settings, seconds: int, purpose: str, payload: dict) -> str:
    """A genuine signed link, made `seconds` ago (itsdangerous stamps links with the time)."""
    real = TimestampSigner.get_timestamp
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - seconds)
        return sign_link(settings["SECRET_KEY"], purpose, payload)


def tampered(token: str) -> str:
    """The token with its signature changed (the first character always carries 6 bits)."""
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


def deliver_mail(run_worker, inbox, address: str) -> list:
    """Run a burst worker, then the emails `address` received (the worker's log if none)."""
    worker = run_worker()
    received = inbox.to(address)
    assert received, f"no email to {address}; worker log:\n{worker.stderr[-4000:]}"
    return received


def is_logged_in(client, slug: str) -> bool:
    response = client.get(f"/w/{slug}/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def user_row(sql, email: str) -> dict:
    rows = sql("SELECT * FROM users WHERE email = :email", email=email)
    assert len(rows) == 1, rows
    return rows[0]


# --- sign-up and email verification --------------------------------------------------------


def test_sign_up_creates_an_owned_workspace_and_emails_a_link_that_verifies(
    client, inbox, run_worker, sql, es
):
    response = post_form(
        client, "/signup", {**CARMEN, "email": "Carmen@Example.com"}, token_from="/signup"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/signup/check-email"
    assert "carmen@example.com" in client.get("/signup/check-email").get_data(as_text=True)

    user = user_row(sql, "carmen@example.com")  # stored lower-case
    assert user["name"] == "Carmen Ruiz"
    assert user["email_verified_at"] is None
    assert user["password_hash"].startswith("$argon2id$")
    [workspace] = sql("SELECT * FROM workspaces")
    assert (workspace["name"], workspace["slug"], workspace["kind"]) == (
        "Pisos Carmen",
        "pisos-carmen",
        "landlord",
    )
    assert sql("SELECT user_id, role, tenant_id FROM members") == [
        {"user_id": user["id"], "role": "owner", "tenant_id": workspace["id"]}
    ]
    assert inbox.to("carmen@example.com") == []  # email leaves through the worker only

    [message] = deliver_mail(run_worker, inbox, "carmen@example.com")
    assert message["Subject"] == es("Confirm your email for Amparo")
    verify = client.get(path_of(inbox.link("carmen@example.com", "/account/confirm/")))
    assert verify.status_code == 302
    assert es("Your email is confirmed. You can log in now.") in client.get(
        verify.headers["Location"]
    ).get_data(as_text=True)
    assert user_row(sql, "carmen@example.com")["email_verified_at"] is not None

    login(client, "carmen@example.com")
    dashboard = client.get("/", follow_redirects=True)
    assert dashboard.status_code == 200
    assert dashboard.request.path == "/w/pisos-carmen/"
    assert "Pisos Carmen" in dashboard.get_data(as_text=True)


def test_login_before_verifying_is_refused_and_sends_the_link_again(
    client, create_user, inbox, run_worker, sql, es
):
    create_user(email="carmen@example.com", verified=False)

    response = post_form(client, "/login", {"email": "carmen@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert es(
        "Confirm your email first: we have sent you a link to %(email)s.",
        email="carmen@example.com",
    ) in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not logged in

    assert len(deliver_mail(run_worker, inbox, "carmen@example.com")) == 1
    client.get(path_of(inbox.link("carmen@example.com", "/account/confirm/")))
    assert user_row(sql, "carmen@example.com")["email_verified_at"] is not None
    login(client, "carmen@example.com")


@pytest.mark.parametrize(
    ("change", "field", "message", "params"),
    [
        pytest.param(
            {"email": "ANA@example.com"},
            "email",
            "An account with this email already exists. Log in or reset your password.",
            {},
            id="email-taken",
        ),
        pytest.param(
            {"password": "corta"},
            "password",
            "The password needs at least %(min)s characters.",
            {"min": 10},
            id="password-short",
        ),
        pytest.param(
            {"password": "contraseña1"},
            "password",
            "This password is too easy to guess. Use a longer phrase that does not contain "
            "your email.",
            {},
            id="password-common",
        ),
        pytest.param(
            {"password": "carmen-2024-madrid"},
            "password",
            "This password is too easy to guess. Use a longer phrase that does not contain "
            "your email.",
            {},
            id="password-contains-email",
        ),
        pytest.param(
            {"email": "carmen.example.com"},
            "email",
            "This is not a valid email address.",
            {},
            id="email-malformed",
        ),
        pytest.param({"email": ""}, "email", "This field is required.", {}, id="email-missing"),
        pytest.param({"name": ""}, "name", "This field is required.", {}, id="name-missing"),
        pytest.param({"name": "   "}, "name", "This field is required.", {}, id="name-blank"),
        pytest.param(
            {"password": ""}, "password", "This field is required.", {}, id="password-missing"
        ),
        pytest.param({"kind": ""}, "kind", "Choose landlord or business.", {}, id="kind-missing"),
    ],
)
def test_sign_up_with_bad_input_says_why_next_to_the_field_and_changes_nothing(
    client, create_user, sql, es, change, field, message, params
):
    create_user(email="ana@example.com")
    before = (count(sql, "users"), count(sql, "workspaces"), count(sql, "emails"))

    response = post_form(client, "/signup", {**CARMEN, **change}, token_from="/signup")

    assert response.status_code == 422
    assert es(message, **params) in field_error(response.get_data(as_text=True), field)
    assert (count(sql, "users"), count(sql, "workspaces"), count(sql, "emails")) == before


def test_sign_up_cannot_open_a_law_firm(client, sql):
    """Law firms are partners Amparo onboards itself, not a choice of the public form."""
    response = post_form(client, "/signup", {**CARMEN, "kind": "law_firm"}, token_from="/signup")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "kind")
    assert (count(sql, "users"), count(sql, "workspaces")) == (0, 0)


# --- expired and tampered links -------------------------------------------------------------


@pytest.fixture
def carmen(app, create_user) -> dict:
    """An account whose email is not confirmed yet."""
    user_id = create_user(email="carmen@example.com", verified=False)
    return {"u": user_id, "e": "carmen@example.com"}


def test_verification_link_works_until_it_expires_after_three_days(
    client, settings, carmen, sql, es
):
    expired = signed_ago(settings, 3 * 24 * 3600 + 60, "verify", carmen)
    response = client.get(f"/account/confirm/{expired}", follow_redirects=True)
    assert response.request.path == "/login"
    assert es("This confirmation link has expired. Log in and we will send you a new one.") in (
        response.get_data(as_text=True)
    )
    assert user_row(sql, "carmen@example.com")["email_verified_at"] is None

    fresh = signed_ago(settings, 2 * 24 * 3600, "verify", carmen)
    client.get(f"/account/confirm/{fresh}")
    assert user_row(sql, "carmen@example.com")["email_verified_at"] is not None


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s, p: tampered(sign_link(s["SECRET_KEY"], "verify", p)), id="tampered"),
        pytest.param(lambda s, p: sign_link("another-key", "verify", p), id="forged"),
        pytest.param(lambda s, p: sign_link(s["SECRET_KEY"], "reset", p), id="other-purpose"),
        pytest.param(
            lambda s, p: sign_link(s["SECRET_KEY"], "verify", {**p, "e": "old@example.com"}),
            id="email-changed-since",
        ),
    ],
)
def test_a_bad_verification_link_is_refused_with_a_message(
    client, settings, carmen, sql, es, make_token
):
    response = client.get(f"/account/confirm/{make_token(settings, carmen)}", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/login"
    assert es("This confirmation link is not valid. Copy the whole link from the email.") in (
        response.get_data(as_text=True)
    )
    assert user_row(sql, "carmen@example.com")["email_verified_at"] is None


def reset_link_payload(app, email: str) -> dict:
    from tenants import db
    from tenants.services.platform import accounts

    with app.app_context():
        user = accounts.find_user_by_email(email)
        payload = {"u": user.id, "f": accounts.password_fingerprint(user)}
        db.session.rollback()
    return payload


def test_reset_link_works_for_one_hour_only(app, client, settings, create_user, sql, es):
    create_user(email="carmen@example.com")
    payload = reset_link_payload(app, "carmen@example.com")
    hash_before = user_row(sql, "carmen@example.com")["password_hash"]

    expired = signed_ago(settings, 3600 + 60, "reset", payload)
    for response in (
        client.get(f"/password/reset/{expired}", follow_redirects=True),
        post_form(
            client,
            f"/password/reset/{expired}",
            {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            follow_redirects=True,
        ),
    ):
        assert response.request.path == "/password/forgot"
        assert es("This link has expired. Ask for a new one below.") in response.get_data(
            as_text=True
        )
    assert user_row(sql, "carmen@example.com")["password_hash"] == hash_before

    recent = signed_ago(settings, 3600 - 120, "reset", payload)
    response = post_form(
        client, f"/password/reset/{recent}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert user_row(sql, "carmen@example.com")["password_hash"] != hash_before


@pytest.mark.parametrize("forge", ["tampered", "forged", "other-user"])
def test_a_bad_reset_link_is_refused_and_the_password_stays(
    app, client, settings, create_user, sql, es, forge
):
    create_user(email="carmen@example.com")
    other_id = create_user(email="bea@example.com")
    payload = reset_link_payload(app, "carmen@example.com")
    token = {
        "tampered": lambda: tampered(sign_link(settings["SECRET_KEY"], "reset", payload)),
        "forged": lambda: sign_link("another-key", "reset", payload),
        "other-user": lambda: sign_link(
            settings["SECRET_KEY"], "reset", {**payload, "u": other_id}
        ),
    }[forge]()
    hashes_before = sql("SELECT email, password_hash FROM users ORDER BY email")

    response = post_form(
        client,
        f"/password/reset/{token}",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )

    assert response.request.path == "/password/forgot"
    assert es("This link is not valid or was already used. Ask for a new one below.") in (
        response.get_data(as_text=True)
    )
    assert sql("SELECT email, password_hash FROM users ORDER BY email") == hashes_before


# --- logging in ---------------------------------------------------------------------------


def test_wrong_password_is_refused_with_a_message(client, create_workspace, es):
    _id, slug = create_workspace()
    response = post_form(client, "/login", {"email": "ana@example.com", "password": "not it!"})
    assert response.status_code == 401
    assert es("The email or the password is not right.") in response.get_data(as_text=True)
    assert not is_logged_in(client, slug)


def test_the_eleventh_login_attempt_in_a_row_is_refused_even_with_the_right_password(
    client, create_workspace, es
):
    _id, slug = create_workspace()
    wrong = {"email": "ana@example.com", "password": "not the password"}
    token = csrf_token(client)
    for _attempt in range(10):
        response = client.post("/login", data={"csrf_token": token, **wrong})
        assert response.status_code == 401

    right = client.post(
        "/login", data={"csrf_token": token, "email": "ana@example.com", "password": PASSWORD}
    )

    assert right.status_code == 429
    assert es("Too many attempts in a short time. Wait a few minutes and try again.") in (
        right.get_data(as_text=True)
    )
    assert not is_logged_in(client, slug)
    # The limit is per address: someone else on the same network can still log in.
    create_workspace(name="Locales Bea", owner_email="bea@example.com")
    login(client, "bea@example.com")


def test_a_form_posted_without_its_csrf_token_is_refused(client, create_workspace, es):
    _id, slug = create_workspace()
    response = client.post("/login", data={"email": "ana@example.com", "password": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert es("The form expired") in page
    assert (
        es(
            "For your security the form could not be accepted. Go back, reload the page and "
            "try again."
        )
        in page
    )
    assert not is_logged_in(client, slug)


def test_an_unknown_workspace_is_not_found(two_tenants, es):
    ana, bea = two_tenants
    for path in ("/w/no-such-place/", f"/w/{bea.slug}/", f"/w/{bea.slug}/members"):
        response = ana.client.get(path)
        assert response.status_code == 404, path
        assert es("This page does not exist or you have no access.") in response.get_data(
            as_text=True
        )
    assert ana.client.get(f"/w/{ana.slug}/").status_code == 200


def test_after_login_only_a_path_on_this_site_is_followed(client, make_client, create_workspace):
    _id, slug = create_workspace()
    token = csrf_token(client)
    credentials = {"csrf_token": token, "email": "ana@example.com", "password": PASSWORD}
    response = client.post("/login?next=https://evil.example/steal", data=credentials)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    other = make_client()
    response = other.post(
        f"/login?next=/w/{slug}/members", data={**credentials, "csrf_token": csrf_token(other)}
    )
    assert response.headers["Location"] == f"/w/{slug}/members"


# --- sessions -----------------------------------------------------------------------------


def copy_session(client, make_client):
    """A second browser holding a copy of `client`'s session cookie."""
    copy = make_client()
    copy.set_cookie("amparo_session", client.get_cookie("amparo_session").value)
    return copy


def test_logout_ends_the_session_on_the_server(client, make_client, create_workspace, sql, es):
    _id, slug = create_workspace()
    login(client)
    stolen = copy_session(client, make_client)
    assert is_logged_in(stolen, slug)

    response = post_form(client, "/logout", {}, token_from="/account", follow_redirects=True)

    assert response.request.path == "/login"
    assert es("You have logged out.") in response.get_data(as_text=True)
    assert not is_logged_in(client, slug)
    assert not is_logged_in(stolen, slug)  # the old cookie no longer opens anything
    assert [row["revoked_at"] is not None for row in sql("SELECT * FROM user_sessions")] == [True]


def change_password(client, current: str, new: str, confirm: str | None = None):
    return post_form(
        client,
        "/account",
        {"pw-current_password": current, "pw-password": new, "pw-confirm": confirm or new},
        token_from="/account",
    )


def test_changing_the_password_logs_out_other_browsers_but_not_this_one(
    client, make_client, create_workspace, es
):
    _id, slug = create_workspace()
    login(client)
    laptop = make_client()
    login(laptop)

    response = change_password(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert es("Your password has been changed. Other devices have been logged out.") in page
    assert is_logged_in(client, slug)
    assert not is_logged_in(laptop, slug)
    assert (
        post_form(
            make_client(), "/login", {"email": "ana@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    login(make_client(), password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        (
            "wrong password!",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "pw-current_password",
            "The current password is not right.",
        ),
        (
            PASSWORD,
            NEW_PASSWORD,
            "something else entirely",
            "pw-confirm",
            "The two passwords do not match.",
        ),
        (
            PASSWORD,
            "corta",
            "corta",
            "pw-password",
            "The password needs at least %(min)s characters.",
        ),
    ],
)
def test_a_refused_password_change_says_why_and_keeps_everyone_logged_in(
    client, make_client, create_workspace, sql, es, current, new, confirm, field, message
):
    _id, slug = create_workspace()
    login(client)
    laptop = make_client()
    login(laptop)
    hash_before = user_row(sql, "ana@example.com")["password_hash"]

    response = change_password(client, current, new, confirm)

    assert response.status_code == 422
    assert es(message, min=10) in field_error(response.get_data(as_text=True), field)
    assert user_row(sql, "ana@example.com")["password_hash"] == hash_before
    assert is_logged_in(client, slug)
    assert is_logged_in(laptop, slug)


def test_password_reset_by_emailed_link_works_once_and_ends_every_session(
    client, make_client, create_workspace, inbox, run_worker, es
):
    _id, slug = create_workspace()
    phone = make_client()
    login(phone)

    response = post_form(
        client,
        "/password/forgot",
        {"email": "ANA@example.com"},
        token_from="/password/forgot",
        follow_redirects=True,
    )
    assert response.request.path == "/login"
    assert es(
        "If an account exists for that email, we have sent it a link to choose a new "
        "password. The link works for one hour."
    ) in response.get_data(as_text=True)
    [message] = deliver_mail(run_worker, inbox, "ana@example.com")
    assert message["Subject"] == es("Choose a new password for Amparo")
    reset = path_of(inbox.link("ana@example.com", "/password/reset/"))

    assert client.get(reset).status_code == 200
    response = post_form(
        client,
        reset,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        token_from=reset,
        follow_redirects=True,
    )
    assert response.request.path == "/login"
    assert es("Your password has been changed. Log in with the new one.") in response.get_data(
        as_text=True
    )
    assert not is_logged_in(phone, slug)

    again = client.get(reset, follow_redirects=True)
    assert again.request.path == "/password/forgot"
    assert es("This link is not valid or was already used. Ask for a new one below.") in (
        again.get_data(as_text=True)
    )
    assert (
        post_form(client, "/login", {"email": "ana@example.com", "password": PASSWORD}).status_code
        == 401
    )
    login(client, password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        (NEW_PASSWORD, "something else entirely", "confirm", "The two passwords do not match."),
        (
            "carmen en madrid",
            "carmen en madrid",
            "password",
            "This password is too easy to guess. Use a longer phrase that does not contain "
            "your email.",
        ),
    ],
    ids=["mismatch", "contains-email"],
)
def test_a_refused_new_password_says_why_and_the_link_still_works(
    app, client, settings, create_user, sql, es, password, confirm, field, message
):
    create_user(email="carmen@example.com")
    hash_before = user_row(sql, "carmen@example.com")["password_hash"]
    payload = reset_link_payload(app, "carmen@example.com")
    reset = f"/password/reset/{sign_link(settings['SECRET_KEY'], 'reset', payload)}"

    response = post_form(
        client, reset, {"password": password, "confirm": confirm}, token_from=reset
    )

    assert response.status_code == 422
    assert es(message) in field_error(response.get_data(as_text=True), field)
    assert user_row(sql, "carmen@example.com")["password_hash"] == hash_before
    assert client.get(reset).status_code == 200


def test_asking_a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, create_user, sql, es
):
    create_user(email="ana@example.com")
    response = post_form(
        client,
        "/password/forgot",
        {"email": "nadie@example.com"},
        token_from="/password/forgot",
        follow_redirects=True,
    )
    assert response.request.path == "/login"
    assert es(
        "If an account exists for that email, we have sent it a link to choose a new "
        "password. The link works for one hour."
    ) in response.get_data(as_text=True)
    assert count(sql, "emails") == 0


# --- security -----------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy_and_anti_framing_headers(
    client, create_workspace
):
    _id, slug = create_workspace()
    login(client)
    for path in ("/login", f"/w/{slug}/", f"/w/{slug}/members", "/account", "/nowhere"):
        response = client.get(path)
        policy = dict(
            (d.strip().split(" ", 1) + [""])[:2]
            for d in response.headers["Content-Security-Policy"].split(";")
        )
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], path
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # The policy would block inline code: the pages must not need any.
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page), path


def test_the_session_cookie_is_http_only_and_same_site_lax(client, create_workspace):
    create_workspace()
    response = login(client)
    [cookie] = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("amparo_session=")
    ]
    attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


def test_passwords_are_stored_as_argon2id_hashes(create_user, sql):
    create_user(email="ana@example.com")
    stored = user_row(sql, "ana@example.com")["password_hash"]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


# --- language -----------------------------------------------------------------------------


def test_pages_are_in_spanish_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page, "no Spanish text: compile the catalogue (make translations)"


def test_a_visitor_can_switch_to_english(client):
    response = post_form(client, "/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Iniciar sesión" not in page

    post_form(client, "/lang", {"lang": "fr", "next": "/login"})  # not offered: no change
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_a_users_choice_of_english_is_kept_on_their_account(
    client, make_client, create_workspace, sql
):
    _id, slug = create_workspace()
    login(client)
    response = post_form(client, "/lang", {"lang": "en", "next": "/account"}, token_from="/account")
    assert response.headers["Location"] == "/account"
    assert "Your account" in client.get("/account").get_data(as_text=True)
    assert user_row(sql, "ana@example.com")["language"] == "en"

    elsewhere = make_client()
    login(elsewhere)
    page = elsewhere.get(f"/w/{slug}/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Dashboard" in page


# --- command line -------------------------------------------------------------------------


def test_cli_creates_an_api_token_stored_only_as_its_hash(app, create_workspace, sql):
    from tenants import db
    from tenants.services.platform.workspaces import workspace_for_api_token

    workspace_id, slug = create_workspace()
    result = app.test_cli_runner().invoke(
        args=["api-token", "create", "--workspace", slug, "--name", "Contabilidad"]
    )

    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("amp_") and len(secret) > 40
    [row] = sql("SELECT * FROM api_tokens")
    assert (row["tenant_id"], row["name"]) == (workspace_id, "Contabilidad")
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row.values())
    with app.app_context():
        assert workspace_for_api_token(secret).slug == slug
        db.session.rollback()


def test_cli_api_token_for_an_unknown_workspace_says_so(app, create_workspace, sql):
    create_workspace()
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--workspace", "nope"])
    assert result.exit_code != 0
    assert "no workspace with slug 'nope'" in result.output
    assert count(sql, "api_tokens") == 0


def test_cli_makes_a_platform_admin(app, client, create_user, sql):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["admin", "create", "--email", "root@example.com", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    admin = user_row(sql, "root@example.com")
    assert admin["is_platform_admin"] is True
    assert admin["email_verified_at"] is not None
    response = post_form(client, "/login", {"email": "root@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302

    create_user(email="ana@example.com")
    hash_before = user_row(sql, "ana@example.com")["password_hash"]
    result = runner.invoke(
        args=[
            "admin",
            "create",
            "--email",
            "ana@example.com",
            "--password",
            "ignored for an existing user",
        ]
    )
    assert result.exit_code == 0, result.output
    ana = user_row(sql, "ana@example.com")
    assert (ana["is_platform_admin"], ana["password_hash"]) == (True, hash_before)

    result = runner.invoke(
        args=["admin", "create", "--email", "weak@example.com", "--password", "corta"]
    )
    assert result.exit_code != 0
    assert "password" in result.output
    assert sql("SELECT * FROM users WHERE email = 'weak@example.com'") == []


def test_cli_demo_seed_can_run_twice(app, sql):
    runner = app.test_cli_runner()
    for _run in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        assert "demo-landlord" in result.output
    # The landlord, the business, the law firm, and the second law firm (web/demo_firms.py).
    assert (count(sql, "users"), count(sql, "workspaces"), count(sql, "members")) == (4, 4, 4)
