"""Sign-up, email verification, log in/out, password reset, invitations and the account page."""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from jobs.mail import queue_email
from tenants import db
from tenants.db import across_tenants, tenant_context
from tenants.models import Invitation, User, Workspace
from tenants.services.errors import ServiceError
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service
from tenants.services.platform.secrets import LinkExpired, LinkInvalid, read_link, sign_link
from tenants.services.platform.workspaces import INVITATION_DAYS
from web import transaction
from web.auth import bp
from web.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    JoinForm,
    LoginForm,
    ResetPasswordForm,
    SignUpForm,
)
from web.auth.login import end_session, start_session
from web.auth.two_factor import after_password
from web.extensions import limiter
from web.messages import MESSAGES, apply_to_form, flash_error, show_on_form

VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600


def _external(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def _send_verification(user: User) -> None:
    token = sign_link(current_app.config["SECRET_KEY"], "verify", {"u": user.id, "e": user.email})
    hour = int(time.time() // 3600)  # at most one verification email per hour
    queue_email(
        "verify_email",
        to=user.email,
        language=user.language,
        key=f"verify:{user.id}:{hour}",
        user=user,
        link=_external("auth.verify_email", token=token),
    )


def _login_key() -> str:
    return f"{request.remote_addr}|{(request.form.get('email') or '').strip().lower()}"


# --- sign-up and verification -------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                workspace_name=form.workspace_name.data,
                kind=form.kind.data,
                language=str(get_locale() or "es"),
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            _send_verification(user)
            session["pending_email"] = user.email
            return redirect(url_for("auth.check_email"))
    return render_template("auth/signup.html", form=form), 200 if not form.errors else 422


@bp.get("/signup/check-email")
def check_email():
    return render_template("auth/check_email.html", email=session.get("pending_email"))


@bp.get("/account/confirm/<token>")  # /verify/ is the public badge page
def verify_email(token: str):
    try:
        payload = read_link(current_app.config["SECRET_KEY"], "verify", token, VERIFY_MAX_AGE)
    except LinkExpired:
        flash(
            _("This confirmation link has expired. Log in and we will send you a new one."),
            "warning",
        )
        return redirect(url_for("auth.login"))
    except LinkInvalid:
        flash(
            _("This confirmation link is not valid. Copy the whole link from the email."), "danger"
        )
        return redirect(url_for("auth.login"))
    user = accounts.mark_verified(payload.get("u"), payload.get("e"))
    if user is None:
        flash(
            _("This confirmation link is not valid. Copy the whole link from the email."), "danger"
        )
        return redirect(url_for("auth.login"))
    flash(_("Your email is confirmed. You can log in now."), "success")
    return redirect(url_for("auth.login"))


# --- log in and out -----------------------------------------------------------------------


def _failed_login(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_login_key,
    methods=["POST"],
    deduct_when=_failed_login,
)
# One address after another from the same place: guessing, not forgetting a password.
@limiter.limit(
    lambda: current_app.config["LOGIN_IP_RATE_LIMIT"],
    key_func=lambda: f"ip|{request.remote_addr}",
    methods=["POST"],
    deduct_when=_failed_login,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("The email or the password is not right."))
            status = 401
        elif not user.is_verified:
            _send_verification(user)
            transaction.keep()  # the 403 answers the log-in; the new link must still go
            form.form_errors.append(
                _(
                    "Confirm your email first: we have sent you a link to %(email)s.",
                    email=user.email,
                )
            )
            status = 403
        else:
            # Logged in now, or once the second step is done (web/auth/two_factor.py).
            return after_password(user, request.args.get("next"))
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    language = current_user.language
    end_session(current_user)
    session.clear()
    session["lang"] = language  # the login page stays in the language the user chose
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


# --- password reset -----------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is not None:
            token = sign_link(
                current_app.config["SECRET_KEY"],
                "reset",
                {"u": user.id, "f": accounts.password_fingerprint(user)},
            )
            queue_email(
                "reset_password",
                to=user.email,
                language=user.language,
                key=f"reset:{user.id}:{accounts.password_fingerprint(user)}:{int(time.time())}",
                user=user,
                link=_external("auth.reset_password", token=token),
            )
        # The same answer whether or not the account exists: no one can probe for addresses.
        flash(
            _(
                "If an account exists for that email, we have sent it a link to choose a new "
                "password. The link works for one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _user_for_reset(token: str) -> User | None:
    try:
        payload = read_link(current_app.config["SECRET_KEY"], "reset", token, RESET_MAX_AGE)
    except LinkExpired:
        flash(_("This link has expired. Ask for a new one below."), "warning")
        return None
    except LinkInvalid:
        flash(_("This link is not valid or was already used. Ask for a new one below."), "danger")
        return None
    user = db.session.get(User, payload.get("u"))
    if user is None or accounts.password_fingerprint(user) != payload.get("f"):
        flash(_("This link is not valid or was already used. Ask for a new one below."), "danger")
        return None
    return user


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = _user_for_reset(token)
    if user is None:
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [str(MESSAGES["password_mismatch"])]
        else:
            try:
                accounts.set_password(user, form.password.data)
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                if user.email_verified_at is None:
                    user.email_verified_at = db.utcnow()  # the link reached their inbox
                flash(_("Your password has been changed. Log in with the new one."), "success")
                return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, token=token), status


# --- invitations --------------------------------------------------------------------------


def _invitation_from_link(token: str) -> tuple[Invitation, Workspace] | None:
    try:
        payload = read_link(
            current_app.config["SECRET_KEY"], "invite", token, INVITATION_DAYS * 24 * 3600
        )
    except LinkInvalid:
        return None
    # The link names the invitation but not yet its workspace: look it up across tenants once.
    with across_tenants("invitation link"):
        invitation = db.session.scalar(select(Invitation).where(Invitation.id == payload.get("i")))
    if invitation is None or invitation.email != payload.get("e"):
        return None
    return invitation, db.session.get(Workspace, invitation.tenant_id)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    found = _invitation_from_link(token)
    if found is None or not found[0].is_open:
        return render_template("auth/invitation_closed.html"), 410
    invitation, workspace = found
    existing = accounts.find_user_by_email(invitation.email)
    form = None
    if current_user.is_authenticated:
        if request.method == "POST":
            return _join(invitation, workspace, current_user.user)
    elif existing is not None:
        flash(
            _(
                "Log in as %(email)s to join %(workspace)s.",
                email=invitation.email,
                workspace=workspace.name,
            ),
            "info",
        )
        return redirect(url_for("auth.login", next=request.path))
    else:
        form = JoinForm()
        if form.validate_on_submit():
            if form.password.data != form.confirm.data:
                form.confirm.errors = [str(MESSAGES["password_mismatch"])]
            else:
                # Checked before anything is written: a rollback here would expire the
                # invitation, which this tenant-less request cannot load again.
                try:
                    accounts.check_password_strength(form.password.data, invitation.email)
                except ServiceError as error:
                    show_on_form(form, error)  # the 422 still rolls back, after the page
                else:
                    user = accounts.create_user(
                        name=form.name.data,
                        email=invitation.email,
                        password=form.password.data,
                        language=str(get_locale() or "es"),
                        verified=True,
                    )
                    start_session(user)
                    return _join(invitation, workspace, user)
    status = 422 if form is not None and form.errors else 200
    return render_template(
        "auth/invitation.html", invitation=invitation, workspace=workspace, form=form
    ), status


def _join(invitation: Invitation, workspace: Workspace, user: User):
    with tenant_context(workspace.id):
        try:
            ws_service.accept_invitation(invitation.id, user)
        except ServiceError as error:
            flash_error(error)
            return redirect(url_for("home.index"))
    flash(_("Welcome to %(workspace)s.", workspace=workspace.name), "success")
    return redirect(url_for("ws.dashboard", slug=workspace.slug))


# --- the account page ---------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user.user
    form = AccountForm(obj=user, prefix="profile")
    password_form = ChangePasswordForm(prefix="pw")
    if "profile-name" in request.form and form.validate_on_submit():
        user.name = form.name.data.strip()
        user.language = form.language.data
        session["lang"] = user.language
        flash(_("Your details have been saved."), "success")
        return redirect(url_for("auth.account"))
    if "pw-password" in request.form and password_form.validate_on_submit():
        if password_form.password.data != password_form.confirm.data:
            password_form.confirm.errors = [str(MESSAGES["password_mismatch"])]
        else:
            try:
                accounts.change_password(
                    user, password_form.current_password.data, password_form.password.data
                )
            except ServiceError as error:
                apply_to_form(password_form, error)
            else:
                start_session(user)  # every other session has just been ended
                flash(
                    _("Your password has been changed. Other devices have been logged out."),
                    "success",
                )
                return redirect(url_for("auth.account"))
    status = 422 if form.errors or password_form.errors else 200
    if request.method == "POST" and status == 200:
        abort(400)
    return render_template("auth/account.html", form=form, password_form=password_form), status
