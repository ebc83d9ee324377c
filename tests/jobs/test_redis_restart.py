"""The real Redis restarted under a running `flask worker` and `flask cron`: both keep running,
and work asked for while Redis was down is done once it is back.

Redis here is a redis-server of the test's own, without persistence, killed with SIGKILL and
started again empty on the same port, as a production Redis without a disk restarts. The web
request is the app's own (a test client whose Redis is that server): its commit writes the
outbox row, its enqueue fails, and the cron re-drive enqueues the job once Redis answers.
"""

from __future__ import annotations

import time

import pytest
from redis import Redis

from jobs.leader import CRON_LOCK
from tests.jobs.processes import (  # noqa: F401 - fixtures
    CHECK_SECONDS,
    FLASK,
    job_env,
    private_redis,
    spawn,
    wait_for,
)
from tests.platform.test_invitations import invite, owner  # noqa: F401 - fixture

ADDRESS = "luis@example.com"
DELIVERY_TIMEOUT = 60  # seconds after Redis is back


@pytest.fixture
def job_processes(spawn):  # noqa: F811
    """`flask worker` and `flask cron` on the private Redis."""
    worker, worker_log = spawn("worker", [*FLASK, "worker"])
    cron, cron_log = spawn("cron", [*FLASK, "cron"])
    return worker, cron, [worker_log, cron_log]


def _ready(redis) -> bool:
    """A worker registered, its scheduler's lock taken, and the cron lease held."""
    try:
        return bool(
            redis.scard("rq:workers")
            and redis.keys("rq:scheduler-lock:*")
            and redis.exists(CRON_LOCK)
        )
    except Exception:
        return False


def test_worker_and_cron_ride_out_a_redis_restart_and_deliver_what_was_asked_meanwhile(
    app,
    owner,  # noqa: F811
    private_redis,  # noqa: F811
    job_processes,
    inbox,
    rows,
    monkeypatch,
):
    worker, cron, logs = job_processes
    redis = private_redis.client()
    wait_for("worker and cron running on the private Redis", lambda: _ready(redis), 30, logs)

    # The web app uses the same Redis as the worker and cron.
    monkeypatch.setitem(app.config, "REDIS_URL", private_redis.url)
    monkeypatch.setitem(app.extensions, "amparo_redis", Redis.from_url(private_redis.url))

    private_redis.kill()
    response = invite(owner, ADDRESS)
    assert response.status_code == 302
    page = owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert ADDRESS in page  # the invitation is listed as pending
    assert rows("SELECT sent_at FROM invitations") == [{"sent_at": None}]
    time.sleep(3 * CHECK_SECONDS)  # both processes meet the outage: heartbeats, lease, dequeue
    assert worker.poll() is None and cron.poll() is None
    assert inbox.to(ADDRESS) == []

    private_redis.start()  # the same port, empty
    back = time.monotonic()
    wait_for("the invitation email", lambda: inbox.to(ADDRESS), DELIVERY_TIMEOUT, logs)
    delivered_after = time.monotonic() - back
    print(f"invitation delivered {delivered_after:.1f} s after Redis came back")

    assert worker.poll() is None, "the worker stopped"
    assert cron.poll() is None, "the cron process stopped"
    wait_for("cron lease and worker registered again", lambda: _ready(redis), 30, logs)
    wait_for(
        "the invitation marked sent and its outbox row done",
        lambda: (
            rows("SELECT sent_at FROM invitations")[0]["sent_at"] is not None
            and rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL") == [{"n": 0}]
        ),
        10,
        logs,
    )

    # More re-drive rounds later, still one email, and both processes still up.
    time.sleep(3 * CHECK_SECONDS)
    assert len(inbox.to(ADDRESS)) == 1
    assert worker.poll() is None and cron.poll() is None
    # The same RQ worker all along (RQ logs "quitting" when its loop ends), no lost lease.
    assert "quitting" not in logs[0].read_text()
    assert "LockNotOwnedError" not in logs[1].read_text()
