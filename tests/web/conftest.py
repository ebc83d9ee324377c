"""A live Amparo for browser tests: gunicorn serving `wsgi:app` and a real RQ worker, each in its
own process (and process group), on the test database, Redis and SMTP server.

Function-scoped on purpose: the autouse `_clean_state` fixture empties the tables and Redis
around every test, so a server shared between tests would see its data vanish.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _free_port, settings_env
from tests.jobs.processes import start_process, stop_process

BIN = Path(sys.executable).parent
START_TIMEOUT = 20  # seconds for gunicorn to answer /healthz

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    server: subprocess.Popen
    worker: subprocess.Popen
    logs: Path

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines the server and the worker logged."""
        found = []
        for name in ("server.log", "worker.log"):
            path = self.logs / name
            text = path.read_text(errors="replace") if path.exists() else ""
            found += [
                f"{name}: {line}"
                for line in text.splitlines()
                if line.startswith(("Traceback", "ERROR", "CRITICAL"))
                or "[ERROR]" in line
                or "[CRITICAL]" in line
            ]
        return found

    def log_tail(self, chars: int = 4000) -> str:
        parts = []
        for name in ("server.log", "worker.log"):
            path = self.logs / name
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} ---\n{text[-chars:]}")
        return "\n".join(parts)


def _no_control_socket() -> list[str]:
    """Newer gunicorns open a control socket in ~/.gunicorn, shared by every server started
    there; the test server needs none."""
    from gunicorn.config import KNOWN_SETTINGS

    flags = {flag for setting in KNOWN_SETTINGS for flag in (setting.cli or ())}
    return ["--no-control-socket"] if "--no-control-socket" in flags else []


def _wait_healthy(url: str, procs: list[subprocess.Popen], live: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last_error = ""
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"{proc.args[:3]} exited with {proc.returncode}\n{live.log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = repr(exc)
        time.sleep(0.2)
    pytest.fail(
        f"{url}/healthz did not answer 200 in {START_TIMEOUT}s ({last_error})\n{live.log_tail()}"
    )


@pytest.fixture
def live_server(settings, tmp_path) -> LiveServer:
    """The app on http://127.0.0.1:<free port>, plus a worker that delivers its email."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = settings_env({**settings, "BASE_URL": url})
    env["PYTHONUNBUFFERED"] = "1"
    server = start_process(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            *_no_control_socket(),
            "wsgi:app",
        ],
        env,
        tmp_path / "server.log",
    )
    worker = start_process([sys.executable, "-m", "flask", "worker"], env, tmp_path / "worker.log")
    live = LiveServer(url=url, server=server, worker=worker, logs=tmp_path)
    try:
        _wait_healthy(url, [server, worker], live)
        yield live
    finally:
        stop_process(worker)
        stop_process(server)


@pytest.fixture
def browser():
    """Debian's headless Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
