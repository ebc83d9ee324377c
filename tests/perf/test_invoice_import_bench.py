"""Benchmark: 100,000 invoices imported from one CSV file through the real job and a real burst
worker, in a business workspace (ORM scoping and row-level security on). Then the same file
again, with one total changed: everything is updated, nothing duplicated. Run with
`make bench`; the figures go in the README's Performance section."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from sqlalchemy import text

from tests.conftest import login
from tests.receivables.test_invoice_import import _start, _upload, invoice_csv

ROWS = 100_000
CLIENTS = 5_000


def _run(admin_engine, workspace_id: int, run_id: int):
    with admin_engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT status, done, total, message FROM job_runs WHERE id = :r AND tenant_id = :t"
            ),
            {"r": run_id, "t": workspace_id},
        ).one()


def _import(client, slug, content, run_worker, admin_engine, workspace_id, label):
    response = _upload(client, slug, content)
    assert response.status_code == 200
    started = _start(client, slug, response.get_data(as_text=True))
    assert started.status_code == 302
    run_id = int(started.location.rsplit("/", 1)[1])
    begin = time.perf_counter()
    run_worker(timeout=600)
    seconds = time.perf_counter() - begin
    run = _run(admin_engine, workspace_id, run_id)
    assert (run.status, run.done, run.total) == ("done", ROWS, ROWS), run.message[:2000]
    summary = json.loads(run.message)
    print(
        f"\n{label}: {ROWS} rows; the job {summary['seconds']:.1f} s = "
        f"{ROWS / summary['seconds']:.0f} rows/s; worker start to finish {seconds:.1f} s = "
        f"{ROWS / seconds:.0f} rows/s; {summary}"
    )
    return summary


def test_import_100k_invoices(app, create_workspace, run_worker, admin_engine):
    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    client = app.test_client()
    login(client)

    first = _import(
        client,
        slug,
        invoice_csv(ROWS, clients=CLIENTS),
        run_worker,
        admin_engine,
        workspace_id,
        "first import",
    )
    assert (first["created"], first["clients_created"]) == (ROWS, CLIENTS)

    again = _import(
        client,
        slug,
        invoice_csv(ROWS, clients=CLIENTS, changed={5: Decimal("12.34")}),
        run_worker,
        admin_engine,
        workspace_id,
        "same file again, one total changed",
    )
    assert (again["created"], again["updated"], again["clients_created"]) == (0, ROWS, 0)
    with admin_engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM charges WHERE tenant_id = :t),"
                " (SELECT count(*) FROM charge_lines WHERE tenant_id = :t),"
                " (SELECT amount FROM charges WHERE tenant_id = :t AND number = 'F2025-000005')"
            ),
            {"t": workspace_id},
        ).one()
    assert tuple(counts) == (ROWS, ROWS, Decimal("12.34"))
