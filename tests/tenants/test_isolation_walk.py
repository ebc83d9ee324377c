"""Walk every route under /w/<slug>/ with another workspace's ids: each one must answer 404.

A new route that takes an id this walk does not know fails `test_every_workspace_route_
argument_is_known`: add an object of that kind to `make_objects` (tests/tenants/conftest.py)
and its argument name to ID_ARGUMENTS, so no route slips past isolation untested.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from tests.conftest import Tenant, csrf_token, login

PREFIX = "/w/<slug>"
# URL argument name -> the model whose id it carries. make_objects() creates one of each.
ID_ARGUMENTS = {
    "member_id": "Member",
    "invitation_id": "Invitation",
    "token_id": "ApiToken",
    "run_id": "JobRun",
    "property_id": "Property",
    "unit_id": "Unit",
    "party_id": "Party",
    "lease_id": "Lease",
    "update_id": "RentUpdate",
    "statement_id": "BankStatement",
    "line_id": "BankLine",
    "invoice_id": "Charge",
    "case_id": "Case",
    "charge_id": "Charge",
    "letter_id": "Letter",
    "plan_id": "InstalmentPlan",
    "attachment_id": "DebtorAttachment",
    "escalation_id": "Escalation",
    "deadline_id": "EscalationDeadline",
    "document_id": "EscalationDocument",
}
# Query-string arguments that carry ids (e.g. /members?run=<id> shows a job's progress).
ID_QUERY_ARGUMENTS = {"run": "run_id"}
# A form that would pass any of the workspace forms, so a 404 is never a validation error.
FORM = {
    "role": "viewer",
    "emails": "newcomer@example.com",
    "name": "Walk token",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def workspace_rules(app) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX)]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def id_arguments(rule: Rule) -> set[str]:
    return set(rule.arguments) - {"slug"}


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"OPTIONS"})


def check_arguments_known(rule: Rule) -> None:
    unknown = sorted(id_arguments(rule) - ID_ARGUMENTS.keys())
    assert not unknown, (
        f"route {rule.rule} (endpoint {rule.endpoint}) takes {unknown}, which the cross-tenant "
        "walk does not know. Create an object of that kind in make_objects() "
        "(tests/tenants/conftest.py) and add the argument to ID_ARGUMENTS in "
        "tests/tenants/test_isolation_walk.py, so this route is tested with another "
        "workspace's id."
    )


def build_path(app, rule: Rule, slug: str, ids: dict[str, int]) -> str:
    check_arguments_known(rule)
    values = {name: ids[name] for name in id_arguments(rule)}
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {"slug": slug, **values}, method=methods(rule)[0])


def request(client, method: str, path: str, token: str, query: dict | None = None):
    kwargs = {"method": method, "headers": {"X-CSRFToken": token}}
    if method in UNSAFE_METHODS:
        kwargs["data"] = {"csrf_token": token, **FORM}
    if query:
        kwargs["query_string"] = query
    return client.open(path, **kwargs)


def describe(method: str, path: str, response) -> str:
    body = response.get_data(as_text=True)[:300]
    return f"{method} {path} answered {response.status_code}: {body!r}"


@pytest.fixture(params=["landlord", "business"])
def walk_tenants(request, app, create_workspace):
    """Workspaces A and B of one kind (each kind has its own pages), owners logged in."""
    tenants = []
    for name, email in (("Pisos Ana", "ana@example.com"), ("Locales Bea", "bea@example.com")):
        workspace_id, slug = create_workspace(name=name, kind=request.param, owner_email=email)
        c = app.test_client()
        login(c, email)
        tenants.append(Tenant(workspace_id, slug, email, c))
    tenants[0].kind = request.param
    return tenants


def answers_in(app, rule: Rule, kind: str) -> bool:
    """Whether the route exists in this kind of workspace (else it is 404 for everyone)."""
    from tenants.models import WorkspaceKind
    from web.permissions import kinds_of

    blueprints = []
    parts = rule.endpoint.split(".")[:-1]
    for n in range(len(parts), 0, -1):
        blueprints.append(".".join(parts[:n]))
    with app.app_context():
        return WorkspaceKind(kind) in kinds_of(rule.endpoint, blueprints)


@pytest.fixture
def walk_setup(app, walk_tenants, make_objects, snapshot):
    """A logged in (as its owner) with a CSRF token; B with one object of every kind."""
    a, b = walk_tenants
    b_ids = make_objects(b, tag="bea")
    token = csrf_token(a.client, f"/w/{a.slug}/members")
    return a, b, b_ids, token, snapshot(b.id)


# --- the map knows every route ----------------------------------------------------------------


def test_every_workspace_route_argument_is_known(app):
    for rule in workspace_rules(app):
        check_arguments_known(rule)


def test_an_unknown_id_argument_fails_the_walk(app):
    """The guard itself: a route with an id the walk cannot fill is an error, not a skip."""
    rule = Rule(
        f"{PREFIX}/widgets/<int:widget_id>/delete", endpoint="ws.delete_widget", methods=["POST"]
    )
    Map([rule])  # binds the rule so that its arguments are parsed
    with pytest.raises(AssertionError, match="widget_id"):
        check_arguments_known(rule)
    with pytest.raises(AssertionError, match="ID_ARGUMENTS"):
        build_path(app, rule, "any", {})


def test_the_walk_covers_the_workspace_routes(app):
    rules = workspace_rules(app)
    assert len(rules) > 5, [r.rule for r in rules]
    with_ids = [r for r in rules if id_arguments(r)]
    assert {a for r in with_ids for a in id_arguments(r)} == set(ID_ARGUMENTS), (
        "ID_ARGUMENTS names an argument no route takes any more: remove it"
    )
    assert any("POST" in r.methods for r in with_ids)
    assert any("GET" in r.methods for r in with_ids)


# --- A's slug, B's ids ------------------------------------------------------------------------


def test_another_workspaces_ids_are_404_on_every_route(app, walk_setup, make_objects, snapshot):
    a, b, b_ids, token, b_before = walk_setup
    visited = []
    for rule in workspace_rules(app):
        if not id_arguments(rule) or not answers_in(app, rule, a.kind):
            continue  # 404 for everyone there: tests/tenants/test_permission_walk.py
        for method in methods(rule):
            path = build_path(app, rule, a.slug, b_ids)
            response = request(a.client, method, path, token)
            assert response.status_code == 404, "cross-tenant id not refused: " + describe(
                method, path, response
            )
            # Control: the same request with A's own ids is not a 404 (it may be a 422: the
            # walk's form does not fill every form), so the 404 above came from isolation, not
            # from a bad URL or a missing CSRF token.
            own_path = build_path(app, rule, a.slug, make_objects(a))
            own = request(a.client, method, own_path, token)
            assert own.status_code != 404 and own.status_code < 500, (
                "control request failed: " + describe(method, own_path, own)
            )
            visited.append((method, rule.rule))
    assert len(visited) >= 5, visited
    assert snapshot(b.id) == b_before, "a request through workspace A changed workspace B"


def test_routes_without_ids_never_show_another_workspaces_data(app, walk_setup, snapshot):
    """Id-less routes of A (lists, forms), also given B's ids in the query string, show none of
    B's members, invitations, tokens or jobs."""
    a, b, b_ids, token, b_before = walk_setup
    markers = [
        "Locales Bea",
        b.email,
        "bea-member@example.com",
        "bea-invitee@example.com",
        "bea-token",
        "bea-run",
        "bea-building",
        "bea-renter",
        "bea-guarantor",
        "bea-community",
        "bea-payment",
        "bea-damage",
        "bea-transfer",
        "bea-track",
    ]
    query = {arg: b_ids[name] for arg, name in ID_QUERY_ARGUMENTS.items()}
    visited = 0
    for rule in workspace_rules(app):
        if id_arguments(rule):
            continue
        path = build_path(app, rule, a.slug, {})
        for method in methods(rule):
            for q in (None, query):
                response = request(a.client, method, path, token, q)
                assert response.status_code < 500, describe(method, path, response)
                if q and response.status_code != 404:
                    # 422: the walk's form does not fill every form; that is not a leak.
                    assert response.status_code < 400 or response.status_code == 422, describe(
                        method, path, response
                    )
                body = response.get_data(as_text=True)
                leaked = [m for m in markers if m in body]
                assert not leaked, f"{method} {path}?{q or ''} shows B's {leaked}"
                visited += 1
    assert visited >= 4
    response = request(a.client, "GET", f"/w/{a.slug}/members", token, query)
    assert response.status_code == 404, "another workspace's job run shown on A's members page"
    assert snapshot(b.id) == b_before, "a request through workspace A changed workspace B"


# --- B's slug, or no such slug ----------------------------------------------------------------


def test_another_workspaces_slug_is_404_not_403_on_every_route(app, walk_setup, snapshot):
    a, b, b_ids, token, b_before = walk_setup
    visited = 0
    for rule in workspace_rules(app):
        path = build_path(app, rule, b.slug, b_ids)
        for method in methods(rule):
            response = request(a.client, method, path, token)
            assert response.status_code == 404, (
                "a non-member reached another workspace: " + describe(method, path, response)
            )
            visited += 1
    assert visited > 5
    assert snapshot(b.id) == b_before, "a non-member changed workspace B"


def test_unknown_slug_is_404_on_every_route(app, walk_setup):
    a, _b, b_ids, token, _before = walk_setup
    for rule in workspace_rules(app):
        path = build_path(app, rule, "no-such-workspace", b_ids)
        for method in methods(rule):
            response = request(a.client, method, path, token)
            assert response.status_code == 404, describe(method, path, response)


def test_anonymous_visitor_cannot_tell_which_slugs_exist(app, client, two_tenants):
    _a, b = two_tenants
    for rule in workspace_rules(app):
        ids = dict.fromkeys(id_arguments(rule), 1)
        method = methods(rule)[0]
        if method in UNSAFE_METHODS:
            continue  # CSRF answers first for a visitor with no session
        existing = client.open(build_path(app, rule, b.slug, ids), method=method)
        unknown = client.open(build_path(app, rule, "no-such-workspace", ids), method=method)
        assert existing.status_code == unknown.status_code == 302, rule.rule
        assert (
            existing.headers["Location"].split("?")[0] == unknown.headers["Location"].split("?")[0]
        )


# --- a law firm's inbox: another firm's escalations ------------------------------------------

# The ids of the firm's inbox routes: the escalations are the creditors' rows, read by a firm
# only when assigned to it (tenants/services/escalations/inbox.py).
INBOX_ARGUMENTS = {"escalation_id", "deadline_id", "document_id"}


def test_another_firms_escalations_are_404_on_every_inbox_route(app, create_workspace, snapshot):
    from tenants import db
    from tests.escalations.inbox_helpers import escalation_for_firm

    firms = []
    for name, email in (("Bufete Ana", "ana@example.com"), ("Bufete Bea", "bea@example.com")):
        firm_id, slug = create_workspace(name=name, kind="law_firm", owner_email=email)
        client = app.test_client()
        login(client, email)  # a law firm's partner: password and two-factor code
        firms.append(Tenant(firm_id, slug, email, client))
    a, b = firms
    with app.app_context():
        b_ids = escalation_for_firm(b.id, "bea", status="accepted")
        db.session.commit()
    b_before = snapshot(b_ids["creditor_id"])
    token = csrf_token(a.client, f"/w/{a.slug}/members")
    visited = []
    for rule in workspace_rules(app):
        arguments = id_arguments(rule)
        if (
            not arguments
            or not arguments <= INBOX_ARGUMENTS
            or not answers_in(app, rule, "law_firm")
        ):
            continue
        for method in methods(rule):
            path = build_path(app, rule, a.slug, b_ids)
            response = request(a.client, method, path, token)
            assert response.status_code == 404, "another firm's escalation: " + describe(
                method, path, response
            )
            with app.app_context():
                own_ids = escalation_for_firm(a.id, f"ana{len(visited)}")
                db.session.commit()
            own_path = build_path(app, rule, a.slug, own_ids)
            own = request(a.client, method, own_path, token)
            assert own.status_code != 404 and own.status_code < 500, (
                "control request failed: " + describe(method, own_path, own)
            )
            visited.append((method, rule.rule))
    assert len(visited) >= 12, visited
    assert snapshot(b_ids["creditor_id"]) == b_before, "firm A changed firm B's escalation"
