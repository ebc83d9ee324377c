"""Yearly rent updates (LAU art. 18): no clause, no update; with IPC or IRAV the new rent is
rent × (1 + value / 100), rounded to the cent half up, using the index value of the month two
months before the anniversary (the latest INE has published by then); a fixed % clause uses
its percentage. The landlord confirms or dismisses each proposal.

Seeded values (docs/law.md#rates-as-data): IRAV 2025 Jan 2.19, Feb 2.08, Mar 1.98, Apr 2.09;
IPC 2024 Nov 2.4, Dec 2.8; IPC 2025 Jul 2.7.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenants.services.errors import ServiceError


def _propose(today: date):
    from tenants.services.rentals.rent_updates import propose_rent_updates

    return propose_rent_updates(today)


def _proposal(update) -> tuple:
    return (
        update.effective_on,
        update.index,
        update.index_month,
        update.index_value,
        update.old_rent,
        update.new_rent,
        update.status,
    )


def test_no_clause_no_update(make_lease):
    from tenants.services.rentals.rent_updates import pending_updates

    make_lease(start=date(2024, 3, 1), rent="950.00", update_clause="none")

    assert _propose(date(2025, 2, 1)) == ([], [])
    assert pending_updates() == []


@pytest.mark.parametrize(
    ("start", "index_month", "value", "new_rent"),
    [
        # 1,234.56 × (1 + value / 100), rounded to the cent:
        (date(2024, 3, 1), date(2025, 1, 1), "2.19", "1261.60"),  # 1,261.596864
        (date(2024, 4, 1), date(2025, 2, 1), "2.08", "1260.24"),  # 1,260.238848
        (date(2024, 5, 1), date(2025, 3, 1), "1.98", "1259.00"),  # 1,259.004288
        (date(2024, 6, 1), date(2025, 4, 1), "2.09", "1260.36"),  # 1,260.362304
    ],
)
def test_irav_uses_the_value_of_two_months_before_the_anniversary(
    make_lease, start, index_month, value, new_rent
):
    lease = make_lease(start=start, signed_on=start, rent="1234.56", update_clause="irav")
    anniversary = start.replace(year=2025)

    [update], missing = _propose(date(2025, index_month.month + 1, 1))  # within 45 days

    assert missing == []
    assert update.lease_id == lease.id
    assert _proposal(update) == (
        anniversary,
        "irav",
        index_month,
        Decimal(value),
        Decimal("1234.56"),
        Decimal(new_rent),
        "proposed",
    )


def test_ipc_on_an_older_contract(make_lease):
    # Started 1 Jan 2023: anniversary 1 Jan 2025, index month November 2024, IPC 2.4 %.
    # 700.00 × 1.024 = 716.80
    make_lease(
        start=date(2023, 1, 1), signed_on=date(2022, 12, 15), rent="700", update_clause="ipc"
    )

    [update], _missing = _propose(date(2024, 12, 1))

    assert _proposal(update) == (
        date(2025, 1, 1),
        "ipc",
        date(2024, 11, 1),
        Decimal("2.4"),
        Decimal("700.00"),
        Decimal("716.80"),
        "proposed",
    )


def test_a_lease_started_on_29_february_updates_on_28_february(make_lease):
    # Anniversary 28 Feb 2025; index month December 2024, IPC 2.8 %: 1,000.00 × 1.028 = 1,028.00
    make_lease(start=date(2024, 2, 29), rent="1000", unit_use="other", update_clause="ipc")

    [update], _missing = _propose(date(2025, 2, 1))

    assert (update.effective_on, update.index_month, update.new_rent) == (
        date(2025, 2, 28),
        date(2024, 12, 1),
        Decimal("1028.00"),
    )


def test_a_fixed_percentage_clause(make_lease):
    # 800.00 × 1.03 = 824.00
    make_lease(start=date(2024, 3, 1), rent="800", update_clause="fixed", update_fixed_pct="3,00")

    [update], _missing = _propose(date(2025, 2, 1))

    assert (update.index, update.index_month, update.index_value, update.new_rent) == (
        "fixed",
        None,
        Decimal("3.00"),
        Decimal("824.00"),
    )


def test_a_missing_index_value_is_reported_not_proposed_as_zero(make_lease):
    from tenants.services.rentals.rent_updates import MissingIndex, add_index_value, pending_updates

    # Anniversary 1 Sep 2025 → July 2025, for which no IRAV value is seeded.
    lease = make_lease(start=date(2024, 9, 1), rent="1000", update_clause="irav")

    proposed, missing = _propose(date(2025, 8, 1))

    assert proposed == []
    assert missing == [MissingIndex(lease.id, "irav", date(2025, 7, 1))]
    assert pending_updates() == []

    # Once the platform admin publishes it: 1,000.00 × 1.0225 = 1,022.50
    add_index_value("irav", date(2025, 7, 1), "2,25")
    [update], missing = _propose(date(2025, 8, 2))
    assert (missing, update.new_rent) == ([], Decimal("1022.50"))


def test_a_proposal_comes_45_days_before_the_anniversary_and_only_once(make_lease):
    make_lease(start=date(2024, 3, 1), rent="950", update_clause="irav")

    assert _propose(date(2025, 1, 14)) == ([], [])  # 46 days before 1 Mar 2025
    [update], _missing = _propose(date(2025, 1, 15))  # 45 days before
    assert _propose(date(2025, 1, 16)) == ([], [])
    assert update.effective_on == date(2025, 3, 1)


def test_confirming_changes_the_rent_from_the_anniversary_on(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges, charges_of_lease
    from tenants.services.rentals.rent_updates import decide_update, pending_updates

    # Anniversary 1 Mar 2025, IRAV January 2025 2.19 %: 950.00 × 1.0219 = 970.805 → 970.81
    lease = make_lease(start=date(2024, 3, 1), rent="950.00", update_clause="irav")
    catch_up_rent_charges(date(2025, 1, 20))
    [update], _missing = _propose(date(2025, 1, 20))

    decide_update(update.id, confirm=True)

    assert (update.status, lease.rent) == ("confirmed", Decimal("970.81"))
    assert pending_updates() == []
    # February is still before the anniversary: the old rent; March on: the new one.
    catch_up_rent_charges(date(2025, 4, 1))
    assert [(c.period_start, c.amount) for c in charges_of_lease(lease.id)][-3:] == [
        (date(2025, 2, 1), Decimal("950.00")),
        (date(2025, 3, 1), Decimal("970.81")),
        (date(2025, 4, 1), Decimal("970.81")),
    ]


def test_dismissing_leaves_the_rent_as_it_was(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges, charges_of_lease
    from tenants.services.rentals.rent_updates import decide_update

    lease = make_lease(start=date(2024, 3, 1), rent="950.00", update_clause="irav")
    [update], _missing = _propose(date(2025, 2, 1))

    decide_update(update.id, confirm=False)

    assert (update.status, lease.rent) == ("dismissed", Decimal("950.00"))
    catch_up_rent_charges(date(2025, 3, 1))
    assert charges_of_lease(lease.id)[-1].amount == Decimal("950.00")
    with pytest.raises(ServiceError) as error:
        decide_update(update.id, confirm=True)  # decided once, for good
    assert error.value.code == "update_decided"
    assert lease.rent == Decimal("950.00")


@pytest.mark.parametrize(
    ("clause", "signed_on", "warned"),
    [
        ("ipc", date(2023, 5, 25), True),  # housing signed from 25 May 2023 updates by IRAV
        ("ipc", date(2023, 5, 24), False),
        ("irav", date(2023, 5, 25), False),
    ],
)
def test_ipc_on_a_housing_contract_from_25_may_2023_is_questioned(
    make_lease, clause, signed_on, warned
):
    from tenants.services.rentals.leases import lease_warnings

    lease = make_lease(start=signed_on, signed_on=signed_on, update_clause=clause)

    assert (("irav_expected", {}) in lease_warnings(lease)) is warned


def test_proposing_costs_the_same_queries_for_3_or_12_leases(make_lease):
    """The daily job reads what is proposed and the index values once for the whole book."""
    from sqlalchemy import event

    from tenants import db
    from tenants.services.rentals import rent_updates

    def queries_for(leases: int) -> int:
        for _ in range(leases):
            make_lease(start=date(2024, 3, 1), rent="900", update_clause="ipc")
        db.session.flush()
        seen = []
        engine = db.session.get_bind()

        def listener(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):  # writes batch differently
                seen.append(statement)  # on SQLite and PostgreSQL; the reads are the point

        event.listen(engine, "before_cursor_execute", listener)
        try:
            proposed, _missing = rent_updates.propose_rent_updates(date(2025, 2, 1))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert proposed
        db.session.rollback()
        return len(seen)

    assert queries_for(3) == queries_for(12)
