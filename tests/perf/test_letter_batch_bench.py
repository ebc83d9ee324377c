"""Benchmark: a month-end batch of 2,000 claim letters, with one and with two workers.

2,000 clients of one business each owe an invoice 12 days late. One sweep records the 2,000
first claim letters (the reminders are skipped: the debt is already past them) and, after its
commit, enqueues 2,000 render jobs. Real `flask worker --burst` processes then render each PDF/A,
archive it, and email it with the PDF attached to a real SMTP server (aiosmtpd), each letter
once. Timed from the commit to the last worker's exit; run with one worker, then, on a reset
book, with two. Run with `make bench` (AMPARO_BENCH_LETTERS lowers the count for a quick look);
the figures go in the README's Performance section.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as clock

from sqlalchemy import text

from tests.conftest import ROOT, settings_env

LETTERS = int(os.environ.get("AMPARO_BENCH_LETTERS", "2000"))
DUE = date(2026, 10, 19)
SWEEP_AT = datetime.combine(date(2026, 10, 31), clock(10, 0), tzinfo=UTC)  # month end, 12 days late

SETUP = [
    "SET LOCAL session_replication_role = replica",
    """
    INSERT INTO workspaces (slug, name, kind, created_at, legal_name, tax_id, street, postal_code,
                            city, province, contact_email, phone, iban, is_protected)
    VALUES ('bench-batch', 'Bench Batch S.L.', 'business', now(), 'Bench Batch S.L.',
            'B12345674', 'Calle Mayor 1', '28013', 'Madrid', 'Madrid', 'cobros@bench.example', '',
            'ES9121000418450200051332', false)
    """,
    """
    INSERT INTO parties (tenant_id, kind, name, email, street, postal_code, city, country,
                         language, is_business, notes, created_at)
    SELECT w.id, 'company', 'Cliente ' || g || ' S.L.', 'cliente' || g || '@example.com',
           'Calle ' || g, '28001', 'Madrid', 'ES', CASE WHEN g % 10 = 0 THEN 'en' ELSE 'es' END,
           true, '', now()
    FROM workspaces AS w CROSS JOIN generate_series(1, CAST(:letters AS integer)) AS g
    WHERE w.slug = 'bench-batch'
    """,
    """
    INSERT INTO charges (tenant_id, kind, party_id, due_date, issue_date, description, number,
                         amount, paid, credited, currency, created_at, dispute_reason,
                         chase_pause_reason)
    SELECT p.tenant_id, 'invoice', p.id, :due, :due - 30, 'Suministros', 'F-' || p.id,
           1210.00 + p.id % 500, 0, 0, 'EUR', now(), '', ''
    FROM parties AS p JOIN workspaces AS w ON w.id = p.tenant_id WHERE w.slug = 'bench-batch'
    """,
    "SET LOCAL session_replication_role = origin",
]

RESET = [
    "UPDATE charges SET case_id = NULL",
    "DELETE FROM case_events",
    "DELETE FROM letters",
    "DELETE FROM cases",
    "DELETE FROM emails",
]


def _run(admin_engine, statements, **params) -> None:
    with admin_engine.begin() as conn:
        for statement in statements:
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            conn.execute(text(statement), used)


def _sweep(app, workspace_id: int) -> int:
    """Record the batch; its render jobs reach Redis when this commits."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.collections import sweep

    with app.app_context(), tenant_context(workspace_id):
        result = sweep.sweep(SWEEP_AT)
        db.session.commit()
        db.session.remove()
    return result.letters


def _work(settings, workers: int) -> float:
    started = time.perf_counter()
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "flask", "worker", "--burst"],
            cwd=ROOT,
            env=settings_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=3600)
        assert process.returncode == 0, err[-4000:]
    return time.perf_counter() - started


def _outcome(admin_engine) -> dict:
    with admin_engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE status = 'sent') AS sent,"
                    " count(DISTINCT pdf_sha256) AS pdfs,"
                    " (SELECT count(*) FROM emails WHERE status = 'sent') AS emails"
                    " FROM letters"
                )
            )
            .mappings()
            .one()
        )


def test_month_end_batch_of_letters(app, settings, admin_engine, inbox):
    _run(admin_engine, SETUP, letters=LETTERS, due=DUE)
    with admin_engine.connect() as conn:
        workspace_id = conn.scalar(text("SELECT id FROM workspaces WHERE slug = 'bench-batch'"))

    timings = {}
    for workers in (1, 2):
        _run(admin_engine, RESET)
        with inbox.lock:
            inbox.messages.clear()
        assert _sweep(app, workspace_id) == LETTERS
        timings[workers] = _work(settings, workers)
        assert _outcome(admin_engine) == {"sent": LETTERS, "pdfs": LETTERS, "emails": LETTERS}
        assert len(inbox.messages) == LETTERS  # each letter emailed once
        attached = inbox.messages[0].get_payload()[-1]
        assert attached.get_content_type() == "application/pdf"

    print(f"\nmonth-end batch: {LETTERS:,} claim letters rendered (PDF/A), archived and emailed")
    for workers, seconds in timings.items():
        print(
            f"  {workers} worker{'s' if workers > 1 else ''}: {seconds:,.0f} s = "
            f"{LETTERS / seconds:.1f} letters/s ({seconds / LETTERS * 1000:.0f} ms per letter)"
        )
