"""Benchmark: one month of rent charges for 100,000 leases across 1,000 landlord workspaces.

The book is loaded set-based (INSERT … SELECT generate_series as the database owner), then
the real service runs the way the daily job does: `charges.generate_rent_charges` per
workspace, inside its tenant context (ORM scoping and row-level security on), one commit per
workspace. A second run must create nothing. Run with `make bench`; the figures go in the
README's Performance section.
"""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import text

WORKSPACES = 1_000
LEASES_PER_WORKSPACE = 100
LEASES = WORKSPACES * LEASES_PER_WORKSPACE
PERIOD = date(2025, 6, 1)
HISTORY_MONTHS = 12  # the book already holds a year of paid rent, as a live one does

# One property of 100 units per workspace, one renter per unit, one lease per unit. Every
# third lease bills community fees and every fifth utilities; every tenth unit is a shop
# (other use); the last unit of each workspace is let from 15 June, so 1 % of the leases are
# prorated, as in a real month. The twelve months before were charged and paid.
LOAD = [
    # Consistent by construction: skip the foreign-key triggers while loading (owner only).
    "SET LOCAL session_replication_role = replica",
    """
    INSERT INTO workspaces (slug, name, kind, created_at)
    SELECT 'bench-' || g, 'Bench ' || g, 'landlord', now()
    FROM generate_series(1, :workspaces) AS g
    """,
    """
    INSERT INTO properties (tenant_id, name, street, postal_code, city, province, created_at)
    SELECT id, 'Edificio', 'Calle Mayor 1', '28013', 'Madrid', 'Madrid', now()
    FROM workspaces WHERE slug LIKE 'bench-%'
    """,
    """
    INSERT INTO units (tenant_id, property_id, label, use, created_at)
    SELECT p.tenant_id, p.id, 'Piso ' || g, CASE WHEN g % 10 = 0 THEN 'other' ELSE 'housing' END,
           now()
    FROM properties AS p CROSS JOIN generate_series(1, :per_workspace) AS g
    """,
    """
    INSERT INTO parties (tenant_id, kind, name, country, language, notes, created_at)
    SELECT tenant_id, 'person', 'Inquilino ' || id, 'ES', 'es', '', now() FROM units
    """,
    """
    INSERT INTO leases (tenant_id, unit_id, use, start_date, billed_from, end_date, rent,
                        currency, due_day, payment_method, update_clause, status, created_at)
    SELECT tenant_id, id, use, starts, starts, starts + interval '5 years',
           450 + (id * 37) % 1100 + (id % 4) * 0.25, 'EUR',
           CASE WHEN id % 7 = 0 THEN 31 ELSE 1 + id % 10 END, 'cash', 'none', 'active', now()
    FROM (
        SELECT u.*, CASE WHEN u.label = 'Piso ' || :per_workspace THEN date '2025-06-15'
                         ELSE date '2022-01-01' + (u.id % 1000) END AS starts
        FROM units AS u
    ) AS u
    """,
    """
    INSERT INTO lease_parties (tenant_id, lease_id, party_id, role)
    SELECT l.tenant_id, l.id, p.id, 'renter'
    FROM leases AS l JOIN parties AS p
      ON p.tenant_id = l.tenant_id AND p.name = 'Inquilino ' || l.unit_id
    """,
    """
    INSERT INTO lease_extras (tenant_id, lease_id, kind, description, amount)
    SELECT tenant_id, id, 'community', 'Comunidad', 45.00 FROM leases WHERE id % 3 = 0
    UNION ALL
    SELECT tenant_id, id, 'utilities', 'Agua', 30.50 FROM leases WHERE id % 5 = 0
    """,
    """
    INSERT INTO charges (tenant_id, kind, lease_id, period_start, period_end, due_date,
                         description, amount, paid, currency, created_at)
    SELECT l.tenant_id, 'rent', l.id, m.first, m.last, m.first + (least(l.due_day, m.days) - 1),
           to_char(m.first, 'MM/YYYY'), l.rent + e.total, l.rent + e.total, 'EUR', now()
    FROM leases AS l
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(amount), 0) AS total FROM lease_extras WHERE lease_id = l.id
    ) AS e
    JOIN (
        SELECT g::date AS first, (g + interval '1 month - 1 day')::date AS last,
               extract(day FROM g + interval '1 month - 1 day')::integer AS days
        FROM generate_series(:period - interval '1 month' * :history, :period - interval '1 month',
                             interval '1 month') AS g
    ) AS m ON l.start_date <= m.first
    """,
    """
    INSERT INTO charge_lines (tenant_id, charge_id, kind, description, amount)
    SELECT c.tenant_id, c.id, 'rent', '', l.rent
    FROM charges AS c JOIN leases AS l ON l.id = c.lease_id
    UNION ALL
    SELECT c.tenant_id, c.id, e.kind, e.description, e.amount
    FROM charges AS c JOIN lease_extras AS e ON e.lease_id = c.lease_id
    """,
    "SET LOCAL session_replication_role = origin",
    "ANALYZE",
]

# Every lease has exactly one charge for the month, one line per item, and the lines add up
# to the charge; whole months charge the rent plus the extras.
CHECK = """
WITH month AS (
    SELECT c.id, c.lease_id, c.amount, l.rent, l.start_date,
           (SELECT count(*) FROM charge_lines AS cl WHERE cl.charge_id = c.id) AS lines,
           (SELECT sum(cl.amount) FROM charge_lines AS cl WHERE cl.charge_id = c.id) AS lined,
           (SELECT count(*) FROM lease_extras AS e WHERE e.lease_id = l.id) AS extras,
           (SELECT coalesce(sum(e.amount), 0) FROM lease_extras AS e WHERE e.lease_id = l.id)
               AS extra_amount
    FROM charges AS c JOIN leases AS l ON l.id = c.lease_id
    WHERE c.kind = 'rent' AND c.period_start = :period
)
SELECT
    (SELECT count(*) FROM leases) AS leases,
    (SELECT count(*) FROM month) AS charges,
    (SELECT count(DISTINCT lease_id) FROM month) AS leases_charged,
    (SELECT count(*) FROM month WHERE lines <> extras + 1) AS wrong_lines,
    (SELECT count(*) FROM month WHERE lined <> amount) AS lines_not_adding_up,
    (SELECT count(*) FROM month WHERE start_date <= :period AND amount <> rent + extra_amount)
        AS wrong_whole_months,
    (SELECT count(*) FROM month WHERE start_date > :period AND amount >= rent + extra_amount)
        AS unprorated
"""


def _load(admin_engine) -> list[int]:
    params = {
        "workspaces": WORKSPACES,
        "per_workspace": LEASES_PER_WORKSPACE,
        "period": PERIOD,
        "history": HISTORY_MONTHS,
    }
    with admin_engine.begin() as conn:
        for statement in LOAD:
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            conn.execute(text(statement), used)
        return list(
            conn.scalars(text("SELECT id FROM workspaces WHERE slug LIKE 'bench-%' ORDER BY id"))
        )


def _generate(app, workspace_ids: list[int]) -> tuple[int, float]:
    """The daily job's work for one month: per workspace, in its tenant context."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals import charges

    created = 0
    with app.app_context():
        started = time.perf_counter()
        for workspace_id in workspace_ids:
            with tenant_context(workspace_id):
                created += charges.generate_rent_charges(PERIOD)
                db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return created, elapsed


def test_one_month_of_charges_for_100000_leases(app, admin_engine):

    started = time.perf_counter()
    workspace_ids = _load(admin_engine)
    loaded = time.perf_counter() - started
    assert len(workspace_ids) == WORKSPACES

    created, first = _generate(app, workspace_ids)
    again, second = _generate(app, workspace_ids)

    print(
        f"\nrent charges, {PERIOD:%B %Y}: {LEASES:,} leases in {WORKSPACES:,} workspaces, "
        f"{HISTORY_MONTHS} months of history (book loaded in {loaded:.1f} s)\n"
        f"  first run:  {created:,} charges in {first:.1f} s = {LEASES / first:,.0f} leases/s\n"
        f"  second run: {again:,} charges in {second:.1f} s = {LEASES / second:,.0f} leases/s"
    )
    with admin_engine.connect() as conn:
        check = dict(conn.execute(text(CHECK), {"period": PERIOD}).mappings().one())
    assert check == {
        "leases": LEASES,
        "charges": LEASES,
        "leases_charged": LEASES,
        "wrong_lines": 0,
        "lines_not_adding_up": 0,
        "wrong_whole_months": 0,
        "unprorated": 0,
    }
    assert (created, again) == (LEASES, 0)
