"""interest_rates: BOE reference of each rate, and whether the platform admin verified it;
rent_index_values: verified too; the complete history of legal and Ley 3/2004 rates from 2016

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:45:00.000000

A rate is verified once someone read it in the BOE resolution (or the Ley de Presupuestos)
that publishes it. An unverified rate never reaches a debtor as fact: a letter whose interest
uses one waits for approval (docs/law.md#rates-as-data). The seed below marks verified only
what was checked against the text of the BOE itself; every other value is the best known one
(ECB main refinancing rate + 8 points; the yearly Ley de Presupuestos), to be verified by the
platform admin at /admin/rates.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import tenants.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHECKED = "migración 0011: contrastado con el texto del BOE"
TO_CHECK = "por verificar en el BOE"


def _half(year: int, half: int) -> tuple[date, date]:
    if half == 1:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def _late_payment() -> list[dict]:
    """Ley 3/2004 art. 7: the ECB main refinancing rate before the half-year + 8 points, one
    resolution of the Secretaría General del Tesoro per half-year."""
    known = {
        (2016, 1): "8.050",
        (2023, 1): "10.500",
        (2023, 2): "12.000",
        (2024, 1): "12.500",
        (2024, 2): "12.250",
        (2025, 1): "11.150",
        (2025, 2): "10.150",
        (2026, 1): "10.150",
        (2026, 2): "10.150",
    }
    # (BOE identifier, whether its text, read, states the rate)
    boe = {
        (2020, 1): ("BOE-A-2019-18736", True),
        (2024, 1): ("BOE-A-2023-26709", False),
        (2025, 2): ("BOE-A-2025-13217", False),
        (2026, 1): ("BOE-A-2025-27201", False),
    }
    rows = []
    for year in range(2016, 2027):
        for half in (1, 2):
            start, end = _half(year, half)
            reference, checked = boe.get((year, half), ("", False))
            label = f"Resolución SGTFI, Ley 3/2004 art. 7, {half}S {year}"
            if checked:
                source = label
            elif reference:
                source = f"{label} (tipo {TO_CHECK})"
            else:
                source = f"{label} (BOE-A y tipo {TO_CHECK})"
            rows.append(
                {
                    "kind": "late_payment",
                    "valid_from": start,
                    "valid_to": end,
                    "rate": Decimal(known.get((year, half), "8.000")),
                    "source": source,
                    "boe_reference": reference,
                    "verified": checked,
                }
            )
    return rows


def _legal() -> list[dict]:
    """Interés legal del dinero: set for each year by the Ley de Presupuestos Generales (or
    the one extended when none was passed)."""
    laws = {
        2016: "LPGE 2016",
        2017: "LPGE 2017",
        2018: "LPGE 2018",
        2019: "LPGE 2018 prorrogada",
        2020: "LPGE 2018 prorrogada",
        2021: "LPGE 2021",
        2022: "LPGE 2022",
        2023: "LPGE 2023",
        2024: "LPGE 2023 prorrogada",
        2025: "LPGE 2023 prorrogada",
        2026: "LPGE 2023 prorrogada",
    }
    return [
        {
            "kind": "legal",
            "valid_from": date(year, 1, 1),
            "valid_to": date(year, 12, 31),
            "rate": Decimal("3.000" if year < 2023 else "3.250"),
            "source": f"{law} (BOE-A y tipo {TO_CHECK})",
            "boe_reference": "",
            "verified": False,
        }
        for year, law in laws.items()
    ]


def seed_rows() -> list[dict]:
    return _legal() + _late_payment()


def _seed_rates() -> None:
    """Insert the missing periods and complete the existing rows. An existing row keeps its
    rate: where it differs from the seed, it keeps its source too and stays unverified (someone
    changed it on purpose; the admin decides). Safe to run again (tests/conftest.py does)."""
    now = datetime.now(UTC)
    statement = sa.text(
        "INSERT INTO interest_rates (kind, valid_from, valid_to, rate, source, boe_reference,"
        " verified, verified_at, verified_by)"
        " VALUES (:kind, :valid_from, :valid_to, :rate, :source, :boe_reference, :verified,"
        " :verified_at, :verified_by)"
        " ON CONFLICT (kind, valid_from) DO UPDATE SET"
        " valid_to = EXCLUDED.valid_to,"
        " boe_reference = CASE WHEN interest_rates.boe_reference = ''"
        "   THEN EXCLUDED.boe_reference ELSE interest_rates.boe_reference END,"
        " source = CASE WHEN interest_rates.rate = EXCLUDED.rate"
        "   THEN EXCLUDED.source ELSE interest_rates.source END,"
        " verified = interest_rates.verified"
        "   OR (EXCLUDED.verified AND interest_rates.rate = EXCLUDED.rate),"
        " verified_at = CASE WHEN interest_rates.verified THEN interest_rates.verified_at"
        "   WHEN EXCLUDED.verified AND interest_rates.rate = EXCLUDED.rate"
        "   THEN EXCLUDED.verified_at END,"
        " verified_by = CASE WHEN interest_rates.verified THEN interest_rates.verified_by"
        "   WHEN EXCLUDED.verified AND interest_rates.rate = EXCLUDED.rate"
        "   THEN EXCLUDED.verified_by ELSE '' END"
    ).bindparams(sa.bindparam("verified_at", type_=tenants.db.UTCDateTime(timezone=True)))
    for row in seed_rows():
        op.execute(
            statement.bindparams(
                **row,
                verified_at=now if row["verified"] else None,
                verified_by=CHECKED if row["verified"] else "",
            )
        )


def upgrade(app_role: str = "") -> None:
    op.add_column(
        "interest_rates",
        sa.Column("boe_reference", sa.String(length=40), server_default="", nullable=False),
    )
    for table in ("interest_rates", "rent_index_values"):
        op.add_column(
            table, sa.Column("verified", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        op.add_column(
            table,
            sa.Column("verified_at", tenants.db.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column(
            table,
            sa.Column("verified_by", sa.String(length=254), server_default="", nullable=False),
        )
    _seed_rates()


def downgrade(app_role: str = "") -> None:
    # The rows added for 2016-2023 stay: the code before this revision reads them as it reads
    # the others.
    for table in ("rent_index_values", "interest_rates"):
        for column in ("verified_by", "verified_at", "verified"):
            op.drop_column(table, column)
    op.drop_column("interest_rates", "boe_reference")
