"""Login limits: per address and email, per address whatever the email, and a Redis outage
that weakens them but never locks anyone out (issue 10, points 5 and 11)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PASSWORD, ROOT, _free_port, csrf_token, settings_env
from tests.platform.test_accounts import is_logged_in

GUESSER = "203.0.113.7"  # documentation addresses (RFC 5737)
NEIGHBOUR = "198.51.100.4"


def test_twenty_different_emails_from_one_address_are_then_refused(client, create_workspace, es):
    _id, slug = create_workspace()
    token = csrf_token(client)
    for n in range(20):
        guess = {"email": f"persona{n}@example.com", "password": "123456"}
        response = client.post(
            "/login", data={"csrf_token": token, **guess}, environ_base={"REMOTE_ADDR": GUESSER}
        )
        assert response.status_code == 401, n  # a different email each time: the per-email
        # limit (10) never trips

    right = client.post(
        "/login",
        data={"csrf_token": token, "email": "ana@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": GUESSER},
    )
    assert right.status_code == 429
    assert es("Too many attempts in a short time. Wait a few minutes and try again.") in (
        right.get_data(as_text=True)
    )
    assert not is_logged_in(client, slug)

    # Someone elsewhere is not punished for it.
    other = client.post(
        "/login",
        data={"csrf_token": token, "email": "ana@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": NEIGHBOUR},
    )
    assert other.status_code == 302
    assert is_logged_in(client, slug)


# The app with its Redis gone (a port nothing listens on: connection refused, as when the
# server is down), in a process of its own because the rate limiter's storage is chosen when
# the app starts. CSRF is off there: it is not what this probe is about.
OUTAGE_PROBE = """
import json
from web import create_app
app = create_app({"WTF_CSRF_ENABLED": False})
client = app.test_client()
seen = {"wrong": []}
for _ in range(11):
    response = client.post("/login", data={"email": "ana@example.com", "password": "nope"})
    seen["wrong"].append(response.status_code)
right = {"email": "ana@example.com", "password": PASSWORD}
seen["right_elsewhere"] = client.post(
    "/login", data=right, environ_base={"REMOTE_ADDR": "198.51.100.4"}
).status_code
seen["forgot"] = client.post("/password/forgot", data={"email": "ana@example.com"}).status_code
health = client.get("/healthz")
seen["healthz"] = [health.status_code, health.get_json()]
print(json.dumps(seen))
"""


def test_without_redis_login_and_reset_work_and_limits_fall_back_to_memory(
    settings, create_workspace, rows
):
    create_workspace()
    env = {**settings_env(settings), "AMPARO_REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0"}
    result = subprocess.run(
        [sys.executable, "-c", f"PASSWORD = {PASSWORD!r}\n" + OUTAGE_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Ten wrong passwords are told so, the eleventh is refused: counted in memory meanwhile.
    assert seen["wrong"] == [401] * 10 + [429]
    assert seen["right_elsewhere"] == 302  # logged in, no 500
    assert seen["forgot"] == 302  # "check your email", no 500…
    # …and the reset email is in the outbox, sent when Redis is back.
    (reset,) = rows("SELECT status FROM emails WHERE idempotency_key LIKE 'reset:%'")
    assert reset["status"] == "queued"
    assert rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL")[0]["n"] >= 1
    status, body = seen["healthz"]
    assert status == 503
    assert body["database"] == "ok" and body["redis"].startswith("error")
