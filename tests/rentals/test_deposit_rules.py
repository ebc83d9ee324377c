"""The fianza as LAU art. 36 frames it (docs/law.md#lau-36), checked against values worked out
by hand from the law, never read back from the code:

- 1 month of rent for housing, 2 months for other uses (art. 36.1);
- additional guarantees on housing capped at 2 months of rent (art. 36.5, RDL 7/2019);
- the balance is due back one month after the keys; after that it earns the interés legal del
  dinero (art. 36.4): simple interest, actual/365, at the rate seeded for each year (3.25 % in
  2023, 2024 and 2025), on each day after the deadline up to the day it is paid back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete


def _deposit(lease):
    from tenants.services.rentals.leases import deposit_of

    return deposit_of(lease.id)


def _keys_returned(make_lease, *, rent, keys: date, use="housing", start=date(2023, 1, 1)):
    """A lease that ended the day its keys came back; returns (lease, deposit)."""
    from tenants.services.rentals import leases

    lease = make_lease(start=start, rent=rent, unit_use=use)
    leases.end_lease(lease.id, ended_on=keys, keys_returned_on=keys)
    return lease, _deposit(lease)


# --- amounts ------------------------------------------------------------------------------------


def test_the_legal_deposit_is_one_month_for_housing_and_two_for_other_uses(make_lease):
    housing = make_lease(start=date(2025, 1, 1), rent="850.00", unit_use="housing")
    shop = make_lease(start=date(2025, 1, 1), rent="1200.00", unit_use="other")

    # 1 × 850.00 (vivienda) and 2 × 1,200.00 (uso distinto de vivienda)
    assert (_deposit(housing).legal_amount, _deposit(housing).amount) == (
        Decimal("850.00"),
        Decimal("850.00"),
    )
    assert (_deposit(shop).legal_amount, _deposit(shop).amount) == (
        Decimal("2400.00"),
        Decimal("2400.00"),
    )


def test_a_deposit_other_than_the_legal_one_is_kept_with_a_warning(make_lease):
    from tenants.services.rentals.leases import lease_warnings

    lease = make_lease(start=date(2025, 1, 1), rent="850.00", deposit_amount="1.000,00")

    assert _deposit(lease).amount == Decimal("1000.00")
    assert ("deposit_not_legal", {"legal": Decimal("850.00"), "months": 1}) in lease_warnings(lease)


def test_the_legal_deposit_gives_no_warning(make_lease):
    from tenants.services.rentals.leases import lease_warnings

    lease = make_lease(start=date(2025, 1, 1), rent="850.00")

    assert lease_warnings(lease) == []


@pytest.mark.parametrize(
    ("use", "guarantee", "warned"),
    [
        ("housing", "1800.00", False),  # exactly 2 × 900.00: allowed
        ("housing", "1800.01", True),  # one cent over 2 × 900.00
        ("other", "5400.00", False),  # the cap is for housing only
    ],
)
def test_additional_guarantees_on_housing_are_capped_at_two_months(
    make_lease, use, guarantee, warned
):
    from tenants.services.rentals.leases import lease_warnings

    # No end date: the lease lasts one year, renewed up to five (LAU art. 9): the cap applies.
    lease = make_lease(
        start=date(2025, 1, 1),
        rent="900.00",
        unit_use=use,
        guarantee_kind="bank_guarantee",
        guarantee_amount=guarantee,
    )

    assert _deposit(lease).guarantee_amount == Decimal(guarantee)
    cap_warning = ("guarantee_over_cap_open_term", {"cap": Decimal("1800.00")})
    assert (cap_warning in lease_warnings(lease)) is warned


def _landlord_is(workspace_id: int, kind: str) -> None:
    from tenants import db
    from tenants.models import Workspace

    db.session.get(Workspace, workspace_id).entity_kind = kind


def _lease_warnings(lease):
    from tenants.services.rentals.leases import lease_warnings

    return lease_warnings(lease)


def _guarantee_codes(lease) -> list[str]:
    return [code for code, _params in _lease_warnings(lease) if "guarantee" in code]


@pytest.mark.parametrize(
    ("kind", "end", "warning", "note"),
    [
        # 1 Jan 2025 – 31 Dec 2034: ten years, beyond 5 and 7: 3,000.00 on a rent of 1,000.00
        # (three months) is not capped, whoever the landlord is.
        ("person", date(2034, 12, 31), None, "guarantee_cap_beyond_person"),
        ("company", date(2034, 12, 31), None, "guarantee_cap_beyond_company"),
        # 1 Jan 2025 – 31 Dec 2029: five years: capped at 2 × 1,000.00 = 2,000.00.
        ("person", date(2029, 12, 31), "guarantee_over_cap_person", None),
        # 1 Jan 2025 – 31 Dec 2030: six years: beyond a person's 5, within a company's 7.
        ("person", date(2030, 12, 31), None, "guarantee_cap_beyond_person"),
        ("company", date(2030, 12, 31), "guarantee_over_cap_company", None),
        # Not said: the longer term (7) is assumed, and the warning asks which it is.
        ("", date(2030, 12, 31), "guarantee_over_cap_unsaid", None),
        # Ending on the 5th anniversary of the start is still "up to five years".
        ("person", date(2030, 1, 1), "guarantee_over_cap_person", None),
    ],
)
def test_the_guarantee_cap_binds_housing_leases_of_up_to_5_years_or_7_for_a_company(
    landlord, make_lease, kind, end, warning, note
):
    from tenants.services.rentals.deposits import guarantee_note

    _landlord_is(landlord, kind)
    lease = make_lease(
        start=date(2025, 1, 1),
        end_date=end,
        rent="1000.00",
        guarantee_kind="bank_guarantee",
        guarantee_amount="3000.00",
    )

    assert _guarantee_codes(lease) == ([warning] if warning else [])
    found = guarantee_note(lease, _deposit(lease))
    assert (found[0] if found else None) == note
    if warning:
        [(_code, params)] = [w for w in _lease_warnings(lease) if w[0] == warning]
        assert params == {"cap": Decimal("2000.00"), "end": end}


def test_a_guarantee_on_other_uses_is_never_capped(landlord, make_lease):
    from tenants.services.rentals.deposits import guarantee_note

    _landlord_is(landlord, "person")
    lease = make_lease(
        start=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
        rent="1000.00",
        unit_use="other",
        guarantee_kind="bank_guarantee",
        guarantee_amount="3000.00",
    )

    assert _guarantee_codes(lease) == []
    assert guarantee_note(lease, _deposit(lease)) == ("guarantee_cap_other_use", {})


# --- the return deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "deadline"),
    [
        (date(2025, 3, 15), date(2025, 4, 15)),
        (date(2025, 1, 31), date(2025, 2, 28)),  # February has no 31st: its last day
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year
        (date(2024, 12, 31), date(2025, 1, 31)),  # across the year end
    ],
)
def test_the_balance_is_due_back_one_month_after_the_keys(make_lease, keys, deadline):
    from tenants.services.rentals.deposits import settlement

    _lease, deposit = _keys_returned(make_lease, rent="800.00", keys=keys)

    result = settlement(deposit, today=deadline)
    assert result.deadline == deadline
    assert (result.days_late, result.interest) == (0, None)  # paid back on the last day: on time


def test_no_deadline_while_the_keys_are_not_back(make_lease):
    from tenants.services.rentals.deposits import settlement

    lease = make_lease(start=date(2025, 1, 1))

    result = settlement(_deposit(lease), today=date(2026, 1, 1))
    assert (result.deadline, result.interest, result.to_return) == (None, None, Decimal("800.00"))


# --- legal interest after the deadline ----------------------------------------------------------


def test_legal_interest_accrues_from_the_day_after_the_deadline(make_lease):
    from tenants.services.rentals.deposits import settlement

    # Keys 31 Jan 2025 → deadline 28 Feb 2025. Still not returned on 30 Apr 2025:
    # days late = 1 Mar … 30 Apr = 31 + 30 = 61.
    # 1,250.00 × 3.25 % × 61 / 365 = 6.7894 → 6.79
    _lease, deposit = _keys_returned(make_lease, rent="1250.00", keys=date(2025, 1, 31))

    result = settlement(deposit, today=date(2025, 4, 30))
    assert result.days_late == 61
    assert result.interest.total == Decimal("6.79")
    assert result.interest.complete
    assert [(s.days, s.rate) for s in result.interest.segments] == [(61, Decimal("3.25"))]


def test_legal_interest_across_the_year_end_uses_each_years_rate(make_lease):
    from tenants.services.rentals.deposits import settlement

    # Keys 15 Nov 2022 → deadline 15 Dec 2022; on 20 Jan 2023 the 2,000.00 are 36 days late:
    #   2022: 16 Dec … 31 Dec = 16 days × 2,000.00 × 3.00 % / 365 = 2.6301 → 2.63
    #   2023:  1 Jan … 20 Jan = 20 days × 2,000.00 × 3.25 % / 365 = 3.5616 → 3.56
    #   total 6.19 (a year end where the rate does not change is one row: see
    #   tests/receivables/test_late_payment_law.py)
    _lease, deposit = _keys_returned(
        make_lease, rent="2000.00", keys=date(2022, 11, 15), start=date(2021, 1, 1)
    )

    result = settlement(deposit, today=date(2023, 1, 20))
    assert result.days_late == 36
    assert [
        (s.first_day, s.last_day, s.days, s.rate, s.amount) for s in result.interest.segments
    ] == [
        (date(2022, 12, 16), date(2022, 12, 31), 16, Decimal("3.00"), Decimal("2.63")),
        (date(2023, 1, 1), date(2023, 1, 20), 20, Decimal("3.25"), Decimal("3.56")),
    ]
    assert result.interest.total == Decimal("6.19")


def test_legal_interest_in_a_leap_year_still_divides_by_365(make_lease):
    from tenants.services.rentals.deposits import settlement

    # Keys 31 Dec 2023 → deadline 31 Jan 2024; on 31 Mar 2024: 1 Feb … 31 Mar = 29 + 31 = 60
    # days (29 February included).
    # actual/365: 1,500.00 × 3.25 % × 60 / 365 = 8.0137 → 8.01 (dividing by 366 would give 7.99)
    _lease, deposit = _keys_returned(make_lease, rent="1500.00", keys=date(2023, 12, 31))

    result = settlement(deposit, today=date(2024, 3, 31))
    assert result.days_late == 60
    assert result.interest.total == Decimal("8.01")


def test_a_whole_leap_year_late_earns_366_days_of_interest(make_lease):
    from tenants.services.rentals.deposits import settlement

    # Keys 30 Nov 2023 → deadline 30 Dec 2023; on 30 Dec 2024 it is 366 days late, 31 Dec 2023
    # to 30 Dec 2024, all at 3.25 % (2023 and 2024 alike), so one row:
    #   366 days × 1,000.00 × 3.25 % / 365 = 32.5890 → 32.59: more than 3.25 % of a year, since
    #   2024 has 366 days and the divisor is 365
    _lease, deposit = _keys_returned(make_lease, rent="1000.00", keys=date(2023, 11, 30))

    result = settlement(deposit, today=date(2024, 12, 30))
    assert result.days_late == 366
    assert [(s.days, s.amount) for s in result.interest.segments] == [(366, Decimal("32.59"))]
    assert result.interest.total == Decimal("32.59")


def test_a_year_without_a_seeded_rate_is_reported_missing_never_counted_as_zero(make_lease):
    from tenants import db
    from tenants.models import InterestRate
    from tenants.services.rentals.deposits import settlement

    db.session.execute(
        delete(InterestRate).where(
            InterestRate.kind == "legal", InterestRate.valid_from == date(2025, 1, 1)
        )
    )
    # As above: 16 days of 2024 at 3.25 % → 2.85; 1 … 20 Jan 2025 has no rate.
    _lease, deposit = _keys_returned(make_lease, rent="2000.00", keys=date(2024, 11, 15))

    result = settlement(deposit, today=date(2025, 1, 20))
    assert not result.interest.complete
    assert result.interest.missing == [(date(2025, 1, 1), date(2025, 1, 20))]
    assert result.interest.total == Decimal("2.85")  # the part that has a rate, and no more


def test_a_period_entirely_without_a_rate_is_missing_not_zero_interest(make_lease):
    from tenants import db
    from tenants.models import InterestRate
    from tenants.services.rentals.deposits import settlement

    db.session.execute(delete(InterestRate).where(InterestRate.kind == "legal"))
    _lease, deposit = _keys_returned(make_lease, rent="2000.00", keys=date(2025, 1, 31))

    result = settlement(deposit, today=date(2025, 3, 31))
    assert result.days_late == 31
    assert result.interest is not None
    assert result.interest.missing == [(date(2025, 3, 1), date(2025, 3, 31))]
    assert result.interest.segments == []


# --- settlement ---------------------------------------------------------------------------------


def _rent_book(make_lease, *, months: list[date], paid: list[tuple[date, str]]):
    """A housing lease from 1 Jan 2025 at 800.00 (deposit 800.00), charged for `months`, with
    the payments `paid`."""
    from tenants.services.receivables import payments
    from tenants.services.rentals import charges

    lease = make_lease(start=date(2025, 1, 1), rent="800.00")
    for month in months:
        charges.generate_rent_charges(month)
    for on, amount in paid:
        payments.record_payment(lease_id=lease.id, received_on=on, amount=amount)
    return lease


def test_settlement_deducts_unpaid_rent_and_damages_and_returns_the_rest(make_lease):
    from tenants.services.receivables import payments
    from tenants.services.rentals import charges, deposits, leases

    # January and February paid, March 500.00 of 800.00: 300.00 owed.
    lease = _rent_book(
        make_lease,
        months=[date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
        paid=[(date(2025, 1, 1), "800"), (date(2025, 2, 1), "800"), (date(2025, 3, 3), "500")],
    )
    leases.end_lease(lease.id, ended_on=date(2025, 3, 31), keys_returned_on=date(2025, 3, 31))
    deposit = _deposit(lease)

    taken = deposits.take_unpaid_rent(deposit.id, lease)
    deposits.add_deduction(
        deposit.id, kind="damages", description="Puerta del baño rota", amount="150,00"
    )

    assert (taken.kind, taken.amount) == ("unpaid_rent", Decimal("300.00"))
    # The rent is settled in the ledger too: nothing left owed, March paid.
    assert payments.balance_on(lease.id, date(2025, 12, 31)) == Decimal("0.00")
    assert [c.status for c in charges.charges_of_lease(lease.id)] == ["paid", "paid", "paid"]

    # 800.00 held − (300.00 + 150.00) = 350.00 to return by 30 Apr (keys 31 Mar + 1 month).
    result = deposits.settlement(deposit, today=date(2025, 4, 30))
    assert [(d.kind, d.amount) for d in result.deductions] == [
        ("unpaid_rent", Decimal("300.00")),
        ("damages", Decimal("150.00")),
    ]
    assert (result.held, result.to_return, result.still_owed) == (
        Decimal("800.00"),
        Decimal("350.00"),
        Decimal("0.00"),
    )
    assert (result.deadline, result.interest) == (date(2025, 4, 30), None)

    # A month late: 1 … 30 May = 30 days; 350.00 × 3.25 % × 30 / 365 = 0.9349 → 0.93
    late = deposits.settlement(deposit, today=date(2025, 5, 30))
    assert (late.days_late, late.interest.total) == (30, Decimal("0.93"))


def test_interest_stops_on_the_day_the_balance_is_paid_back(make_lease):
    from tenants.services.rentals import deposits, leases

    lease = _rent_book(make_lease, months=[date(2025, 1, 1)], paid=[(date(2025, 1, 1), "800")])
    leases.end_lease(lease.id, ended_on=date(2025, 3, 31), keys_returned_on=date(2025, 3, 31))
    deposit = _deposit(lease)
    deposits.add_deduction(deposit.id, kind="damages", description="Pintura", amount="450")

    # 350.00 returned on 15 May, 15 days after the 30 Apr deadline:
    # 350.00 × 3.25 % × 15 / 365 = 0.4675 → 0.47, however long after we look.
    deposits.settle(deposit.id, returned_on=date(2025, 5, 15), returned_amount="350,47")

    result = deposits.settlement(deposit, today=date(2026, 1, 1))
    assert result.returned_on == date(2025, 5, 15)
    assert (result.days_late, result.interest.total) == (15, Decimal("0.47"))


def test_deductions_beyond_the_deposit_are_still_owed_and_earn_no_interest(make_lease):
    from tenants.services.rentals import deposits, leases

    # January paid, February 300.00 of 800.00: 500.00 owed.
    lease = _rent_book(
        make_lease,
        months=[date(2025, 1, 1), date(2025, 2, 1)],
        paid=[(date(2025, 1, 1), "800"), (date(2025, 2, 1), "300")],
    )
    leases.end_lease(lease.id, ended_on=date(2025, 2, 28), keys_returned_on=date(2025, 2, 28))
    deposit = _deposit(lease)
    deposits.take_unpaid_rent(deposit.id, lease)
    deposits.add_deduction(deposit.id, kind="damages", description="Cocina", amount="450")

    # 800.00 − (500.00 + 450.00) = −150.00: nothing to return, 150.00 still owed by the renter.
    result = deposits.settlement(deposit, today=date(2025, 12, 31))
    assert (result.to_return, result.still_owed) == (Decimal("0.00"), Decimal("150.00"))
    assert result.interest is None


def test_the_deposit_covers_unpaid_rent_only_up_to_what_it_holds(make_lease):
    from tenants.services.receivables import payments
    from tenants.services.rentals import deposits, leases

    # January paid; February and March unpaid: 1,600.00 owed, 800.00 held.
    lease = _rent_book(
        make_lease,
        months=[date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
        paid=[(date(2025, 1, 1), "800")],
    )
    leases.end_lease(lease.id, ended_on=date(2025, 3, 31), keys_returned_on=date(2025, 3, 31))
    deposit = _deposit(lease)

    taken = deposits.take_unpaid_rent(deposit.id, lease)

    assert taken.amount == Decimal("800.00")
    assert payments.balance_on(lease.id, date(2025, 12, 31)) == Decimal("800.00")  # still owed
    result = deposits.settlement(deposit, today=date(2025, 4, 30))
    assert result.to_return == Decimal("0.00")
    assert deposits.take_unpaid_rent(deposit.id, lease) is None  # nothing left to take
