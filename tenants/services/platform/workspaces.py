"""Workspaces, members, invitations, API tokens and the activity log."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import func, select

from tenants.db import across_tenants, current_tenant_id, session, tenant_context, utcnow
from tenants.models import (
    ActivityEvent,
    ApiToken,
    Invitation,
    Member,
    User,
    Workspace,
    WorkspaceKind,
)
from tenants.models.workspaces import GRANTEE_ROLE, ROLES
from tenants.services.billing import plans
from tenants.services.errors import NotFound, ServiceError
from tenants.services.platform import secrets as sec

INVITATION_DAYS = 7
API_TOKEN_PREFIX = "amp_"  # noqa: S105 - a public prefix, not a secret


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:50] or "espacio"


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        session.scalars(
            select(Workspace.slug).where(
                (Workspace.slug == base) | Workspace.slug.like(f"{base}-%")
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_workspace(
    *, name: str, kind: WorkspaceKind, owner: User, slug: str | None = None
) -> Workspace:
    """A new workspace with `owner` as its first member (owner, or partner for a law firm)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("required", "workspace_name")
    workspace = Workspace(name=name[:120], kind=kind, slug=slug or unique_slug(name))
    session.add(workspace)
    session.flush()
    with tenant_context(workspace.id):
        session.add(Member(user_id=owner.id, role=ROLES[kind][0]))
        record_activity(owner, "workspace.created", name=workspace.name)
        session.flush()
        plans.start_trial()  # 14 days of Profesional, then Gratis unless subscribed
    return workspace


def workspace_by_slug(slug: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def memberships_of(user_id: int) -> list[tuple[Member, Workspace]]:
    """Every workspace a user belongs to, for the switcher (reads across tenants)."""
    with across_tenants("workspace switcher"):
        rows = session.execute(
            select(Member, Workspace)
            .join(Workspace, Workspace.id == Member.tenant_id)
            .where(Member.user_id == user_id)
            .order_by(Workspace.name)
        )
        return [(m, w) for m, w in rows]


def membership(user_id: int) -> Member | None:
    """The user's membership of the current workspace."""
    return session.scalar(select(Member).where(Member.user_id == user_id))


def list_members() -> list[Member]:
    return list(session.scalars(select(Member).order_by(Member.created_at)))


def get_member(member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.id == member_id))
    if member is None:
        raise NotFound(member_id)
    return member


def _others_with_role(member: Member) -> int:
    return session.scalar(
        select(func.count(Member.id)).where(Member.role == member.role, Member.id != member.id)
    )


def change_role(workspace: Workspace, actor: User, member_id: int, role: str) -> Member:
    member = get_member(member_id)
    if role not in workspace.roles:
        raise ServiceError("role_invalid", "role")
    if member.role == workspace.roles[0] and role != member.role and not _others_with_role(member):
        raise ServiceError("last_owner", "role")
    member.role = role
    if role != GRANTEE_ROLE:
        member.may_approve_demands = False  # the grant is a manager's; it does not follow
    record_activity(actor, "member.role_changed", email=member.user.email, role=role)
    return member


def set_demand_grant(actor: User, member_id: int, granted: bool) -> Member:
    """The owner lets a manager approve and skip the letters waiting for approval (or stops)."""
    from tenants import permissions  # permissions imports the models this module uses

    permissions.check(actor, "members.manage")
    member = get_member(member_id)
    if member.role != GRANTEE_ROLE:
        raise ServiceError("grant_managers_only")
    if member.may_approve_demands != granted:
        member.may_approve_demands = granted
        action = "member.granted" if granted else "member.grant_revoked"
        record_activity(actor, action, email=member.user.email)
    session.flush()
    return member


def remove_member(workspace: Workspace, actor: User, member_id: int) -> None:
    member = get_member(member_id)
    if member.role == workspace.roles[0] and not _others_with_role(member):
        raise ServiceError("last_owner")
    record_activity(actor, "member.removed", email=member.user.email)
    session.delete(member)
    session.flush()


# --- invitations ----------------------------------------------------------------------------


def invite_member(workspace: Workspace, actor: User, email: str, role: str) -> Invitation:
    """Record an invitation; the caller enqueues its delivery after the commit."""
    from tenants.services.platform.accounts import normalise_email  # accounts imports this module

    email = normalise_email(email)
    if role not in workspace.roles:
        raise ServiceError("role_invalid", "role")
    existing = session.scalar(
        select(Member).join(User, User.id == Member.user_id).where(User.email == email)
    )
    if existing:
        raise ServiceError("already_member", "email")
    plans.check_new_member()  # several members: the plan's "members"
    for open_invitation in session.scalars(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        open_invitation.revoked_at = utcnow()  # a new invitation replaces an old one
    invitation = Invitation(
        email=email,
        role=role,
        invited_by_id=actor.id if actor else None,  # None: the platform (CLI)
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    record_activity(actor, "member.invited", email=email, role=role)
    session.flush()
    return invitation


def list_open_invitations() -> list[Invitation]:
    rows = session.scalars(
        select(Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    )
    return [i for i in rows if i.is_open]


def get_invitation(invitation_id: int) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.id == invitation_id))
    if invitation is None:
        raise NotFound(invitation_id)
    return invitation


def revoke_invitation(actor: User, invitation_id: int) -> None:
    invitation = get_invitation(invitation_id)
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        record_activity(actor, "invitation.revoked", email=invitation.email)


def accept_invitation(invitation_id: int, user: User) -> Member:
    """Join the workspace of an open invitation addressed to `user`'s email."""
    invitation = get_invitation(invitation_id)
    if not invitation.is_open:
        raise ServiceError("invitation_closed")
    if invitation.email != user.email:
        raise ServiceError("invitation_other_email", email=invitation.email)
    invitation.accepted_at = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # following the emailed link proves the address
    member = membership(user.id)
    if member is None:
        member = Member(user_id=user.id, role=invitation.role)
        session.add(member)
        record_activity(user, "member.joined", email=user.email, role=invitation.role)
    session.flush()
    return member


# --- API tokens -----------------------------------------------------------------------------


def create_api_token(actor: User | None, name: str) -> tuple[ApiToken, str]:
    """A new token of the current workspace; returns it with the secret, shown only once."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("required", "name")
    secret = API_TOKEN_PREFIX + sec.new_key(32)
    token = ApiToken(
        name=name[:80],
        prefix=secret[:12],
        token_hash=sec.sha256(secret),
        created_by_id=actor.id if actor else None,
    )
    session.add(token)
    record_activity(actor, "api_token.created", name=token.name)
    session.flush()
    return token, secret


def list_api_tokens() -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


def revoke_api_token(actor: User, token_id: int) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound(token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_activity(actor, "api_token.revoked", name=token.name)


def workspace_for_api_token(secret: str) -> Workspace | None:
    """The workspace a live bearer token belongs to (looked up before any tenant is known)."""
    with across_tenants("API token lookup"):
        token = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == sec.sha256(secret or ""), ApiToken.revoked_at.is_(None)
            )
        )
        if token is None:
            return None
        token.last_used_at = utcnow()
        return session.get(Workspace, token.tenant_id)


# --- activity -------------------------------------------------------------------------------


def record_activity(actor: User | None, action: str, **detail) -> ActivityEvent:
    event = ActivityEvent(
        tenant_id=current_tenant_id(),
        actor_id=actor.id if actor else None,
        action=action,
        detail=detail,
    )
    session.add(event)
    return event


def recent_activity(limit: int = 10) -> list[ActivityEvent]:
    return list(
        session.scalars(select(ActivityEvent).order_by(ActivityEvent.id.desc()).limit(limit))
    )
