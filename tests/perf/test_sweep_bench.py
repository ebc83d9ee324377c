"""Benchmark: the collections sweep costs what is due, not the size of the book.

The same 1,000 debtors, each with one overdue invoice, sit inside a book of 10,000 charges and
then of 1,000,000 charges (the rest paid, as in a live book). Two sweeps are timed each time,
with the real service in its tenant context (ORM scoping and row-level security on):

- intake: the day the invoices become 4 days late, 1,000 cases open and 1,000 reminders are
  recorded;
- step: a week later, the same 1,000 cases are due for their first claim letter.

Each timed sweep is rolled back and run three times (median). Rendering and sending are jobs,
measured by tests/perf/test_letter_batch_bench.py. Run with `make bench`; the figures go in the
README's Performance section. The ratio of the 1,000,000 to the 10,000 run must stay <= 1.5.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime
from datetime import time as clock

from sqlalchemy import text

DEBTORS = 1_000
SMALL, LARGE = 10_000, 1_000_000
DUE = date(2026, 5, 4)
INTAKE_DAY = date(2026, 5, 8)  # 4 days late: the reminder
STEP_DAY = date(2026, 5, 15)  # 11 days late: the first claim letter
RUNS = 3

SETUP = [
    "SET LOCAL session_replication_role = replica",
    """
    INSERT INTO workspaces (slug, name, kind, created_at, legal_name, tax_id, street, postal_code,
                            city, province, contact_email, phone, iban, is_protected)
    VALUES ('bench-sweep', 'Bench Sweep S.L.', 'business', now(), '', '', '', '', 'Madrid', '',
            '', '', 'ES9121000418450200051332', false)
    """,
    """
    INSERT INTO parties (tenant_id, kind, name, email, country, language, is_business, notes,
                         created_at)
    SELECT w.id, 'company', 'Cliente ' || g, 'cliente' || g || '@example.com', 'ES', 'es', true,
           '', now()
    FROM workspaces AS w CROSS JOIN generate_series(1, CAST(:debtors AS integer) + 100) AS g
    WHERE w.slug = 'bench-sweep'
    """,
    # One overdue invoice for each of the first 1,000 clients.
    """
    INSERT INTO charges (tenant_id, kind, party_id, due_date, issue_date, description, number,
                         amount, paid, credited, currency, created_at, dispute_reason,
                         chase_pause_reason)
    SELECT p.tenant_id, 'invoice', p.id, :due, :due - 30, 'Suministros', 'V-' || p.id,
           1210.00, 0, 0, 'EUR', now(), '', ''
    FROM parties AS p JOIN workspaces AS w ON w.id = p.tenant_id
    WHERE w.slug = 'bench-sweep'
    ORDER BY p.id LIMIT :debtors
    """,
    "SET LOCAL session_replication_role = origin",
]

# Paid invoices of the other 100 clients, numbered from :first to :last.
FILLER = [
    "SET LOCAL session_replication_role = replica",
    """
    INSERT INTO charges (tenant_id, kind, party_id, due_date, issue_date, description, number,
                         amount, paid, credited, currency, created_at, dispute_reason,
                         chase_pause_reason)
    SELECT w.id, 'invoice', f.first_party + g % 100, :due - (g % 700), :due - (g % 700) - 30,
           'Suministros', 'P-' || g, 100 + g % 900, 100 + g % 900, 0, 'EUR', now(), '', ''
    FROM workspaces AS w
    CROSS JOIN (SELECT min(id) + :debtors AS first_party FROM parties) AS f
    CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
    WHERE w.slug = 'bench-sweep'
    """,
    "SET LOCAL session_replication_role = origin",
]

RESET = [
    "UPDATE charges SET case_id = NULL WHERE case_id IS NOT NULL",
    "DELETE FROM case_events",
    "DELETE FROM letters",
    "DELETE FROM cases",
]


def _run(admin_engine, statements, **params) -> None:
    with admin_engine.begin() as conn:
        for statement in statements:
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            conn.execute(text(statement), used)


def _analyze(admin_engine) -> None:
    with admin_engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def _noon(day: date) -> datetime:
    return datetime.combine(day, clock(12, 0), tzinfo=UTC)


def _sweep(app, workspace_id: int, day: date, *, keep: bool) -> tuple[float, dict]:
    from tenants import db, outbox
    from tenants.db import tenant_context
    from tenants.services.collections import sweep

    with app.app_context(), tenant_context(workspace_id):
        started = time.perf_counter()
        result = sweep.sweep(_noon(day))
        db.session.flush()
        elapsed = time.perf_counter() - started
        # Rendering is not measured here: drop the render jobs the sweep asked for.
        db.session.info.pop(outbox.PENDING, None)
        if keep:
            db.session.commit()
        else:
            db.session.rollback()
        db.session.remove()
    return elapsed, result.as_dict()


def _measure(app, admin_engine, workspace_id: int) -> dict:
    intake = []
    for _ in range(RUNS):
        elapsed, result = _sweep(app, workspace_id, INTAKE_DAY, keep=False)
        assert (result["opened"], result["letters"]) == (DEBTORS, DEBTORS)
        intake.append(elapsed)
    _sweep(app, workspace_id, INTAKE_DAY, keep=True)
    step = []
    for _ in range(RUNS):
        elapsed, result = _sweep(app, workspace_id, STEP_DAY, keep=False)
        assert (result["opened"], result["stepped"], result["letters"]) == (0, DEBTORS, DEBTORS)
        step.append(elapsed)
    _run(admin_engine, RESET)
    return {"intake": statistics.median(intake), "step": statistics.median(step)}


def test_sweep_cost_follows_due_cases_not_the_book(app, admin_engine):
    _run(admin_engine, SETUP, debtors=DEBTORS, due=DUE)
    with admin_engine.connect() as conn:
        workspace_id = conn.scalar(text("SELECT id FROM workspaces WHERE slug = 'bench-sweep'"))
    _run(admin_engine, FILLER, debtors=DEBTORS, due=DUE, first=1, last=SMALL - DEBTORS)
    _analyze(admin_engine)
    small = _measure(app, admin_engine, workspace_id)

    started = time.perf_counter()
    _run(
        admin_engine,
        FILLER,
        debtors=DEBTORS,
        due=DUE,
        first=SMALL - DEBTORS + 1,
        last=LARGE - DEBTORS,
    )
    _analyze(admin_engine)
    loaded = time.perf_counter() - started
    with admin_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM charges")) == LARGE
    large = _measure(app, admin_engine, workspace_id)

    ratios = {k: large[k] / small[k] for k in small}
    print(
        f"\ncollections sweep, {DEBTORS:,} due cases (median of {RUNS}; 990,000 charges loaded "
        f"in {loaded:.0f} s)\n"
        f"  intake (cases opened, reminders recorded): {small['intake']:.2f} s in "
        f"{SMALL:,} charges, {large['intake']:.2f} s in {LARGE:,} (x{ratios['intake']:.2f})\n"
        f"  step (claim letters recorded):             {small['step']:.2f} s in "
        f"{SMALL:,} charges, {large['step']:.2f} s in {LARGE:,} (x{ratios['step']:.2f})"
    )
    assert ratios["intake"] <= 1.5
    assert ratios["step"] <= 1.5
