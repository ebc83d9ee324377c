"""Benchmark: the business dashboard page of one workspace holding 100,000 invoices.

The invoices are loaded set-based (INSERT … SELECT generate_series as the database owner): two
years of invoicing to 2,000 clients (one in ten a consumer), most paid, some partly paid,
some disputed, credited or written off. Then the owner's browser asks for the dashboard page
several times (test client GET, the whole request: workspace, membership, the dashboard's
queries, the template); the median time and the number of SQL statements per page are
printed. Run with `make bench`; the figures go in the README's Performance section.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from sqlalchemy import event, text

from tests.conftest import login

INVOICES = 100_000
CLIENTS = 2_000
TODAY = date(2026, 3, 15)
RUNS = 7

LOAD = [
    "SET LOCAL session_replication_role = replica",
    """
    INSERT INTO interest_rates (kind, valid_from, valid_to, rate, source)
    VALUES ('late_payment', date '2026-01-01', date '2026-06-30', 10.150, 'bench')
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO parties (tenant_id, kind, name, tax_id_type, is_business, country, language,
                         notes, created_at)
    SELECT :tenant, CASE WHEN g % 10 = 0 THEN 'person' ELSE 'company' END,
           'Cliente ' || g, CASE WHEN g % 10 = 0 THEN 'dni' ELSE 'cif' END, g % 10 <> 0,
           'ES', 'es', '', now()
    FROM generate_series(1, :clients) AS g
    """,
    # Issued over the two years before today, due 30 days later. Seven in ten paid, one in ten
    # paid by half; one in fifty credited by 10 %; one in 97 disputed; one in 211 written off.
    """
    INSERT INTO charges (tenant_id, kind, party_id, due_date, description, amount, paid,
                         credited, currency, created_at, number, issue_date, base, vat,
                         disputed_at, dispute_reason, written_off_at)
    SELECT :tenant, 'invoice', p.first + g % :clients, i.issued + 30, 'Factura', i.amount,
           CASE WHEN g % 10 < 7 THEN i.amount - i.credited
                WHEN g % 10 = 7 THEN round(i.amount / 2, 2) ELSE 0 END,
           i.credited, 'EUR', now(), 'F-' || lpad(g::text, 6, '0'), i.issued,
           round(i.amount / 1.21, 2), i.amount - round(i.amount / 1.21, 2),
           CASE WHEN g % 97 = 0 THEN now() END, '',
           CASE WHEN g % 211 = 0 AND g % 10 > 7 THEN now() END
    FROM generate_series(1, :invoices) AS g
    CROSS JOIN (SELECT min(id) AS first FROM parties WHERE tenant_id = :tenant) AS p
    CROSS JOIN LATERAL (
        SELECT :today - (g % 730) AS issued, (100 + (g * 37) % 9000)::numeric(12, 2) AS amount,
               CASE WHEN g % 50 = 0 THEN round((100 + (g * 37) % 9000) * 0.1, 2) ELSE 0 END
                   AS credited
    ) AS i
    """,
    "SET LOCAL session_replication_role = origin",
    "ANALYZE",
]


def test_dashboard_of_100000_invoices(app, admin_engine, create_workspace, monkeypatch):
    import web.workspaces.views as views
    from tenants.db import SessionFactory

    monkeypatch.setattr(views, "today_in_spain", lambda: TODAY)
    workspace_id, slug = create_workspace(name="Mayorista Bench", kind="business")
    started = time.perf_counter()
    params = {"tenant": workspace_id, "clients": CLIENTS, "invoices": INVOICES, "today": TODAY}
    with admin_engine.begin() as conn:
        for statement in LOAD:
            conn.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
        loaded = conn.scalar(
            text("SELECT count(*) FROM charges WHERE tenant_id = :t AND kind = 'invoice'"),
            {"t": workspace_id},
        )
    load_time = time.perf_counter() - started
    assert loaded == INVOICES

    client = app.test_client()
    login(client)
    engine = SessionFactory.kw["bind"]
    statements: list[str] = []

    def count_it(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    timings = []
    for _run in range(RUNS):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count_it)
        try:
            began = time.perf_counter()
            page = client.get(f"/w/{slug}/")
            timings.append(time.perf_counter() - began)
        finally:
            event.remove(engine, "before_cursor_execute", count_it)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="card-total-owed"' in html and 'id="aging-chart"' in html

    with app.app_context():
        from tenants.db import tenant_context
        from tenants.services.receivables.business_dashboard import business_dashboard

        with tenant_context(workspace_id):
            with_service = []
            for _ in range(3):
                began = time.perf_counter()
                book = business_dashboard(TODAY)
                with_service.append(time.perf_counter() - began)
    median = statistics.median(timings)
    print(
        f"\nbusiness dashboard: {INVOICES:,} invoices of {CLIENTS:,} clients in one workspace "
        f"(loaded in {load_time:.1f} s)\n"
        f"  page GET: median {median * 1000:.0f} ms over {RUNS} runs "
        f"(min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms), "
        f"{len(statements)} SQL statements per page\n"
        f"  service alone: median {statistics.median(with_service) * 1000:.0f} ms; "
        f"{book.open_invoices:,} open invoices, owed {book.total_owed:,} EUR, DSO {book.dso} days"
    )
    assert book.has_invoices and 0 < book.open_invoices < INVOICES
    assert len(statements) <= 20
    assert median < 5  # seconds: a generous ceiling, the figure printed above is what counts
