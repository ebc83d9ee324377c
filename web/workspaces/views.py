"""The workspace dashboard, members and invitations, API tokens, and job progress."""

from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jobs.enqueue import enqueue_after_commit
from jobs.invitations import deliver_invitations
from tenants import db, permissions
from tenants.clock import today_in_spain
from tenants.models import JobRun, WorkspaceKind
from tenants.services.billing.plans import PlanRequired
from tenants.services.errors import NotFound, ServiceError
from tenants.services.platform import workspaces as ws_service
from tenants.services.receivables import business_dashboard
from tenants.services.rentals import rent_dashboard
from web import transaction
from web.job_runs import describe_failure
from web.labels import ACTION_LABELS, ROLE_NAMES
from web.messages import apply_to_form, flash_error, message_for
from web.permissions import requires
from web.workspaces import bp
from web.workspaces.forms import ApiTokenForm, InviteForm, RoleForm, role_choices

MAX_INVITES_AT_ONCE = 50


@bp.get("/")
def dashboard():
    rent_book = receivables = None
    if g.workspace.kind == WorkspaceKind.LANDLORD:
        rent_book = rent_dashboard.landlord_dashboard(today_in_spain())
    elif g.workspace.kind == WorkspaceKind.BUSINESS:
        receivables = business_dashboard.business_dashboard(today_in_spain())
    return render_template(
        f"workspaces/dashboard_{g.workspace.kind.value}.html",
        activity=ws_service.recent_activity(),
        members=ws_service.list_members(),
        rent_book=rent_book,
        receivables=receivables,
    )


# --- members and invitations --------------------------------------------------------------


def _matrix() -> list[dict]:
    """The permission table for this kind of workspace, as the members page shows it."""
    return [
        {
            "label": ACTION_LABELS[action],
            "roles": {role: permissions.role_may(role, action) for role in g.workspace.roles},
            "grantable": permissions.ACTIONS[action].grantable,
        }
        for action in permissions.actions_of(g.workspace.kind)
    ]


def _members_page(form: InviteForm, status: int = 200, run: JobRun | None = None):
    return render_template(
        "workspaces/members.html",
        matrix=_matrix(),
        role_names=ROLE_NAMES,
        form=form,
        members=ws_service.list_members(),
        invitations=ws_service.list_open_invitations(),
        role_form=_role_form(),
        run=run,
        failure=describe_failure(run) if run else None,
    ), status


def _role_form() -> RoleForm:
    form = RoleForm()
    form.role.choices = role_choices(g.workspace)
    return form


@bp.get("/members")
def members():
    form = InviteForm()
    form.role.choices = role_choices(g.workspace)
    run = None
    if request.args.get("run"):
        run = _job_run(request.args.get("run", type=int) or 0)
    return _members_page(form, run=run)


@bp.post("/members")
@requires("members.manage")
def invite():
    form = InviteForm()
    form.role.choices = role_choices(g.workspace)
    if not form.validate_on_submit():
        return _members_page(form, 422)
    addresses = [a for a in re.split(r"[\s,;]+", form.emails.data) if a]
    if len(addresses) > MAX_INVITES_AT_ONCE:
        form.emails.errors = [_("At most %(n)s addresses at once.", n=MAX_INVITES_AT_ONCE)]
        return _members_page(form, 422)
    invitations = []
    for address in addresses:
        try:
            invitations.append(
                ws_service.invite_member(g.workspace, current_user.user, address, form.role.data)
            )
        except PlanRequired:
            raise  # the 402 page names the plan with more members (web/plans.py)
        except ServiceError as error:
            transaction.refuse()  # all or nothing: one bad address invites no one
            form.emails.errors = [f"{address}: {message_for(error)}"]
            return _members_page(form, 422)
    run = JobRun(kind="invitations", total=len(invitations))
    db.session.add(run)
    db.session.flush()
    enqueue_after_commit(deliver_invitations, g.workspace.id, run.id, *[i.id for i in invitations])
    flash(_("Invitations are on their way."), "success")
    return redirect(url_for("ws.members", run=run.id))


@bp.post("/members/<int:member_id>/role")
@requires("members.manage")
def change_role(member_id: int):
    form = _role_form()
    ws_service.get_member(member_id)  # 404 before anything else for another tenant's id
    if form.validate_on_submit():
        try:
            ws_service.change_role(g.workspace, current_user.user, member_id, form.role.data)
        except ServiceError as error:
            flash_error(error)
        else:
            flash(_("The role has been changed."), "success")
    return redirect(url_for("ws.members"))


@bp.post("/members/<int:member_id>/approve-demands")
@requires("members.manage")
def set_demand_grant(member_id: int):
    ws_service.get_member(member_id)
    granted = request.form.get("granted") == "yes"
    try:
        ws_service.set_demand_grant(current_user.user, member_id, granted)
    except ServiceError as error:
        flash_error(error)
    else:
        if granted:
            flash(_("This manager may now approve and skip demands."), "success")
        else:
            flash(_("Only the owners approve demands again."), "success")
    return redirect(url_for("ws.members"))


@bp.post("/members/<int:member_id>/remove")
@requires("members.manage")
def remove_member(member_id: int):
    ws_service.get_member(member_id)
    try:
        ws_service.remove_member(g.workspace, current_user.user, member_id)
    except ServiceError as error:
        flash_error(error)
    else:
        flash(_("The member has been removed."), "success")
    return redirect(url_for("ws.members"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@requires("members.manage")
def revoke_invitation(invitation_id: int):
    ws_service.revoke_invitation(current_user.user, invitation_id)
    flash(_("The invitation has been revoked."), "success")
    return redirect(url_for("ws.members"))


# --- API tokens ---------------------------------------------------------------------------


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@requires("tokens.manage", also_to_read=True)
def api_tokens():
    form = ApiTokenForm()
    new_secret = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _token, new_secret = ws_service.create_api_token(current_user.user, form.name.data)
            except ServiceError as error:
                apply_to_form(form, error)
                status = 422
            else:
                form = ApiTokenForm(formdata=None)
        else:
            status = 422
    return render_template(
        "workspaces/api_tokens.html",
        form=form,
        tokens=ws_service.list_api_tokens(),
        new_secret=new_secret,
    ), status


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
@requires("tokens.manage")
def revoke_api_token(token_id: int):
    ws_service.revoke_api_token(current_user.user, token_id)
    flash(_("The token has been revoked. Programs using it can no longer connect."), "success")
    return redirect(url_for("ws.api_tokens"))


# --- job progress -------------------------------------------------------------------------


def _job_run(run_id: int) -> JobRun:
    run = db.session.scalar(select(JobRun).where(JobRun.id == run_id))
    if run is None:
        raise NotFound(run_id)
    return run


@bp.get("/jobs/<int:run_id>")
def job_status(run_id: int):
    """A progress bar fragment; htmx polls it until the job has finished."""
    run = _job_run(run_id)
    return render_template("workspaces/_job_progress.html", run=run, failure=describe_failure(run))
