"""`python -m jobs.supervise`, which the Procfile runs the worker and cron under, so `make run`
(honcho stops every process when one exits) survives a dead worker: a SIGKILLed `flask worker`
is started again, with a scheduler, while the supervisor stays up; SIGTERM stops the worker
and then the supervisor within seconds; a process that keeps dying stops it loudly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from tests.jobs.processes import (  # noqa: F401 - fixtures
    FLASK,
    job_env,
    private_redis,
    spawn,
    wait_for,
)
from tests.jobs.test_worker_scheduler import scheduler_pid

SUPERVISE = [sys.executable, "-m", "jobs.supervise"]


def registered_worker_pids(redis) -> set[int]:
    """The pids of the RQ workers Redis knows (each one's hash holds its pid)."""
    pids = set()
    for key in redis.smembers("rq:workers"):
        pid = redis.hget(key, "pid")
        if pid:
            pids.add(int(pid))
    return pids


def the_child(supervisor: subprocess.Popen) -> psutil.Process | None:
    children = psutil.Process(supervisor.pid).children()
    return children[0] if len(children) == 1 else None


def test_a_killed_worker_is_started_again_and_sigterm_stops_it_and_the_supervisor(
    private_redis,  # noqa: F811
    spawn,  # noqa: F811
):
    supervisor, log = spawn("supervise", [*SUPERVISE, "worker", "--", *FLASK, "worker"])
    redis = private_redis.client()
    first = wait_for("the supervised worker", lambda: the_child(supervisor), 30, [log])
    wait_for("its registration", lambda: first.pid in registered_worker_pids(redis), 60, [log])
    wait_for("its scheduler", lambda: scheduler_pid(redis), 30, [log])
    left_behind = [p.pid for p in first.children(recursive=True)]  # its RQ scheduler
    assert left_behind

    first.kill()  # SIGKILL: the scheduler it forked would be orphaned
    second = wait_for(
        "a new worker",
        lambda: (child := the_child(supervisor)) and child.pid != first.pid and child,
        30,
        [log],
    )
    wait_for(
        "the new one registered", lambda: second.pid in registered_worker_pids(redis), 60, [log]
    )
    assert supervisor.poll() is None
    assert not [pid for pid in left_behind if psutil.pid_exists(pid)], "leftovers still run"
    # The old scheduler's lock was released when it was stopped: the new worker has its own.
    new_scheduler = wait_for("the new worker's scheduler", lambda: scheduler_pid(redis), 30, [log])
    assert new_scheduler in {p.pid for p in second.children()}
    assert "was killed by SIGKILL without being asked to; starting it again" in log.read_text()

    started = time.monotonic()
    os.kill(supervisor.pid, signal.SIGTERM)
    assert supervisor.wait(timeout=20) == 0
    print(f"stopped in {time.monotonic() - started:.1f} s")
    assert not second.is_running()
    assert not psutil.pid_exists(new_scheduler)
    assert "Worker" in log.read_text() and "warm shut down requested" in log.read_text()


def test_a_process_that_keeps_dying_stops_the_supervisor_with_an_error(tmp_path):
    result = subprocess.run(
        [
            *SUPERVISE,
            "--max-crashes",
            "3",
            "--window",
            "60",
            "cron",
            "--",
            sys.executable,
            "-c",
            "import sys; print('cannot start'); sys.exit(3)",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout.count("cannot start") == 3  # started three times, then not again
    assert "supervise[cron]: GIVING UP" in result.stderr
    assert "exited with status 3" in result.stderr
