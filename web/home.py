"""The front door: where to go after log-in, the workspace list and switcher, /healthz."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import text
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length

from jobs.queues import redis_connection
from tenants import db
from tenants.models import WorkspaceKind
from tenants.services.errors import ServiceError
from tenants.services.platform import workspaces as ws_service
from web.messages import apply_to_form
from web.text_input import OneLine

bp = Blueprint("home", __name__)


class NewWorkspaceForm(FlaskForm):
    name = StringField(
        _l("Name of the workspace"),
        validators=[
            InputRequired(message=_l("This field is required.")),
            Length(max=120),
            OneLine(),
        ],
    )
    kind = RadioField(
        _l("What will you collect here?"),
        choices=[
            SelectChoice("landlord", _l("Rent (I am a landlord)")),
            SelectChoice("business", _l("Invoices (I run a business)")),
        ],
        validators=[InputRequired(message=_l("Choose landlord or business."))],
    )


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    memberships = ws_service.memberships_of(current_user.id)
    if len(memberships) == 1:
        return redirect(url_for("ws.dashboard", slug=memberships[0][1].slug))
    return redirect(url_for("home.workspaces"))


@bp.route("/workspaces", methods=["GET", "POST"])
@login_required
def workspaces():
    form = NewWorkspaceForm()
    status = 200
    if form.validate_on_submit():
        try:
            workspace = ws_service.create_workspace(
                name=form.name.data, kind=WorkspaceKind(form.kind.data), owner=current_user.user
            )
        except ServiceError as error:
            apply_to_form(form, error)
            status = 422
        else:
            flash(_("Your new workspace is ready."), "success")
            return redirect(url_for("ws.dashboard", slug=workspace.slug))
    elif form.errors:
        status = 422
    return render_template(
        "home/workspaces.html", form=form, memberships=ws_service.memberships_of(current_user.id)
    ), status


@bp.get("/healthz")
def healthz():
    """Database and Redis status for load balancers and `make run`: 503 when one is down."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "down"; the message helps the operator
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if healthy else "error", **checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _switcher():
    """The workspaces the user can switch to, for the navigation bar."""

    def switcher_memberships():
        if not current_user.is_authenticated:
            return []
        return ws_service.memberships_of(current_user.id)

    return {"switcher_memberships": switcher_memberships}
