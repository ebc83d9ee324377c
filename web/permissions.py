"""The permission table (tenants/permissions.py) at the routes, and the pages each kind has.

Every view under /w/<slug>/ that accepts POST (or any other unsafe method) names its action
with `@requires("...")`; `authorise` refuses an unsafe request to a view that names none, so
a new route is closed until someone decides who may use it. Pages of an area another kind of
workspace does not have answer 404, as if they did not exist (a law firm has no rent book).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, g, request
from flask_babel import gettext as _

from tenants import permissions
from tenants.models import Member, Workspace, WorkspaceKind
from tenants.permissions import BUSINESS, CREDITORS, LANDLORD

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The areas (blueprints) a kind of workspace has, whatever the method. Outside them, a page
# exists in every kind unless its action says otherwise (API tokens: not in a law firm).
AREA_KINDS: dict[str, frozenset[WorkspaceKind]] = {
    "ws.rentals": frozenset({LANDLORD}),
    "ws.receivables": frozenset({BUSINESS}),
    "ws.collections": CREDITORS,
}


def requires(action: str, *, also_to_read: bool = False) -> Callable:
    """The action a view's unsafe methods need (`also_to_read`: its GET too)."""
    if action not in permissions.ACTIONS:
        raise KeyError(f"{action!r} is not in tenants/permissions.py ACTIONS")

    def mark(view: Callable) -> Callable:
        view.required_action = action
        view.action_needed_to_read = also_to_read
        return view

    return mark


def only_in(*kinds: WorkspaceKind) -> Callable:
    """A view that exists only in these kinds of workspace (404 elsewhere), whatever its area
    says: the people of the rent book are a business's clients too."""

    def mark(view: Callable) -> Callable:
        view.workspace_kinds = frozenset(kinds)
        return view

    return mark


def required_action(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "required_action", None)


def kinds_of(endpoint: str, blueprints: list[str]) -> frozenset[WorkspaceKind]:
    """The kinds of workspace an endpoint answers in."""
    view = current_app.view_functions.get(endpoint)
    kinds = getattr(view, "workspace_kinds", None)  # the view's own say wins over its area's
    if kinds is None:
        kinds = frozenset(WorkspaceKind)
        for name in blueprints:
            kinds &= AREA_KINDS.get(name, kinds)
    action = getattr(view, "required_action", None)
    if action:
        kinds &= permissions.ACTIONS[action].kinds
    return kinds


def authorise(workspace: Workspace, member: Member) -> None:
    """404 for a page this kind of workspace does not have, 403 for what the role may not do."""
    endpoint = request.endpoint or ""
    if workspace.kind not in kinds_of(endpoint, request.blueprints):
        abort(404)
    view = current_app.view_functions.get(endpoint)
    action = getattr(view, "required_action", None)
    if request.method in UNSAFE_METHODS or getattr(view, "action_needed_to_read", False):
        if action is None:
            current_app.logger.error("%s changes data but names no action: refused", endpoint)
            raise permissions.NotAllowed("unknown")
        if not permissions.may(member, action):
            raise permissions.NotAllowed(action)


def may(action: str) -> bool:
    """For templates: may the current member do `action` here (kind and role)?"""
    workspace, member = getattr(g, "workspace", None), getattr(g, "member", None)
    if workspace is None or workspace.kind not in permissions.ACTIONS[action].kinds:
        return False
    return permissions.may(member, action)


def forbidden_page(exc: permissions.NotAllowed):
    """The 403 page in the user's language; the request's writes are rolled back (4xx)."""
    from web.errors import _page  # web.errors renders every error page the same way

    return _page(
        403,
        _("Not allowed for your role"),
        _(
            "Your role in this workspace does not allow this, and nothing was changed. The "
            "members page shows who may do what; ask an owner."
        ),
    )
