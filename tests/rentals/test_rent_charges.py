"""Rent charges: exactly one per lease and month, whenever and however often the job runs.

Expected values are worked out by hand: a due day the month lacks falls on its last day; the
first and last month are prorated by days, rent × days let ÷ days in the month, rounded to the
cent half up; extras (community fees, utilities) are itemised on every charge and prorated the
same way.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

COMMUNITY = ("community", "Comunidad", "60,00")
WATER = ("utilities", "Agua", "25,50")


def _charges(lease):
    from tenants.services.rentals.charges import charges_of_lease

    return charges_of_lease(lease.id)


def _book(lease) -> list[tuple]:
    """What the landlord sees of each charge: period, due date, amount and its lines."""
    return [
        (
            c.period_start,
            c.period_end,
            c.due_date,
            c.amount,
            [(line.kind, line.description, line.amount) for line in c.ordered_lines],
        )
        for c in _charges(lease)
    ]


def _amounts(lease) -> list[tuple[date, Decimal]]:
    return [(c.period_start, c.amount) for c in _charges(lease)]


def test_generating_a_month_twice_creates_its_charge_once(make_lease):
    from tenants.services.rentals.charges import generate_rent_charges

    lease = make_lease(start=date(2024, 6, 1), rent="800.00", due_day=5, extras=[COMMUNITY, WATER])

    assert generate_rent_charges(date(2025, 3, 1)) == 1
    first = _book(lease)
    assert generate_rent_charges(date(2025, 3, 17)) == 0  # any day of the month is that month

    # 800.00 + 60.00 + 25.50 = 885.50, due on the 5th, each item on its own line
    assert (
        _book(lease)
        == first
        == [
            (
                date(2025, 3, 1),
                date(2025, 3, 31),
                date(2025, 3, 5),
                Decimal("885.50"),
                [
                    ("rent", "", Decimal("800.00")),
                    ("community", "Comunidad", Decimal("60.00")),
                    ("utilities", "Agua", Decimal("25.50")),
                ],
            )
        ]
    )


@pytest.mark.parametrize(
    ("due_day", "month", "due"),
    [
        (5, date(2025, 2, 1), date(2025, 2, 5)),
        (30, date(2025, 2, 1), date(2025, 2, 28)),  # February has no 30th: its last day
        (31, date(2025, 2, 1), date(2025, 2, 28)),
        (30, date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        (31, date(2024, 2, 1), date(2024, 2, 29)),
        (31, date(2025, 4, 1), date(2025, 4, 30)),  # April has 30 days
        (31, date(2025, 1, 1), date(2025, 1, 31)),
    ],
)
def test_a_due_day_the_month_lacks_falls_on_its_last_day(make_lease, due_day, month, due):
    from tenants.services.rentals.charges import generate_rent_charges

    lease = make_lease(start=date(2023, 6, 1), due_day=due_day)

    generate_rent_charges(month)

    [charge] = _charges(lease)
    assert (charge.due_date, charge.amount) == (due, Decimal("800.00"))


def test_a_year_of_charges_covers_each_month_to_its_last_day_leap_february_included(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges

    lease = make_lease(start=date(2024, 1, 1), rent="700.00", due_day=31)

    assert catch_up_rent_charges(date(2024, 12, 31)) == 12

    month_ends = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # 2024
    assert [(c.period_start, c.period_end, c.due_date, c.amount) for c in _charges(lease)] == [
        (date(2024, m, 1), date(2024, m, d), date(2024, m, d), Decimal("700.00"))
        for m, d in enumerate(month_ends, start=1)
    ]


def test_a_late_run_creates_every_missing_month_exactly_once(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges

    lease = make_lease(start=date(2025, 1, 1), extras=[COMMUNITY])

    # The job did not run from January until 15 April.
    assert catch_up_rent_charges(date(2025, 4, 15)) == 4
    assert catch_up_rent_charges(date(2025, 4, 16)) == 0
    # Nor again until 3 June: May and June only.
    assert catch_up_rent_charges(date(2025, 6, 3)) == 2

    assert _amounts(lease) == [(date(2025, m, 1), Decimal("860.00")) for m in range(1, 7)]
    assert all(len(c.lines) == 2 for c in _charges(lease))  # rent + community, not doubled


def test_runs_across_the_year_end_miss_nothing_and_repeat_nothing(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges, generate_rent_charges

    lease = make_lease(start=date(2024, 11, 1))

    assert catch_up_rent_charges(date(2024, 12, 31)) == 2  # November, December
    assert catch_up_rent_charges(date(2025, 1, 1)) == 1  # January 2025
    assert generate_rent_charges(date(2024, 12, 1)) == 0
    assert catch_up_rent_charges(date(2025, 1, 2)) == 0

    assert [c.period_start for c in _charges(lease)] == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]


def test_the_first_month_is_prorated_by_days_rent_and_extras_alike(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges

    # From 15 Jan: 15 … 31 Jan = 17 of 31 days.
    #   rent       800.00 × 17 / 31 = 438.7097 → 438.71
    #   community   62.00 × 17 / 31 =  34.00
    lease = make_lease(
        start=date(2025, 1, 15), rent="800.00", extras=[("community", "Comunidad", "62")]
    )

    catch_up_rent_charges(date(2025, 2, 1))

    [january, february] = _book(lease)
    assert january[3:] == (
        Decimal("472.71"),
        [("rent", "", Decimal("438.71")), ("community", "Comunidad", Decimal("34.00"))],
    )
    assert january[2] >= date(2025, 1, 15)  # not due before the lease begins
    assert february[3] == Decimal("862.00")  # then whole months


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2025, 2, 10), Decimal("610.71")),  # 10 … 28 Feb = 19 of 28: 900 × 19 / 28
        (date(2024, 2, 10), Decimal("620.69")),  # 10 … 29 Feb = 20 of 29: 900 × 20 / 29
    ],
)
def test_a_first_month_in_february_is_prorated_over_its_own_days(make_lease, start, expected):
    from tenants.services.rentals.charges import generate_rent_charges

    lease = make_lease(start=start, rent="900.00")

    generate_rent_charges(start)

    assert _amounts(lease) == [(start.replace(day=1), expected)]


def test_the_last_month_is_prorated_and_nothing_is_charged_after_the_end(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges, generate_rent_charges

    # Ends 10 Mar: 1 … 10 Mar = 10 of 31 days; 800.00 × 10 / 31 = 258.0645 → 258.06
    lease = make_lease(start=date(2025, 1, 1), end_date=date(2025, 3, 10))

    assert catch_up_rent_charges(date(2025, 6, 30)) == 3
    assert generate_rent_charges(date(2025, 4, 1)) == 0

    assert _amounts(lease) == [
        (date(2025, 1, 1), Decimal("800.00")),
        (date(2025, 2, 1), Decimal("800.00")),
        (date(2025, 3, 1), Decimal("258.06")),
    ]


def test_a_lease_within_one_month_is_charged_its_days_only(make_lease):
    from tenants.services.rentals.charges import generate_rent_charges

    # 10 … 20 Jan = 11 of 31 days; 620.00 × 11 / 31 = 220.00
    lease = make_lease(start=date(2025, 1, 10), end_date=date(2025, 1, 20), rent="620.00")

    generate_rent_charges(date(2025, 1, 1))
    generate_rent_charges(date(2025, 2, 1))

    assert _amounts(lease) == [(date(2025, 1, 1), Decimal("220.00"))]


def test_a_draft_lease_is_not_charged_until_it_is_activated(make_lease):
    from tenants.services.rentals.charges import generate_rent_charges
    from tenants.services.rentals.leases import activate_lease

    lease = make_lease(start=date(2025, 1, 1), status="draft")

    assert generate_rent_charges(date(2025, 1, 1)) == 0
    assert _charges(lease) == []

    activate_lease(lease.id)
    assert generate_rent_charges(date(2025, 1, 1)) == 1


def test_an_ended_lease_is_not_charged_after_its_end(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges
    from tenants.services.rentals.leases import end_lease

    lease = make_lease(start=date(2025, 1, 1))
    catch_up_rent_charges(date(2025, 2, 1))  # January, February

    # Keys back on 15 Mar, before March was charged: 800.00 × 15 / 31 = 387.0968 → 387.10
    end_lease(lease.id, ended_on=date(2025, 3, 15))
    assert catch_up_rent_charges(date(2025, 6, 30)) == 1

    assert _amounts(lease) == [
        (date(2025, 1, 1), Decimal("800.00")),
        (date(2025, 2, 1), Decimal("800.00")),
        (date(2025, 3, 1), Decimal("387.10")),
    ]


def test_ending_a_lease_after_its_months_were_charged_gives_the_same_book(make_lease):
    from tenants.services.rentals.charges import catch_up_rent_charges
    from tenants.services.rentals.leases import end_lease

    lease = make_lease(start=date(2025, 1, 1), extras=[("community", "Comunidad", "62")])
    catch_up_rent_charges(date(2025, 4, 1))  # January … April, before anyone knew

    # Ends 15 Mar: April goes; March becomes 15 of 31 days:
    #   rent 800.00 × 15 / 31 = 387.10; community 62.00 × 15 / 31 = 30.00
    end_lease(lease.id, ended_on=date(2025, 3, 15))
    assert catch_up_rent_charges(date(2025, 6, 30)) == 0

    assert _book(lease)[2][3:] == (
        Decimal("417.10"),
        [("rent", "", Decimal("387.10")), ("community", "Comunidad", Decimal("30.00"))],
    )
    assert [c.period_start for c in _charges(lease)] == [date(2025, m, 1) for m in (1, 2, 3)]


def test_the_database_refuses_a_second_charge_for_the_same_lease_and_month(make_lease):
    from sqlalchemy.exc import IntegrityError

    from tenants import db
    from tenants.models import Charge
    from tenants.services.rentals.charges import generate_rent_charges

    lease = make_lease(start=date(2025, 1, 1))
    generate_rent_charges(date(2025, 1, 1))

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Charge(
                kind="rent",
                lease_id=lease.id,
                period_start=date(2025, 1, 1),
                period_end=date(2025, 1, 31),
                due_date=date(2025, 1, 1),
                amount=Decimal("800.00"),
            )
        )
        db.session.flush()

    assert len(_charges(lease)) == 1


def test_generation_charges_only_the_current_workspaces_leases(
    app, make_lease, landlord, create_workspace
):
    from tenants.db import tenant_context
    from tenants.services.rentals.charges import generate_rent_charges

    # A whole month and a prorated one (computed one by one) in each workspace.
    ours = [make_lease(start=date(2024, 1, 1)), make_lease(start=date(2025, 1, 20))]
    other_id, _slug = create_workspace(name="Locales Bea", owner_email="bea@example.com")
    with tenant_context(other_id):
        theirs = [make_lease(start=date(2024, 1, 1)), make_lease(start=date(2025, 1, 20))]

    assert generate_rent_charges(date(2025, 1, 1)) == 2

    assert [len(_charges(lease)) for lease in ours] == [1, 1]
    with tenant_context(other_id):
        assert [_charges(lease) for lease in theirs] == [[], []]
        assert generate_rent_charges(date(2025, 1, 1)) == 2


def test_concurrent_runs_create_each_charge_once(make_lease, landlord):
    """Two cron runs at the same moment (RQ is at-least-once): the unique constraint and ON
    CONFLICT DO NOTHING keep one charge per lease and month."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals.charges import generate_rent_charges

    leases = [make_lease(start=date(2024, 1, 1), extras=[COMMUNITY]) for _ in range(20)]
    leases.append(make_lease(start=date(2025, 3, 10)))  # prorated, computed one by one
    db.session.commit()

    runs, created, errors = 4, [], []
    barrier = threading.Barrier(runs)

    def run():
        with tenant_context(landlord):
            try:
                barrier.wait(timeout=10)
                created.append(generate_rent_charges(date(2025, 3, 1)))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported to the test thread below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(created) == 21
    for lease in leases:
        assert len(_charges(lease)) == 1
    assert [len(c.lines) for lease in leases[:-1] for c in _charges(lease)] == [2] * 20
