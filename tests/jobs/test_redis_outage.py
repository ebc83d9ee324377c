"""A change committed while Redis is down answers success, and its work is done once Redis
returns: the outbox row written in the same commit is re-driven by cron (jobs/maintenance.py).

Redis is made unreachable for the web app by pointing its connection at a port nothing listens
on: a real connection refused, as when the server is down.
"""

from __future__ import annotations

from redis import Redis
from sqlalchemy import text

from tests.conftest import _free_port
from tests.platform.test_invitations import invite, owner  # noqa: F401 - fixture

ADDRESS = "luis@example.com"


def test_an_invitation_made_while_redis_is_down_answers_success_and_is_delivered_later(
    app,
    bound_app,
    owner,  # noqa: F811
    admin_engine,
    inbox,
    rows,
    run_worker,
    monkeypatch,
):
    from jobs.maintenance import redrive_outbox

    dead = Redis(port=_free_port(), socket_connect_timeout=1, socket_timeout=1)
    with monkeypatch.context() as outage:
        outage.setitem(app.extensions, "amparo_redis", dead)
        response = invite(owner, ADDRESS)

    assert response.status_code == 302  # not the 500 "nothing was changed" of before
    page = owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert ADDRESS in page
    (invitation,) = rows("SELECT email, sent_at FROM invitations")
    assert invitation == {"email": ADDRESS, "sent_at": None}
    assert rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL")[0]["n"] >= 1
    assert inbox.to(ADDRESS) == []

    # Redis is back. Cron re-drives the outbox rows older than OUTBOX_REDRIVE_AFTER.
    with admin_engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET created_at = created_at - interval '1 hour'"))
    with bound_app.app_context():
        assert redrive_outbox() >= 1
    run_worker()

    assert len(inbox.to(ADDRESS)) == 1
    assert rows("SELECT sent_at FROM invitations")[0]["sent_at"] is not None
    assert rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL")[0]["n"] == 0

    # Re-driven again later (a slow job, not a lost one): still one email.
    with bound_app.app_context():
        redrive_outbox()
    run_worker()
    assert len(inbox.to(ADDRESS)) == 1
