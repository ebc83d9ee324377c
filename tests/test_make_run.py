"""`make run` on a fresh instance, as a newcomer meets it: scripts/run.sh starts the embedded
PostgreSQL from its wheel, migrates, seeds the demo, starts web + worker + cron with a private
Redis; the demo business's dashboard and a CSV import work in a real browser, and every page of
the demo landlord and the demo business answers without a server error.

One `make run` serves the whole module (the seed renders letters: starting it per test would
triple the time). Everything it starts is stopped afterwards, even when a test fails: honcho and
its children by process group, the daemonised redis-server by its pidfile, PostgreSQL by
run.sh's own exit trap, and any straggler by a marker in its environment.
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
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, _free_port
from tests.web.conftest import browser  # noqa: F401 - fixture
from tests.web.test_journey import either, watch

MARKER = "AMPARO_MAKE_RUN_TEST_ID"  # not read by the app; tells our processes apart
PASSWORD = "amparo-demo"
PER_SHAPE = 3  # pages visited per URL shape (/w/x/invoices/<n>): enough to reach every template


@dataclass
class Demo:
    base: str
    root: Path  # holds postgres/, redis/ and run.log
    proc: subprocess.Popen
    marker: str

    @property
    def pg_dir(self) -> Path:
        return self.root / "postgres"

    def stop(self) -> None:
        """Stop it as Ctrl-C would; then kill whatever it left behind."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)  # run.sh hands it to honcho, then stops PG
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        pidfile = self.root / "redis" / "redis.pid"
        pids = set(_marked_pids(self.marker))
        if pidfile.exists():
            pids.add(int(pidfile.read_text().strip()))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # let the 302 surface, so the test sees where it points


# Migrate, seed the demo, start web, worker and cron: about 40 s on a quiet machine, several
# minutes on a loaded one (a CI host running other jobs).
STARTUP_SECONDS = 300


def _env(root: Path, port: int, redis_port: int, marker: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AMPARO_") and k not in ("REDIS_URL", "DATABASE_URL", "FLASK_APP")
    }
    env.update(
        PORT=str(port),
        AMPARO_RUN_REDIS_PORT=str(redis_port),
        AMPARO_RUN_REDIS_DIR=str(root / "redis"),
        AMPARO_RUN_PG_DIR=str(root / "postgres"),  # no AMPARO_DATABASE_URL: the embedded server
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


def _postmaster_running(pg_dir: Path) -> bool:
    pidfile = pg_dir / "postmaster.pid"
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text().split()[0])
    return Path(f"/proc/{pid}").exists()


def _wait_for_health(base: str, proc: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"run.sh exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(
        f"no answer on {base}/healthz after {STARTUP_SECONDS} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("make-run")
    port, redis_port, marker = _free_port(), _free_port(), uuid.uuid4().hex
    log = root / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=_env(root, port, redis_port, marker),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    demo = Demo(base=f"http://127.0.0.1:{port}", root=root, proc=proc, marker=marker)
    try:
        health = _wait_for_health(demo.base, proc, log)
        yield demo, health
    finally:
        demo.stop()


def _opener(base: str, email: str) -> tuple[urllib.request.OpenerDirector, str, str]:
    """Log in like a browser; returns the logged-in opener, where the login redirects and the
    page finally shown."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert token, "no CSRF token on /login"
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
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
    with opener.open(urllib.parse.urljoin(base, location), timeout=10) as page:
        return opener, urllib.parse.urlsplit(page.geturl()).path, page.read().decode()


def test_make_run_serves_the_demo_on_the_embedded_postgresql(demo_run):
    demo, health = demo_run
    assert health == {"status": "ok", "database": "ok", "redis": "ok"}
    _browser, path, page = _opener(demo.base, "landlord@demo.amparo.test")
    assert path == "/w/demo-landlord/"
    assert "Alquileres Demo" in page
    assert (demo.root / "redis" / "redis.pid").exists()  # its own Redis, not the repo's

    # Its own PostgreSQL, on a Unix socket under the folder it was given, with the app's role
    # and row-level security as in production.
    assert (demo.pg_dir / "PG_VERSION").read_text().strip() == "18"
    with psycopg.connect(host=str(demo.pg_dir), user="postgres", dbname="amparo") as conn:
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'amparo_app'").fetchone()
        unguarded = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE a.attname = 'tenant_id' AND c.relkind = 'r'"
            " AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
        ).fetchall()
        assert unguarded == []


def test_the_demo_business_dashboard_and_a_csv_import_in_a_browser(demo_run, browser):  # noqa: F811
    demo, _health = demo_run
    problems: list[str] = []
    context = browser.new_context(base_url=demo.base, locale="es-ES")
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch(page, problems)

    page.goto("/login")
    page.locator("#email").fill("business@demo.amparo.test")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/w/demo-business/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comercial Demo S.L.")
    expect(page.locator("main")).to_contain_text(either("Total pendiente", "Total owed"))

    csv = "\r\n".join(
        [
            "Número;Cliente;NIF/CIF;Email;Fecha;Vencimiento;Base;IVA;Total;Moneda;Concepto",
            *(
                f"MR-2026-{n:03d};Ferretería Peñalara S.L.;B86561412;compras@penalara.es;"
                f"0{n}/11/2026;0{n}/12/2026;1.000,00;210,00;1.210,00;EUR;Suministro {n}"
                for n in range(1, 6)
            ),
        ]
    ).encode("cp1252")
    page.goto("/w/demo-business/invoices/import")
    page.locator("input[type=file]").set_input_files(
        {"name": "facturas-noviembre.csv", "mimeType": "text/csv", "buffer": csv}
    )
    page.get_by_role("button", name=either("Leer el archivo", "Read the file")).click()
    page.get_by_role("button", name=either("Importar las facturas", "Import the invoices")).click()
    status = page.locator("[role=status]")
    expect(status).to_contain_text(
        either("Completado: 5 facturas importadas.", "Done: 5 invoices imported."), timeout=60_000
    )
    expect(status).to_contain_text(either("Facturas nuevas: 5", "New invoices: 5"))

    page.goto("/w/demo-business/invoices?q=MR-2026")
    for n in range(1, 6):
        expect(page.locator("main")).to_contain_text(f"MR-2026-{n:03d}")
    assert problems == [], problems
    context.close()


def _links(html: str, base: str, prefixes: tuple[str, ...]) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)', html):
        url = urllib.parse.urljoin(base, href.replace("&amp;", "&"))
        parts = urllib.parse.urlsplit(url)
        if url.startswith(base) and parts.path.startswith(prefixes):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _shape(path: str) -> str:
    """The route a URL is an instance of: ids and query values left out."""
    path, _, query = path.partition("?")
    keys = sorted(k for k, _v in urllib.parse.parse_qsl(query))
    return re.sub(r"/\d+", "/<n>", path) + ("?" + "&".join(keys) if keys else "")


def _crawl(opener, base: str, slug: str) -> tuple[int, list[str]]:
    """Every page reachable by links from the workspace's dashboard (and the debtor portal
    pages its cases link to), a few per URL shape: each must answer 200."""
    start = f"/w/{slug}/"
    queue, seen, per_shape, failures = deque([start]), {start}, Counter(), []
    visited = 0
    while queue:
        path = queue.popleft()
        try:
            with opener.open(base + path, timeout=30) as response:
                body = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            failures.append(f"{error.code} {path}")
            continue
        visited += 1
        if "text/html" not in kind:
            continue  # a PDF, a CSV, an image: it answered, which is what is checked
        for link in _links(body.decode(), base, (start, "/p/")):
            shape = _shape(link)
            if link not in seen and per_shape[shape] < PER_SHAPE and "logout" not in link:
                seen.add(link)
                per_shape[shape] += 1
                queue.append(link)
    return visited, failures


@pytest.mark.parametrize(
    ("email", "slug", "at_least"),
    [
        ("landlord@demo.amparo.test", "demo-landlord", 30),
        ("business@demo.amparo.test", "demo-business", 20),
    ],
)
def test_every_page_of_the_demo_answers_200(demo_run, email, slug, at_least):
    demo, _health = demo_run
    opener, _path, _page = _opener(demo.base, email)
    visited, failures = _crawl(opener, demo.base, slug)
    assert failures == []
    assert visited >= at_least, f"only {visited} pages reached from the dashboard"


@pytest.mark.parametrize("slug", ["demo-landlord", "demo-business"])
def test_the_demo_shows_its_debtors_portal_card_and_plan_history(demo_run, slug):
    """Seeded without Stripe (no fake runs in `make run`): the reasons counted on the cases
    page, the Stripe account active, the plan Profesional, and a running instalment plan on
    the debtor's own page."""
    demo, _health = demo_run
    email = {"demo-landlord": "landlord@demo.amparo.test"}.get(slug, "business@demo.amparo.test")
    opener, _path, _page = _opener(demo.base, email)

    def page(path: str) -> str:
        with opener.open(demo.base + path, timeout=30) as response:
            assert response.status == 200, path
            return response.read().decode()

    assert 'id="why-not-paid"' in page(f"/w/{slug}/cases")
    assert 'data-status="active"' in page(f"/w/{slug}/settings/card-payments")
    assert "Profesional" in page(f"/w/{slug}/settings/plan")
    with psycopg.connect(host=str(demo.pg_dir), user="postgres", dbname="amparo") as conn:
        plans = conn.execute(
            "SELECT p.status, c.portal_token FROM instalment_plans p"
            " JOIN cases c ON c.id = p.case_id JOIN workspaces w ON w.id = c.tenant_id"
            " WHERE w.slug = %s",
            (slug,),
        ).fetchall()
    assert plans, slug
    for status, token in plans:
        mine = page(f"/p/{token}")  # the debtor's page: no login
        assert ('id="plan-schedule"' if status == "accepted" else 'id="plan-proposed"') in mine


def _cmdline(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        return [a.decode(errors="replace") for a in argv if a]
    return []


def _job_process(marker: str, command: str) -> int | None:
    """The pid of the `flask … worker` or `flask … cron` this `make run` started: the child of
    its supervisor (not the RQ scheduler or work horse the worker forks, same command line)."""
    for pid in _marked_pids(marker):
        with contextlib.suppress(OSError, ValueError):
            words = _cmdline(pid)
            stat = (Path("/proc") / str(pid) / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if command in words and "wsgi" in words and "jobs.supervise" in _cmdline(parent):
                return pid
    return None


@pytest.mark.parametrize("command", ["worker", "cron"])
def test_a_killed_worker_or_cron_is_started_again_and_make_run_keeps_serving(demo_run, command):
    demo, _health = demo_run
    first = _job_process(demo.marker, command)
    assert first, f"no {command} process"
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    second = None
    while time.monotonic() < deadline and second in (None, first):
        time.sleep(0.3)
        second = _job_process(demo.marker, command)
    assert second not in (None, first), f"no new {command} within 30 s"
    assert demo.proc.poll() is None, "make run stopped"
    with urllib.request.urlopen(f"{demo.base}/healthz", timeout=5) as response:  # noqa: S310
        assert json.load(response)["status"] == "ok"
    assert (
        f"supervise[{command}]: pid {first} was killed by SIGKILL"
        in (demo.root / "run.log").read_text()
    )


def test_stopping_make_run_stops_its_postgresql_and_keeps_the_data(demo_run):
    """Last in the module: it stops the shared `make run`."""
    from tenants import local_postgres

    demo, _health = demo_run
    demo.stop()
    assert demo.proc.returncode is not None
    assert _marked_pids(demo.marker) == []
    assert not _postmaster_running(demo.pg_dir), "make run left its PostgreSQL running"

    url = local_postgres.start(demo.pg_dir)  # the next `make run` finds the demo again
    try:
        with psycopg.connect(host=str(demo.pg_dir), user="postgres", dbname="amparo") as conn:
            slugs = {r[0] for r in conn.execute("SELECT slug FROM workspaces").fetchall()}
        assert {"demo-landlord", "demo-business", "demo-lawfirm"} <= slugs
        assert url.endswith(f"host={demo.pg_dir}")
    finally:
        local_postgres.stop(demo.pg_dir)
