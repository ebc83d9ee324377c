"""A complete letter context with made-up data, for tests, benchmarks and warming up workers.

It follows the contract letters/context.py builds from the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

IBAN = "ES91 2100 0418 4502 0005 1332"


def sample_context(kind: str = "formal_demand", **overrides) -> dict:
    """A landlord's case against a renter with two unpaid rents, business-regime interest:
    what the tests, the pipeline benchmark and the workers' warm-up render."""
    debtor = {
        "name": "Lucía Fernández Gómez",
        "nif": "12345678Z",
        "address_lines": ["Calle de la Luna 3, 2º B", "28004 Madrid"],
    }
    context = {
        "kind": kind,
        "date": dt.date(2026, 11, 23),
        "place": "Madrid",
        "reference": "AMP-12-3",
        "currency": "EUR",
        "creditor": {
            "name": "Inmuebles Ruiz SL",
            "nif": "B12345678",
            "address_lines": ["Calle Mayor 1", "28013 Madrid"],
            "email": "cobros@inmueblesruiz.example",
            "phone": "+34 910 000 000",
            "logo": None,
            "protected": False,
            "verify_url": None,
        },
        "recipient": dict(debtor),
        "is_copy": False,
        "debtor": debtor,
        "charges": [
            {
                "description": "Renta septiembre 2026",
                "number": "R-2026-09",
                "due_date": dt.date(2026, 9, 5),
                "amount": Decimal("850.00"),
                "outstanding": Decimal("850.00"),
                "days_late": 79,
            },
            {
                "description": "Suministro agua 3T",
                "number": None,
                "due_date": dt.date(2026, 10, 15),
                "amount": Decimal("1500.00"),
                "outstanding": Decimal("1234.56"),
                "days_late": 39,
            },
        ],
        "principal": Decimal("2084.56"),
        "interest": {
            "regime": "business",
            "from_date": None,
            "rows": [
                {
                    "description": "Renta septiembre 2026",
                    "first_day": dt.date(2026, 9, 6),
                    "last_day": dt.date(2026, 11, 23),
                    "days": 79,
                    "principal": Decimal("850.00"),
                    "rate": Decimal("10.15"),
                    "amount": Decimal("18.67"),
                },
                {
                    "description": "Suministro agua 3T",
                    "first_day": dt.date(2026, 10, 16),
                    "last_day": dt.date(2026, 11, 23),
                    "days": 39,
                    "principal": Decimal("1234.56"),
                    "rate": Decimal("10.15"),
                    "amount": Decimal("13.39"),
                },
            ],
            "total": Decimal("32.06"),
            "missing_rates": False,
        },
        "compensation": Decimal("80.00"),
        "compensation_count": 2,
        "total": Decimal("2196.62"),
        "payment": {
            "iban": IBAN,
            "beneficiary": "Inmuebles Ruiz SL",
            "remittance": "AMP-12-3",
            "deadline": dt.date(2026, 12, 4),
            "business_days": 8,
            "portal_url": "https://amparo.example/p/tok3n",
        },
        "next_step": "certified_demand",
        "credit_file": None,
        "lease": {"address": "Calle de la Luna 3, 2º B, 28004 Madrid", "reference": "L-7"},
        "rent_update": None,
        "settlement": None,
    }
    if kind in ("reminder", "claim_1", "claim_2"):
        context.update(
            interest=None, compensation=Decimal("0"), compensation_count=0, total=Decimal("2084.56")
        )
    if kind == "rent_update":
        context["rent_update"] = {
            "old_rent": Decimal("850.00"),
            "new_rent": Decimal("868.70"),
            "effective_on": dt.date(2027, 1, 1),
            "index": "IRAV",
            "index_month": dt.date(2026, 10, 1),
            "pct": Decimal("2.20"),
        }
    if kind == "deposit_settlement":
        context["settlement"] = {
            "deposit": Decimal("1700.00"),
            "deductions": [
                {"description": "Reparación de la puerta del baño", "amount": Decimal("120.50")},
                {"description": "Renta octubre 2026 (días 1-15)", "amount": Decimal("425.00")},
            ],
            "interest": Decimal("0"),
            "to_return": Decimal("1154.50"),
            "keys_returned_on": dt.date(2026, 11, 15),
            "deadline": dt.date(2026, 12, 15),
        }
    context.update(overrides)
    return context
