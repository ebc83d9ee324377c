"""The rates kept as data (docs/law.md#rates-as-data): the seeded history of the legal interest
rate and of the Ley 3/2004 half-year rates has no gap from 2016 to today, every verified rate
names its BOE resolution, and the seed can run again over existing rows without losing them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

FIRST_DAY = date(2016, 1, 1)


def _rates(admin_engine, kind: str) -> list[dict]:
    with admin_engine.connect() as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(
                text("SELECT * FROM interest_rates WHERE kind = :k ORDER BY valid_from"),
                {"k": kind},
            )
        ]


def _reseed(admin_engine) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from tests.conftest import _migration

    with admin_engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        _migration("0011")._seed_rates()


def test_both_kinds_have_a_rate_for_every_day_from_2016_to_today(app):
    from tenants.clock import today_in_spain
    from tenants.services import rates

    with app.app_context():
        for kind in ("legal", "late_payment"):
            assert rates.gaps(kind, FIRST_DAY, today_in_spain()) == [], kind


def test_ley_3_2004_has_one_row_per_half_year_and_the_legal_rate_one_per_year(admin_engine):
    late = _rates(admin_engine, "late_payment")
    starts = [r["valid_from"] for r in late if r["valid_from"] >= FIRST_DAY]
    assert starts == [date(y, m, 1) for y in range(2016, 2027) for m in (1, 7)]
    legal = _rates(admin_engine, "legal")
    assert [r["valid_from"] for r in legal] == [date(y, 1, 1) for y in range(2016, 2027)]
    by_start = {r["valid_from"]: r["rate"] for r in late}
    assert by_start[date(2016, 1, 1)] == Decimal("8.050")
    assert by_start[date(2023, 7, 1)] == Decimal("12.000")
    assert by_start[date(2024, 1, 1)] == Decimal("12.500")
    assert by_start[date(2025, 7, 1)] == Decimal("10.150")


def test_every_verified_rate_names_its_boe_resolution(admin_engine):
    for kind in ("legal", "late_payment"):
        for row in _rates(admin_engine, kind):
            if row["verified"]:
                assert row["boe_reference"].startswith("BOE-A-"), row
                assert row["verified_at"] is not None and row["verified_by"], row
            assert "BOE, Ley 3/2004" not in row["source"]  # the resolution, not the law


def test_the_rates_of_2026_are_seeded_unverified(admin_engine):
    late = {r["valid_from"]: r for r in _rates(admin_engine, "late_payment")}
    h2 = late[date(2026, 7, 1)]
    assert (h2["rate"], h2["verified"]) == (Decimal("10.150"), False)
    legal = {r["valid_from"]: r for r in _rates(admin_engine, "legal")}
    assert legal[date(2026, 1, 1)]["verified"] is False
    # The one resolution whose text was read states the rate: verified, with its identifier.
    h1_2020 = late[date(2020, 1, 1)]
    assert (h1_2020["boe_reference"], h1_2020["verified"]) == ("BOE-A-2019-18736", True)


def test_the_seed_runs_again_over_existing_rows_and_keeps_a_rate_changed_on_purpose(
    admin_engine,
):
    # As a database upgraded from 0010 holds it: a rate changed by SQL, nothing verified yet.
    with admin_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE interest_rates SET rate = 8.100, source = 'corregido a mano',"
                " boe_reference = '', verified = false, verified_at = NULL, verified_by = ''"
                " WHERE kind = 'late_payment' AND valid_from = '2020-01-01'"
            )
        )
    before = len(_rates(admin_engine, "late_payment")) + len(_rates(admin_engine, "legal"))
    _reseed(admin_engine)
    after = len(_rates(admin_engine, "late_payment")) + len(_rates(admin_engine, "legal"))
    assert after == before
    row = {r["valid_from"]: r for r in _rates(admin_engine, "late_payment")}[date(2020, 1, 1)]
    assert (row["rate"], row["source"]) == (Decimal("8.100"), "corregido a mano")
    assert row["verified"] is False  # not what the BOE says: the admin decides
