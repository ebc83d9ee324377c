"""Who qualifies for the "Protegido por Amparo" badge, and its life: issued, suspended,
reinstated, revoked (issue 13.1).

A landlord or business workspace qualifies while it has all of `REQUIREMENTS`: a plan with the
badge (Protección and up), an owner whose account email is verified, a valid NIF/CIF/NIE on the
letterhead, and a collection ladder with at least one step. Law firms never do: they are not
creditors. The badge says the creditor is backed; each requirement is what makes that true.

`refresh_badge` is the one place the state changes, so the rules live in one function: the RQ
job (jobs/badges.py) runs it when something that matters changes (the plan, the letterhead, the
ladder: those services request `REFRESH` after their commit) and the hourly cron runs it for
every workspace whose state may have changed with the clock (a trial or a grace period ending
needs no event). Closing the workspace revokes the badge at once and for good: a revoked token
is never reinstated, so a badge copied from a closed business never turns valid again.

Every change bumps `Badge.version` (part of every image's ETag), is on the activity log, keeps
`Workspace.is_protected` (what letters read) equal to "the badge is active", and names the
workspace in `session.info[CHANGED]` so the serving cache drops it after the commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select

from tenants import outbox, permissions
from tenants.db import across_tenants, current_tenant_id, session, utcnow
from tenants.models import Charge, Ladder, LadderStep, Member, User, Workspace, WorkspaceKind
from tenants.models.badges import Badge, InvoiceBadge
from tenants.services.billing import plans
from tenants.services.errors import NotFound, ServiceError
from tenants.services.rentals.parties import check_tax_id

REQUIREMENTS = ("plan", "email", "tax_id", "ladder")
# The job that runs `refresh_badge` for a workspace (jobs/badges.py), requested by name.
REFRESH = "jobs.badges:refresh_badge"
# session.info key: the workspaces whose badge changed in this transaction (the serving cache
# drops them after the commit: web/badge/).
CHANGED = "amparo_badge_changed"
# Why a badge is revoked (Badge.reason): the only reason that is final.
CLOSED = "closed"


def _workspace() -> Workspace:
    return session.get(Workspace, current_tenant_id())


def _is_creditor(workspace: Workspace) -> bool:
    return workspace.kind != WorkspaceKind.LAW_FIRM


def new_token() -> str:
    """A public, unguessable token: 18 random bytes, 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


def workspace_badge() -> Badge | None:
    """The current workspace's badge (None until it first qualified)."""
    return session.scalar(select(Badge))


# --- who qualifies ------------------------------------------------------------------------------


def _plan_has_badge(now: datetime | None) -> bool:
    # plans.has() answers for now only; the cron passes its own `now` through.
    return "badge" in (plans.plan_in_force(now).features or [])


def _owner_verified() -> bool:
    """An owner's account email is verified: someone reachable answers for the badge."""
    owner = session.scalar(
        select(User.id)
        .join(Member, Member.user_id == User.id)
        .where(Member.role == "owner", User.email_verified_at.is_not(None))
        .limit(1)
    )
    return owner is not None


def _tax_id_valid(workspace: Workspace) -> bool:
    if not workspace.tax_id:
        return False
    try:
        return check_tax_id(workspace.tax_id)[0] is not None
    except ServiceError:
        return False


def _ladder_on() -> bool:
    """The ladder has a step. A workspace that never opened its ladder gets the default one
    (with steps) on its first case (ladders.workspace_ladder), so no ladder yet counts as on."""
    if session.scalar(select(func.count(Ladder.id))) == 0:
        return True
    return bool(session.scalar(select(func.count(LadderStep.id))))


def missing_requirements(now: datetime | None = None) -> list[str]:
    """The requirements of REQUIREMENTS the current workspace lacks, in that order ([]: it
    qualifies). A law firm lacks "plan": it has none, and never gets a badge."""
    workspace = _workspace()
    if not _is_creditor(workspace):
        return ["plan"]
    checks = {
        "plan": lambda: _plan_has_badge(now),
        "email": _owner_verified,
        "tax_id": lambda: _tax_id_valid(workspace),
        "ladder": _ladder_on,
    }
    return [name for name in REQUIREMENTS if not checks[name]()]


# --- the state ----------------------------------------------------------------------------------


def mark_changed() -> None:
    """Name the current workspace as one whose badge changed in this transaction: after the
    commit, the serving cache drops what it holds for it (a revoked badge must not keep
    showing as active for as long as a cache entry lives)."""
    session().info.setdefault(CHANGED, set()).add(current_tenant_id())


def request_refresh() -> None:
    """Ask for `refresh_badge` of the current workspace once this transaction commits (the plan,
    the letterhead or the ladder changed)."""
    outbox.request(REFRESH, current_tenant_id())


def _record(action: str, badge: Badge, now: datetime, actor: User | None = None) -> None:
    from tenants.services.platform.workspaces import record_activity  # it imports plans

    event = record_activity(actor, action, reason=badge.reason)
    event.created_at = now  # the cron's clock, so the timeline shows when it happened


def _change(badge: Badge, state: str, reason: str, action: str, now: datetime) -> None:
    badge.state, badge.reason = state, reason
    badge.version += 1
    badge.changed_at = now
    _record(action, badge, now)
    mark_changed()


def refresh_badge(now: datetime | None = None) -> str | None:
    """Bring the current workspace's badge in line with its requirements; returns what
    happened ("issued", "suspended", "reinstated", "revoked") or None when nothing did.

    Closed workspace: revoked, final. No badge and qualifies: issued, with a new token.
    Active and a requirement missing: suspended, `reason` the first one missing. Suspended and
    qualifying again: reinstated, the same token (the badges already embedded work again).
    While active, every invoice of the workspace without a badge of its own gets one."""
    now = now or utcnow()
    workspace = _workspace()
    if not _is_creditor(workspace):
        return None
    badge = workspace_badge()
    result = None
    if workspace.closed_at is not None:
        if badge is not None and badge.state != "revoked":
            _change(badge, "revoked", CLOSED, "badge.revoked", now)
            result = "revoked"
    elif badge is None or badge.state != "revoked":
        missing = missing_requirements(now)
        if badge is None and not missing:
            badge = Badge(token=new_token(), state="active", reason="", issued_at=now)
            badge.changed_at = now
            session.add(badge)
            session.flush()
            _record("badge.issued", badge, now)
            mark_changed()
            result = "issued"
        elif badge is not None and badge.state == "active" and missing:
            _change(badge, "suspended", missing[0], "badge.suspended", now)
            result = "suspended"
        elif badge is not None and badge.state == "suspended" and not missing:
            _change(badge, "active", "", "badge.reinstated", now)
            result = "reinstated"
        elif badge is not None and badge.state == "suspended" and badge.reason != missing[0]:
            badge.reason = missing[0]  # still suspended, for another reason now: no new event
            mark_changed()
    protected = badge is not None and badge.state == "active"
    if workspace.is_protected != protected:
        workspace.is_protected = protected
    if protected:
        register_invoices()
    session.flush()
    return result


# --- invoices -----------------------------------------------------------------------------------


def _invoice_badge(charge_id: int) -> InvoiceBadge | None:
    return session.scalar(select(InvoiceBadge).where(InvoiceBadge.charge_id == charge_id))


def register_invoice(charge_id: int) -> InvoiceBadge:
    """The invoice's own badge (its token for the verify page), made the first time: calling it
    again returns the same one. Only a workspace's invoices (kind "invoice") have one."""
    found = _invoice_badge(charge_id)
    if found is not None:
        return found
    charge = session.scalar(select(Charge).where(Charge.id == charge_id, Charge.kind == "invoice"))
    if charge is None:
        raise NotFound(charge_id)
    badge = InvoiceBadge(charge_id=charge.id, token=new_token())
    session.add(badge)
    session.flush()
    return badge


def register_invoices() -> int:
    """Give every invoice of the current workspace that has none its own badge (while the
    workspace badge is active: the invoices registered in Amparo are monitored). Returns how
    many were registered."""
    registered = select(InvoiceBadge.charge_id)
    ids = session.scalars(
        select(Charge.id).where(Charge.kind == "invoice", Charge.id.not_in(registered))
    ).all()
    for charge_id in ids:
        session.add(InvoiceBadge(charge_id=charge_id, token=new_token()))
    if ids:
        session.flush()
    return len(ids)


# --- closing the workspace ----------------------------------------------------------------------


def _same_name(typed: str, name: str) -> bool:
    return " ".join((typed or "").split()).casefold() == " ".join(name.split()).casefold()


def close_workspace(actor: User, *, typed_name: str, now: datetime | None = None) -> Workspace:
    """The owner closes the workspace: it is marked closed, its badge revoked at once (for
    good), and the collections sweep chases nothing more. The owner types the workspace's name
    to confirm (a wrong name changes nothing). Its records stay readable."""
    permissions.check(actor, "workspace.close")
    workspace = _workspace()
    if workspace.closed_at is not None:
        raise ServiceError("workspace_already_closed")
    if not _same_name(typed_name, workspace.name):
        raise ServiceError("workspace_name_mismatch", "confirm_name")
    now = now or utcnow()
    from tenants.services.platform.workspaces import record_activity  # it imports plans

    workspace.closed_at = now
    record_activity(actor, "workspace.closed", name=workspace.name)
    session.flush()
    refresh_badge(now)
    return workspace


# --- the cron -----------------------------------------------------------------------------------


def tenants_to_refresh() -> list[int]:
    """Workspaces whose badge may change with the clock alone (platform code, across tenants):
    every open landlord or business workspace (a plan lapses or a trial ends without an event,
    an owner verifies their email elsewhere), and a closed one only while its badge is still to
    be revoked. Revoked badges are final: those workspaces are left alone."""
    creditors = Workspace.kind != WorkspaceKind.LAW_FIRM
    with across_tenants("badge fan-out"):
        still_valid = select(Badge.tenant_id).where(Badge.state != "revoked")
        ids = session.scalars(
            select(Workspace.id)
            .where(creditors)
            .where(Workspace.closed_at.is_(None) | Workspace.id.in_(still_valid))
            .order_by(Workspace.id)
        )
        return list(ids)
