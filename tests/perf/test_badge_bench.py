"""Benchmark: requests per second for `/badge/<token>.svg` against a static file of the same
size, served by the same gunicorn (issue 13: the target is at least 0.8 of the static figure).

gunicorn runs the real app as the Procfile does (2 sync workers, wsgi app from
tests/perf/badge_wsgi.py, which only adds a static route served by Flask's send_from_directory)
on loopback, against the test PostgreSQL and Redis, with one active badge. The static file is
the badge's own SVG bytes. The load comes from CLIENTS processes, each opening a connection per
request (gunicorn's sync workers close every connection) and counting 200 answers; rounds of
SECONDS alternate between the two URLs, and the median of ROUNDS is printed with the ratio.
Client and server share the machine's cores, the same for both URLs. Run with `make bench`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import text

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
ROUNDS = 5
SECONDS = 3.0
TOKEN = "benchBadgeToken0123456789"  # noqa: S105 - a public badge token, not a secret
TARGET = 0.8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hammer(port: int, path: str, seconds: float, out) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    ok = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(request)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        ok += answer.startswith(b"HTTP/1.1 200")
    out.put(ok)


def _rate(port: int, path: str) -> float:
    out = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_hammer, args=(port, path, SECONDS, out))
        for _ in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS


def _seed(admin_engine) -> None:
    with admin_engine.begin() as conn:
        tenant = conn.execute(
            text(
                "INSERT INTO workspaces (slug, name, kind, created_at) "
                "VALUES ('bench-badge', 'Ferretería Benchmark S.L.', 'business', now()) "
                "RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO badges (tenant_id, token, state, reason, version, issued_at, "
                "changed_at) VALUES (:t, :token, 'active', '', 1, now(), now())"
            ),
            {"t": tenant, "token": TOKEN},
        )


def test_badge_svg_against_a_static_file_of_the_same_size(database_url, admin_engine, tmp_path):
    _seed(admin_engine)
    port = _free_port()
    env = {
        **os.environ,
        "AMPARO_DATABASE_URL": database_url,
        "AMPARO_REDIS_URL": REDIS_URL,
        "AMPARO_DOCUMENTS_DIR": str(tmp_path / "documents"),
        "AMPARO_BENCH_STATIC_DIR": str(tmp_path),
        "AMPARO_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--chdir",
            str(ROOT),
            "tests.perf.badge_wsgi:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                svg = urllib.request.urlopen(f"{base}/badge/{TOKEN}.svg").read()  # noqa: S310
                break
            except urllib.error.HTTPError as error:
                raise AssertionError((tmp_path / "gunicorn.log").read_text()) from error
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "gunicorn.log").read_text())
        assert b"Ferreter" in svg
        (tmp_path / "same-size.svg").write_bytes(svg)
        static = urllib.request.urlopen(f"{base}/bench-static/same-size.svg").read()  # noqa: S310
        assert len(static) == len(svg)
        badge_rates, static_rates = [], []
        _rate(port, f"/badge/{TOKEN}.svg")  # warm both workers
        for _ in range(ROUNDS):
            badge_rates.append(_rate(port, f"/badge/{TOKEN}.svg"))
            static_rates.append(_rate(port, "/bench-static/same-size.svg"))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    badge, static_rate = statistics.median(badge_rates), statistics.median(static_rates)
    ratio = badge / static_rate
    print(
        f"\nbadge SVG ({len(svg)} bytes): {badge:,.0f} req/s; static file of the same size: "
        f"{static_rate:,.0f} req/s; ratio {ratio:.2f} (target >= {TARGET}); rounds "
        f"{[round(r) for r in badge_rates]} vs {[round(r) for r in static_rates]}"
    )
    assert ratio >= TARGET
