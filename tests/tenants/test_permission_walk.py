"""The permission matrix: every state-changing route under /w/<slug>/, tried by every role.

Routes come from app.url_map, so a new route that names no action fails
`test_every_state_changing_route_names_its_action`. What each role may do is written here
again, as the product says it (the README "Roles"), not read from tenants/permissions.py.
A refused request answers 403 (404 for a page the workspace's kind does not have) and changes
nothing: the workspace's rows are compared before and after, as in the isolation walk.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from tests.tenants.test_isolation_walk import (
    UNSAFE_METHODS,
    answers_in,
    build_path,
    describe,
    methods,
    request,
    workspace_rules,
)

WORKING = {
    "rent_book.write",
    "rent_book.archive",
    "parties.write",
    "parties.archive",
    "invoices.write",
    "cases.work",
    "letterhead.edit",
}
WORKING |= {"instalments.decide"}  # accept, reject, counter or offer an instalment plan
WORKING |= {"portal.manage"}  # withdraw a case's portal link, issue a new one
WORKING |= {"badge.stamp"}  # stamp an invoice with the badge, ask for the badge's check
WORKING |= {"escalations.correspond"}  # write to a case's law firm, upload what it asks for
OWNER = WORKING | {"letters.approve", "payee.edit", "ladder.edit", "members.manage"}
OWNER |= {"plan.manage"}  # subscribe to a plan, the Customer Portal
OWNER |= {"stripe_account.manage"}  # the Stripe account card payments go to
OWNER |= {"workspace.close"}  # close the workspace (revokes its badge)
OWNER |= {"escalations.escalate"}  # escalate a case to a law firm (its fees), withdraw it
ALLOWED = {
    "owner": OWNER | {"tokens.manage"},
    "manager": WORKING,
    "granted manager": WORKING | {"letters.approve"},
    "viewer": set(),
    "partner": {"members.manage"} | {"firm.dpa"},  # accept the data-processing agreement
    "lawyer": set(),
}
# Every member of a law firm answers the cases offered to it and works those it accepted.
ALLOWED["partner"] |= {"inbox.answer", "inbox.work"}
ALLOWED["lawyer"] |= {"inbox.answer", "inbox.work"}
ROLES_BY_KIND = {
    "landlord": ["owner", "manager", "granted manager", "viewer"],
    "business": ["owner", "manager", "granted manager", "viewer"],
    "law_firm": ["partner", "lawyer"],
}
# The routes the issue names, with the action they must need.
KEY_ROUTES = {
    "ws.collections.letterhead_settings": "letterhead.edit",
    "ws.collections.ladder_settings": "ladder.edit",
    "ws.collections.letter_approve": "letters.approve",
    "ws.collections.letter_skip": "letters.approve",
    "ws.collections.approve_selected": "letters.approve",
    "ws.invite": "members.manage",
    "ws.change_role": "members.manage",
    "ws.remove_member": "members.manage",
    "ws.set_demand_grant": "members.manage",
    "ws.api_tokens": "tokens.manage",
    "ws.revoke_api_token": "tokens.manage",
}


def unsafe_rules(app):
    return [r for r in workspace_rules(app) if set(methods(r)) & UNSAFE_METHODS]


def action_of(app, rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "required_action", None)


def test_every_state_changing_route_names_its_action(app):
    rules = unsafe_rules(app)
    assert len(rules) > 40
    missing = [r.endpoint for r in rules if action_of(app, r) is None]
    assert not missing, f"routes that change data but name no @requires action: {missing}"
    by_endpoint = {r.endpoint: action_of(app, r) for r in rules}
    assert {e: by_endpoint.get(e) for e in KEY_ROUTES} == KEY_ROUTES


@pytest.fixture
def people(app, create_user, create_workspace):
    """A workspace of `kind` and one logged-in client per role (the owner or partner first)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    def make(kind: str):
        owner_role = ROLES_BY_KIND[kind][0]
        owner_email = f"{kind}-{owner_role}@example.com".replace(" ", "-")
        workspace_id, slug = create_workspace(
            name=f"Walk {kind}", kind=kind, owner_email=owner_email
        )
        clients = {}
        for role in ROLES_BY_KIND[kind]:
            email = f"{kind}-{role}@example.com".replace(" ", "-")
            if role != owner_role:
                user_id = create_user(email=email, name=role)
                with app.app_context(), tenant_context(workspace_id):
                    db.session.add(
                        Member(
                            user_id=user_id,
                            role=role.split()[-1],
                            may_approve_demands=role == "granted manager",
                        )
                    )
                    db.session.commit()
            client = app.test_client()
            login(client, email, PASSWORD)
            clients[role] = client
        return workspace_id, slug, owner_email, clients

    return make


def _objects(app, kind, make_objects, workspace_id, owner_email):
    class _Tenant:
        id, email = workspace_id, owner_email

    if kind != "law_firm":
        return make_objects(_Tenant, tag=None)
    return _law_firm_objects(app, workspace_id, owner_email)


def _law_firm_objects(app, workspace_id, owner_email):
    """A law firm has only its own pages: a member and an invitation are what they act on;
    the rent book's ids are never looked up there (the page is 404 first)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member, User, Workspace
    from tenants.services.platform import accounts
    from tenants.services.platform import workspaces as ws_service
    from tests.escalations.inbox_helpers import escalation_for_firm
    from tests.tenants.test_isolation_walk import ID_ARGUMENTS

    n = next(_law_numbers)
    with app.app_context(), tenant_context(workspace_id):
        user = accounts.create_user(name="x", email=f"firm{n}@example.com", password=PASSWORD)
        member = Member(user_id=user.id, role="lawyer")
        db.session.add(member)
        owner = db.session.scalar(select(User).where(User.email == owner_email))
        workspace = db.session.get(Workspace, workspace_id)
        invitation = ws_service.invite_member(workspace, owner, f"inv{n}@example.com", "lawyer")
        # A case a creditor escalated and offered to the firm: what its inbox acts on.
        escalation = escalation_for_firm(workspace_id, f"walk{n}")
        db.session.commit()
        ids = dict.fromkeys(ID_ARGUMENTS, 999_999)
        return {**ids, "member_id": member.id, "invitation_id": invitation.id, **escalation}


_law_numbers = itertools.count(1)


@pytest.mark.parametrize("kind", ["landlord", "business", "law_firm"])
def test_only_the_allowed_roles_change_anything(app, kind, people, make_objects, snapshot, es):
    workspace_id, slug, owner_email, clients = people(kind)
    shared = _objects(app, kind, make_objects, workspace_id, owner_email)
    refused_text = es("Not allowed for your role")
    tried = {"allowed": 0, "refused": 0}
    for role, client in clients.items():
        token = csrf_token(client, f"/w/{slug}/members")
        for rule in unsafe_rules(app):
            exists = answers_in(app, rule, kind)
            allowed = exists and action_of(app, rule) in ALLOWED[role]
            for method in sorted(set(methods(rule)) & UNSAFE_METHODS):
                if allowed:
                    # Fresh objects: an allowed request may remove what the next one needs.
                    ids = _objects(app, kind, make_objects, workspace_id, owner_email)
                    path = build_path(app, rule, slug, ids)
                    response = request(client, method, path, token)
                    assert response.status_code not in (403, 404), f"{role}: " + describe(
                        method, path, response
                    )
                    assert response.status_code < 500, describe(method, path, response)
                    tried["allowed"] += 1
                    continue
                before = snapshot(workspace_id)
                path = build_path(app, rule, slug, shared)
                response = request(client, method, path, token)
                expected = 403 if exists else 404
                assert response.status_code == expected, f"{role}: " + describe(
                    method, path, response
                )
                if expected == 403:
                    assert refused_text in response.get_data(as_text=True)
                assert snapshot(workspace_id) == before, f"{role} changed data: {method} {path}"
                tried["refused"] += 1
    assert tried["refused"] > 10 and tried["allowed"] > 0, tried
