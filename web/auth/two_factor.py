"""Two-factor sign-in pages: the code after the password, enrolment, recovery codes.

After a right password, a user with two-factor on is not logged in: the Flask session holds a
signed note naming them (it expires in five minutes) and /login/two-factor asks for a code;
only a right code opens the server-side session. A law-firm member who never enrolled is
logged in but sent to /account/two-factor, and the workspace hook (web/workspaces) keeps every
workspace page closed to them until they have enrolled.
"""

from __future__ import annotations

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from tenants import db
from tenants.models import User
from tenants.services.errors import ServiceError
from tenants.services.platform import accounts, two_factor
from tenants.services.platform.secrets import LinkInvalid, read_link, sign_link
from web.auth import bp
from web.auth.login import start_session
from web.extensions import limiter
from web.i18n import safe_next
from web.messages import apply_to_form, flash_error

PENDING = "two_factor_pending"
PENDING_MAX_AGE = 5 * 60  # seconds between the password and the code


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[InputRequired(message=_l("This field is required.")), Length(max=32)],
    )


# --- after the password -------------------------------------------------------------------


def after_password(user: User, next_target: str | None):
    """The answer to a right password: the code page, enrolment, or the page asked for."""
    session.pop(PENDING, None)
    if two_factor.is_enabled(user):
        session[PENDING] = sign_link(
            current_app.config["SECRET_KEY"],
            "two-factor",
            {"u": user.id, "f": accounts.password_fingerprint(user), "n": next_target or ""},
        )
        return redirect(url_for("auth.two_factor_login"))
    _open(user)
    if two_factor.is_law_firm_member(user):
        flash(
            _(
                "Members of a law firm sign in with a second step. Set it up now: it takes a "
                "minute, with an authenticator app on your phone."
            ),
            "info",
        )
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(safe_next(next_target))


def _open(user: User) -> None:
    start_session(user)
    session.permanent = True
    session.pop("lang", None)  # the user's own language from now on


def _pending() -> tuple[User, str] | None:
    """The user who gave the right password a moment ago, and where they were going."""
    token = session.get(PENDING)
    if not token:
        return None
    try:
        note = read_link(current_app.config["SECRET_KEY"], "two-factor", token, PENDING_MAX_AGE)
    except LinkInvalid:  # expired too
        return None
    user = db.session.get(User, note.get("u"))
    if user is None or accounts.password_fingerprint(user) != note.get("f"):
        return None
    return user, note.get("n") or ""


def _pending_key() -> str:
    found = _pending()
    return f"2fa|{found[0].id}" if found else f"2fa-ip|{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login/two-factor", methods=["GET", "POST"])
# A 6-digit code is guessed in a million tries: as few as a password gets, per person.
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_pending_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_IP_RATE_LIMIT"],
    key_func=lambda: f"2fa-ip|{request.remote_addr}",
    methods=["POST"],
    deduct_when=_failed,
)
def two_factor_login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    found = _pending()
    if found is None:
        session.pop(PENDING, None)
        flash(_("The sign-in took too long or was not started. Log in again."), "warning")
        return redirect(url_for("auth.login"))
    user, next_target = found
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            used = two_factor.verify(user, form.code.data)
        except ServiceError as error:
            apply_to_form(form, error)
            status = 401
        else:
            session.pop(PENDING, None)
            _open(user)
            if used == "recovery":
                flash(
                    _(
                        "You signed in with a recovery code; it cannot be used again. "
                        "Recovery codes left: %(count)s.",
                        count=two_factor.recovery_codes_left(user),
                    ),
                    "warning",
                )
            return redirect(safe_next(next_target))
    elif form.errors:
        status = 422
    return render_template("auth/two_factor_login.html", form=form), status


# --- enrolment ----------------------------------------------------------------------------


def qr_svg(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (no style attributes: strict CSP)."""
    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=5, border=4, dark="#000", light="#fff"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup of a URI we built


def grouped(secret: str) -> str:
    """The base32 secret in groups of four, as authenticator apps ask for it by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _codes_page(codes: list[str]):
    return render_template(
        "auth/two_factor_codes.html", codes=codes, codes_text="\r\n".join(codes) + "\r\n"
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user.user
    if two_factor.is_enabled(user):
        return redirect(url_for("auth.account"))
    if two_factor.pending_secret(user) is None or "restart" in request.form:
        # Made on the first visit and kept until confirmed: reloading the page must not change
        # the code the person has just scanned. Only "start again" makes a new one.
        two_factor.start_enrolment(user)
        if request.method == "POST":
            return redirect(url_for("auth.two_factor_setup"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except ServiceError as error:
            apply_to_form(form, error)
            status = 422
        else:
            flash(_("Two-factor sign-in is on."), "success")
            return _codes_page(codes)
    elif form.errors:
        status = 422
    secret = two_factor.pending_secret(user)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=qr_svg(two_factor.provisioning_uri(user)),
        secret=grouped(secret),
        law_firm=two_factor.is_law_firm_member(user),
    ), status


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    form = CodeForm(prefix="recovery")
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(current_user.user, form.code.data)
        except ServiceError as error:
            flash_error(error)
        else:
            flash(_("New recovery codes: the earlier ones no longer work."), "success")
            return _codes_page(codes)
    else:
        flash(_("Write the 6-digit code your authenticator app shows."), "danger")
    return redirect(url_for("auth.account"))


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    form = CodeForm(prefix="off")
    if form.validate_on_submit():
        try:
            two_factor.turn_off(current_user.user, form.code.data)
        except ServiceError as error:
            flash_error(error)
        else:
            flash(_("Two-factor sign-in is off."), "info")
    else:
        flash(_("Write the 6-digit code your authenticator app shows."), "danger")
    return redirect(url_for("auth.account"))


@bp.context_processor
def _two_factor_status():
    """What the account page says about two-factor sign-in."""
    if not current_user.is_authenticated or request.endpoint != "auth.account":
        return {}
    user = current_user.user
    return {
        "two_factor": {
            "on": two_factor.is_enabled(user),
            "required": two_factor.is_law_firm_member(user),
            "codes_left": two_factor.recovery_codes_left(user),
            "recovery_form": CodeForm(prefix="recovery"),
            "off_form": CodeForm(prefix="off"),
        }
    }
