"""JSON API v1 (/api/v1/): per-workspace bearer tokens, RFC 9457 problem+json errors.

A token picks the workspace and sets the tenant for the request, exactly like /w/<slug>/ does
for a logged-in person; another workspace's ids answer 404. The OpenAPI document served at
/api/v1/openapi.json is written by hand in spec.py and a test checks it against the routes.
"""

from __future__ import annotations

import json

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException

from tenants.db import reset_tenant, set_tenant
from tenants.services.billing import plans
from tenants.services.billing.plans import PlanRequired
from tenants.services.errors import NotFound, ServiceError
from tenants.services.platform import workspaces as ws_service
from web.api.problems import ApiError, problem, service_problem
from web.messages import message_for
from web.permissions import kinds_of
from web.plans import plan_name

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200 or "\x00" in secret:
        return _unauthorized()
    workspace = ws_service.workspace_for_api_token(secret)
    if workspace is None:
        return _unauthorized()
    g.api_workspace = workspace
    g.tenant_token = set_tenant(workspace.id)
    if workspace.kind not in kinds_of(request.endpoint or "", request.blueprints):
        # Invoices and clients exist only in a business workspace (web/permissions.py).
        return problem(404, "Not found", "This workspace has no such resource.")
    if not plans.has("api"):  # the plan's "api" (tenants/services/billing/plans.py)
        return _plan_problem(PlanRequired("api", plans.needed_for("api")))
    return None  # the token's last_used_at is committed with the request (web/transaction.py)


def _unauthorized():
    response = problem(
        401,
        "Unauthorized",
        "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="amparo"'
    return response


@bp.teardown_request
def _leave_workspace(exc):
    token = g.pop("tenant_token", None)
    if token is not None:
        reset_tenant(token)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return problem(exc.status, exc.title, exc.detail, errors=exc.errors)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    return service_problem(exc)


@bp.errorhandler(PlanRequired)
def _plan_problem(exc: PlanRequired):
    """402 with the plan it needs, by code and in words."""
    response = problem(402, "Plan required", message_for(exc), kind="plan-required")
    body = response.get_json()
    body.update(feature=exc.feature, plan=exc.needed_plan, plan_name=plan_name(exc.needed_plan))
    response.set_data(json.dumps(body))
    return response


@bp.errorhandler(NotFound)
def _not_found(exc):
    return problem(404, "Not found", "No such object in this workspace.")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return problem(exc.code or 500, exc.name, exc.description or exc.name)


from web.api import views  # noqa: E402, F401 - routes register on bp
