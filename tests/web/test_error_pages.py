"""After a database error the error page is still a page: the session is rolled back before
anything reads the user or the workspace, and when even the page cannot be built a short plain
text in both languages says what happened (never gunicorn's empty 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import login

PAGE = "home.workspaces"  # a logged-in page whose menu reads the user and their workspaces


@pytest.fixture
def failing_view(app, monkeypatch):
    """The view of /workspaces replaced by one whose statement PostgreSQL refuses, and which
    then reads again in the aborted transaction (as code that caught the first error would)."""
    from tenants import db

    def view():
        try:
            db.session.execute(text("SELECT 1 / 0"))  # division_by_zero, raised by PostgreSQL
        except Exception:  # noqa: S110 - the second statement is the point of the test
            pass
        db.session.execute(text("SELECT 1"))  # InFailedSqlTransaction until a rollback

    monkeypatch.setitem(app.view_functions, PAGE, view)


def test_a_database_error_gives_the_500_page_in_spanish(client, create_user, failing_view):
    create_user()
    login(client)

    response = client.get("/workspaces")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Algo ha salido mal" in page and "no se ha cambiado nada" in page
    assert "Ana Pérez" in page  # the menu read the user again: the session was rolled back


def test_when_even_the_error_page_fails_a_plain_text_says_so(
    client, create_user, failing_view, monkeypatch
):
    # A fault in the page itself (a template that cannot render): injected, since it is the
    # last resort for faults we cannot name in advance.
    def broken_template(*args, **kwargs):
        raise RuntimeError("the error template is broken")

    monkeypatch.setattr("web.errors.render_template", broken_template)
    create_user()
    login(client)

    response = client.get("/workspaces")

    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "no se ha cambiado nada" in body and "nothing was changed" in body
