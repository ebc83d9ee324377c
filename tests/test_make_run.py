"""`make run` on a fresh instance: scripts/run.sh migrates, seeds the demo, starts web + worker +
cron with a private Redis, and the demo landlord can log in.

Everything it starts is stopped afterwards, even when the test fails: honcho and its children by
process group, the daemonised redis-server by its pidfile, and any straggler by a marker in its
environment.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from tests.conftest import ROOT, _free_port

MARKER = "AMPARO_MAKE_RUN_TEST_ID"  # not read by the app; tells our processes apart


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # let the 302 surface, so the test sees where it points


def _env(tmp_path: Path, port: int, redis_port: int, marker: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AMPARO_") and k not in ("REDIS_URL", "DATABASE_URL", "FLASK_APP")
    }
    env.update(
        PORT=str(port),
        AMPARO_RUN_REDIS_PORT=str(redis_port),
        AMPARO_RUN_REDIS_DIR=str(tmp_path / "redis"),
        AMPARO_DATABASE_URL=f"sqlite:///{tmp_path / 'amparo.sqlite3'}",
        WEB_CONCURRENCY="1",
        **{MARKER: marker},
    )
    return env


def _marked_pids(marker: str) -> list[int]:
    """Processes whose environment carries our marker: the ones this test started."""
    needle = f"{MARKER}={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
    return pids


def _stop(proc: subprocess.Popen, redis_dir: Path, marker: str) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # honcho stops web, worker and cron in turn
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    pidfile = redis_dir / "redis.pid"
    pids = set(_marked_pids(marker))
    if pidfile.exists():
        pids.add(int(pidfile.read_text().strip()))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_for_health(base: str, proc: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"run.sh exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(f"no answer on {base}/healthz after 60 s:\n{log.read_text()}")


def _log_in(base: str, email: str, password: str) -> tuple[str, str]:
    """Log in like a browser; returns where the login redirects and the page finally shown."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = browser.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert token, "no CSRF token on /login"
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": password}
    ).encode()
    no_redirect = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
    )
    try:
        no_redirect.open(f"{base}/login", data=form, timeout=10)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.read().decode()[:2000]
        location = redirect.headers["Location"]
    else:
        raise AssertionError("the login did not redirect")
    with browser.open(urllib.parse.urljoin(base, location), timeout=10) as page:
        return urllib.parse.urlsplit(page.geturl()).path, page.read().decode()


def test_make_run_serves_the_demo_on_a_fresh_instance(tmp_path):
    port, redis_port, marker = _free_port(), _free_port(), uuid.uuid4().hex
    log = tmp_path / "run.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=_env(tmp_path, port, redis_port, marker),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _wait_for_health(base, proc, log) == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
        }
        path, page = _log_in(base, "landlord@demo.amparo.test", "amparo-demo")
        assert path == "/w/demo-landlord/"
        assert "Alquileres Demo" in page
        assert (tmp_path / "amparo.sqlite3").exists()  # the database it was pointed at
        assert (tmp_path / "redis" / "redis.pid").exists()  # its own Redis, not the repo's
    finally:
        _stop(proc, tmp_path / "redis", marker)
    assert _marked_pids(marker) == []
