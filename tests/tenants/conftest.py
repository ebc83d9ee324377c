"""Fixtures for the tenant-isolation tests: objects of every id-bearing kind in a workspace,
and a snapshot of one workspace's rows taken from outside the app (owner role, no RLS)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Argon2 with minimal cost: these tests log in and create users a lot, and passwords are
    not what they test."""
    from argon2 import PasswordHasher

    from tenants.services import secrets

    monkeypatch.setattr(
        secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def tenant_tables() -> list[str]:
    """The table of every TenantOwned model (the ones scoping and RLS must cover)."""
    import tenants.models  # noqa: F401 - every model on the registry
    from tenants.db import Base, TenantOwned

    return sorted(
        m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)
    )


@pytest.fixture
def make_objects(app, create_user):
    """Create, in `tenant`, one object for each id a /w/<slug>/ route can take.

    Returns {"member_id": ..., "invitation_id": ..., "token_id": ..., "run_id": ...}: the keys
    are the URL argument names the isolation walk maps.
    """
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import JobRun, Member, Workspace
    from tenants.services import workspaces as ws_service
    from tenants.services.accounts import find_user_by_email

    def make(tenant, tag: str | None = None) -> dict[str, int]:
        tag = tag or f"obj{next(_numbers)}"
        user_id = create_user(email=f"{tag}-member@example.com", name=f"{tag} member")
        with app.app_context(), tenant_context(tenant.id):
            workspace = db.session.get(Workspace, tenant.id)
            owner = find_user_by_email(tenant.email)
            member = Member(user_id=user_id, role=workspace.roles[1])
            db.session.add(member)
            invitation = ws_service.invite_member(
                workspace, owner, f"{tag}-invitee@example.com", workspace.roles[-1]
            )
            token, _secret = ws_service.create_api_token(owner, f"{tag}-token")
            run = JobRun(kind="invitations", total=3, done=1, message=f"{tag}-run")
            db.session.add(run)
            db.session.commit()
            return {
                "member_id": member.id,
                "invitation_id": invitation.id,
                "token_id": token.id,
                "run_id": run.id,
            }

    return make


@pytest.fixture
def snapshot(admin_engine):
    """Every row a workspace owns (and its own row), read as the owner role: no RLS, no ORM."""
    from tenants.db import Base

    def take(tenant_id: int) -> dict[str, list]:
        metadata = Base.metadata
        state = {}
        with admin_engine.connect() as conn:
            for name in [*tenant_tables(), "emails"]:
                table = metadata.tables[name]
                rows = conn.execute(
                    select(table).where(table.c.tenant_id == tenant_id).order_by(table.c.id)
                )
                state[name] = [tuple(r) for r in rows]
            workspaces = metadata.tables["workspaces"]
            state["workspaces"] = [
                tuple(r)
                for r in conn.execute(select(workspaces).where(workspaces.c.id == tenant_id))
            ]
            members, users = metadata.tables["members"], metadata.tables["users"]
            state["users"] = [
                tuple(r)
                for r in conn.execute(
                    select(users)
                    .where(
                        users.c.id.in_(
                            select(members.c.user_id).where(members.c.tenant_id == tenant_id)
                        )
                    )
                    .order_by(users.c.id)
                )
            ]
        return state

    return take
