"""Real long-running job processes for tests: a private redis-server that can be killed and
started again on the same port, and `flask worker` / `flask cron` subprocesses, each in its own
process group (so nothing they fork outlives the test), logging to a file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis

from tests.conftest import ROOT, settings_env

STOP_TIMEOUT = 10  # seconds for a graceful stop before SIGKILL


def wait_for(what: str, check: Callable[[], object], timeout: float, logs=()) -> object:
    """Poll `check` until it returns something true; fail after `timeout` seconds, with the
    tails of `logs` (paths) in the message."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{log_tails(logs)}")
        time.sleep(0.2)


def log_tails(paths, chars: int = 3000) -> str:
    parts = []
    for path in paths:
        path = Path(path)
        text = path.read_text(errors="replace") if path.exists() else ""
        parts.append(f"--- {path.name} ---\n{text[-chars:]}")
    return "\n".join(parts)


class RedisServer:
    """A redis-server of our own, without persistence: stopped and started again, it comes back
    empty, as a production Redis without a disk does."""

    def __init__(self, port: int, directory: Path):
        self.port = port
        self.directory = directory
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        with log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_for(f"redis-server on port {self.port}", self.answers, 10, [log.name])

    def answers(self) -> bool:
        client = Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved, every connection dropped."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)

    def client(self) -> Redis:
        return Redis(port=self.port, socket_connect_timeout=2, socket_timeout=5)


def start_process(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # a file, not a pipe: nobody reads it while the test runs
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL to the whole process group."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group is ours: start_new_session=True
    proc.wait(timeout=STOP_TIMEOUT)


CHECK_SECONDS = 2  # AMPARO_WORKER_CHECK_SECONDS, AMPARO_OUTBOX_REDRIVE_AFTER and _EVERY
PRIVATE_REDIS_PORT = int(os.environ.get("AMPARO_TEST_PRIVATE_REDIS_PORT", "6401"))
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on PRIVATE_REDIS_PORT."""
    server = RedisServer(PRIVATE_REDIS_PORT, tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def job_env(settings, private_redis) -> dict:
    """The environment of a job process on the private Redis, the test database and SMTP,
    checking on Redis and re-driving the outbox every CHECK_SECONDS."""
    env = settings_env(
        {
            **settings,
            "REDIS_URL": private_redis.url,
            "WORKER_CHECK_SECONDS": CHECK_SECONDS,
            "OUTBOX_REDRIVE_AFTER": CHECK_SECONDS,
            "OUTBOX_REDRIVE_EVERY": CHECK_SECONDS,
            "LOG_LEVEL": "INFO",
        }
    )
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def spawn(job_env, tmp_path):
    """Start a process in job_env, logging to <name>.log; every one is stopped afterwards."""
    started: list[subprocess.Popen] = []

    def start(name: str, args: list[str]) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        proc = start_process(args, job_env, log)
        started.append(proc)
        return proc, log

    yield start
    for proc in reversed(started):
        stop_process(proc)
