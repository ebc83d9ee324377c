"""A `flask worker` whose RQ scheduler process is killed starts a new one, and delayed work
(retries wait in RQ's scheduled registry: only the scheduler moves them to their queue) still
runs. RQ alone would look at its scheduler again only after ten minutes."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import psutil
from rq import Queue

from jobs import queues
from jobs.mail import deliver_email
from tests.jobs.processes import (  # noqa: F401 - fixtures
    FLASK,
    job_env,
    private_redis,
    spawn,
    wait_for,
)

ADDRESS = "carla@example.com"


def scheduler_pid(redis) -> int | None:
    """The pid RQ's scheduler process recorded in Redis, if it is alive."""
    for key in redis.keys("rq:scheduler:*"):
        pid = redis.hget(key, "pid")
        if pid and psutil.pid_exists(int(pid)):
            return int(pid)
    return None


def test_a_killed_scheduler_is_started_again_and_delayed_jobs_still_run(
    private_redis,  # noqa: F811
    spawn,  # noqa: F811
    record_email,
    inbox,
    row,
):
    worker, log = spawn("worker", [*FLASK, "worker"])
    redis = private_redis.client()
    first = wait_for("the worker's scheduler process", lambda: scheduler_pid(redis), 30, [log])
    assert first in {child.pid for child in psutil.Process(worker.pid).children()}

    os.kill(first, signal.SIGKILL)
    second = wait_for(
        "a new scheduler process",
        lambda: (pid := scheduler_pid(redis)) not in (None, first) and pid,
        30,
        [log],
    )
    assert second in {child.pid for child in psutil.Process(worker.pid).children()}
    assert worker.poll() is None

    email_id = record_email(to=ADDRESS)
    Queue(queues.MAIL, connection=redis).enqueue_in(timedelta(seconds=2), deliver_email, email_id)
    wait_for("the delayed email", lambda: inbox.to(ADDRESS), 30, [log])
    wait_for(
        "the email marked sent",
        lambda: row("SELECT status FROM emails WHERE id = :id", id=email_id)["status"] == "sent",
        10,
        [log],
    )
    assert "died with exit code" in log.read_text()  # the operator is told
