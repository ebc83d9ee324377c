"""Everything under /w/<slug>/: the workspace is resolved once, membership checked, tenant set.

An unknown slug, a workspace the user does not belong to, and another workspace's ids all
answer 404, so nothing reveals what exists elsewhere.
"""

from flask import Blueprint, abort, g, redirect, url_for
from flask_login import current_user

from tenants.db import reset_tenant, set_tenant
from tenants.models import WorkspaceKind
from tenants.permissions import NotAllowed
from tenants.services.platform import two_factor
from tenants.services.platform import workspaces as ws_service
from web.extensions import login_manager
from web.permissions import authorise, forbidden_page, may

bp = Blueprint("ws", __name__, url_prefix="/w/<slug>")


@bp.url_value_preprocessor
def _pull_slug(endpoint, values):
    g.workspace_slug = values.pop("slug", None)


@bp.url_defaults
def _add_slug(endpoint, values):
    if "slug" not in values and getattr(g, "workspace", None) is not None:
        values["slug"] = g.workspace.slug


@bp.before_request
def _enter_workspace():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    workspace = ws_service.workspace_by_slug(g.workspace_slug or "")
    if workspace is None:
        abort(404)
    g.tenant_token = set_tenant(workspace.id)
    member = ws_service.membership(current_user.id)
    if member is None:
        abort(404)
    if _must_enrol(workspace):
        return redirect(url_for("auth.two_factor_setup"))
    g.workspace = workspace
    g.member = member
    authorise(workspace, member)


def _must_enrol(workspace) -> bool:
    """A law firm's member opens no workspace page before two-factor sign-in is set up
    (tenants/services/platform/two_factor.py); other people are not asked."""
    user = current_user.user
    if two_factor.is_enabled(user):
        return False
    return workspace.kind == WorkspaceKind.LAW_FIRM or two_factor.is_law_firm_member(user)


bp.app_errorhandler(NotAllowed)(forbidden_page)  # a service's refusal too, wherever raised


@bp.app_context_processor
def _permissions():
    return {"may": may}  # templates show a button only to who may press it


@bp.teardown_request
def _leave_workspace(exc):
    token = g.pop("tenant_token", None)
    if token is not None:
        reset_tenant(token)


from web import plans  # noqa: E402, F401 - the plan page and the 402 page register on bp
from web.collections import bp as collections_bp  # noqa: E402 - nested like the rent book
from web.escalations import bp as escalations_bp  # noqa: E402 - nested: the firm's inbox
from web.receivables import bp as receivables_bp  # noqa: E402 - nested like the rent book
from web.rentals import bp as rentals_bp  # noqa: E402 - nested: /w/<slug>/… with its checks
from web.workspaces import (  # noqa: E402, F401 - routes register on bp
    badge,  # Settings → Badge
    card_payments,  # Settings → Card payments
    closing,  # Settings → Close workspace
    firm,  # a law firm's Settings → Firm profile, Data-processing agreement
    views,
)

bp.register_blueprint(rentals_bp)
bp.register_blueprint(receivables_bp)
bp.register_blueprint(collections_bp)
bp.register_blueprint(escalations_bp)
