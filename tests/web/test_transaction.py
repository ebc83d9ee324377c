"""One commit per request (web/transaction.py): a success commits once at the end, a refusal or
an error leaves nothing behind, jobs leave only after the commit, and a failed commit shows the
error page instead of the success."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, ROOT, csrf_token, post_form

# Not requests: the CLI and the demo seeding commit as they go; the hook itself; the error
# pages, which roll back before rendering because a failed flush refuses every query.
COMMITTING_MODULES = {
    "web/cli.py",
    "web/demo.py",
    "web/demo_badge.py",
    "web/demo_cases.py",
    "web/demo_escalations.py",
    "web/transaction.py",
}
ROLLING_BACK_MODULES = COMMITTING_MODULES | {"web/errors.py"}

MAYOR = {
    "name": "Portal del Carmen",
    "street": "Calle Mayor 12",
    "postal_code": "28013",
    "city": "Madrid",
    "province": "Madrid",
}


def _session_calls(path: Path, method: str) -> list[int]:
    """Lines of `<anything>.session.<method>()` (and `session.<method>()`) in a module."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if node.func.attr == method and named == "session":
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    ("method", "allowed"), [("commit", COMMITTING_MODULES), ("rollback", ROLLING_BACK_MODULES)]
)
def test_no_view_commits_or_rolls_back_by_itself(method, allowed):
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "web").rglob("*.py"))
        if (lines := _session_calls(path, method))
    }
    assert set(found) <= allowed, {k: v for k, v in found.items() if k not in allowed}
    assert "web/transaction.py" in found  # the guard looks at real calls, not at nothing


def test_a_refused_form_leaves_nothing_of_what_the_service_wrote(
    monkeypatch, two_tenants, rows, message
):
    """The service saves the property, then refuses: the form comes back with the message, the
    list shows no property and the database has none."""
    from tenants.services.errors import ServiceError
    from tenants.services.rentals import properties

    real = properties.create_property

    def saves_then_refuses(**fields):
        real(**fields)  # flushed: the row is in the transaction
        raise ServiceError("postal_code_invalid", "postal_code")

    monkeypatch.setattr(properties, "create_property", saves_then_refuses)
    tenant = two_tenants[0]
    path = f"/w/{tenant.slug}/properties"
    response = post_form(tenant.client, path, MAYOR, token_from=path)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message("postal_code_invalid") in page
    assert "Portal del Carmen</a>" not in page  # not in the list under the form
    assert rows("SELECT name FROM properties") == []
    monkeypatch.undo()
    assert "Portal del Carmen" not in tenant.client.get(path).get_data(as_text=True)


def test_a_refused_action_that_redirects_leaves_nothing(monkeypatch, two_tenants, rows, message):
    """A refusal answered with a redirect (a 302, a success status) is rolled back too."""
    from tenants.services.errors import ServiceError
    from tenants.services.platform import workspaces as ws_service

    def renames_then_refuses(workspace, actor, member_id, role):
        workspace.name = "Renombrado"
        ws_service.session.flush()
        raise ServiceError("last_owner")

    monkeypatch.setattr(ws_service, "change_role", renames_then_refuses)
    tenant = two_tenants[0]
    [member] = rows("SELECT id FROM members WHERE tenant_id = :t", t=tenant.id)
    members = f"/w/{tenant.slug}/members"
    response = post_form(
        tenant.client,
        f"{members}/{member['id']}/role",
        {"role": "manager"},
        token_from=members,
        follow_redirects=True,
    )

    assert response.request.path == members
    page = response.get_data(as_text=True)
    assert message("last_owner") in page
    assert "Renombrado" not in page
    assert rows("SELECT name FROM workspaces WHERE id = :t", t=tenant.id) == [{"name": "Pisos Ana"}]


def test_a_successful_post_commits_and_its_job_leaves_only_after_the_commit(
    monkeypatch, two_tenants, rows
):
    import jobs.enqueue

    enqueued = []

    def record(fn, *args, app=None, job_id=None):
        # Seen from another connection: the rows the job is sent for are already committed.
        enqueued.append((fn.__name__, rows("SELECT email FROM invitations")))

    monkeypatch.setattr(jobs.enqueue, "enqueue_now", record)
    tenant = two_tenants[0]
    members = f"/w/{tenant.slug}/members"
    response = post_form(
        tenant.client,
        members,
        {"emails": "carla@example.com", "role": "manager"},
        token_from=members,
    )

    assert response.status_code == 302
    assert enqueued == [("deliver_invitations", [{"email": "carla@example.com"}])]
    assert rows("SELECT kind, total FROM job_runs") == [{"kind": "invitations", "total": 1}]


def test_a_failed_commit_shows_the_error_page_and_sends_no_job(monkeypatch, two_tenants, rows, es):
    import jobs.enqueue

    enqueued = []
    monkeypatch.setattr(jobs.enqueue, "enqueue_now", lambda fn, *a, app=None: enqueued.append(fn))
    tenant = two_tenants[0]
    members = f"/w/{tenant.slug}/members"
    token = csrf_token(tenant.client, members)

    def database_refuses(session):
        raise RuntimeError("the database went away at commit")

    event.listen(Session, "before_commit", database_refuses)
    try:
        response = tenant.client.post(
            members,
            data={"csrf_token": token, "emails": "carla@example.com", "role": "manager"},
        )
    finally:
        event.remove(Session, "before_commit", database_refuses)

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert es("Something went wrong") in page
    assert "Content-Security-Policy" in response.headers  # the error page is still our page
    assert enqueued == []
    assert rows("SELECT email FROM invitations") == []
    assert rows("SELECT id FROM job_runs") == []


def test_an_unverified_login_is_refused_but_its_confirmation_email_still_goes(
    create_user, client, rows
):
    """The one error answer whose writes stay (transaction.keep): the 403 tells the person to
    confirm their email, and the new link must really be on its way."""
    create_user(verified=False)
    response = post_form(client, "/login", {"email": "ana@example.com", "password": PASSWORD})

    assert response.status_code == 403
    assert rows('SELECT "to" FROM emails WHERE idempotency_key LIKE :k', k="verify:%") == [
        {"to": "ana@example.com"}
    ]
