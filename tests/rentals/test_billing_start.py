"""A lease already running when the landlord joins starts its book on `billed_from`, and the
daily catch-up only walks the months some lease still lacks."""

from datetime import date
from decimal import Decimal

import pytest

from tenants.services.errors import ServiceError
from tenants.services.receivables import payments
from tenants.services.rentals import charges


def _months(lease_id):
    return [c.period_start for c in charges.charges_of_lease(lease_id) if c.kind == "rent"]


def test_a_running_lease_is_charged_from_billed_from_only(make_lease):
    lease = make_lease(start=date(2023, 9, 1), billed_from=date(2025, 3, 1))
    assert charges.catch_up_rent_charges(date(2025, 4, 10)) == 2
    assert _months(lease.id) == [date(2025, 3, 1), date(2025, 4, 1)]
    assert payments.balance_on(lease.id, date(2025, 4, 10)) == Decimal("1600.00")


def test_billed_from_mid_month_prorates_that_month(make_lease):
    # 800 € from 16 April: 15 of April's 30 days = 400.00
    lease = make_lease(start=date(2024, 1, 1), billed_from=date(2025, 4, 16))
    charges.catch_up_rent_charges(date(2025, 4, 20))
    (april,) = charges.charges_of_lease(lease.id)
    assert april.amount == Decimal("400.00")


@pytest.mark.parametrize("billed_from", [date(2023, 8, 31), date(2026, 1, 1)])
def test_billed_from_outside_the_lease_is_refused(make_lease, billed_from):
    with pytest.raises(ServiceError) as error:
        make_lease(start=date(2023, 9, 1), end_date=date(2025, 8, 31), billed_from=billed_from)
    assert error.value.code == "billed_from_invalid"


def test_catch_up_walks_only_the_months_still_missing(make_lease, monkeypatch):
    make_lease(start=date(2022, 1, 1))
    make_lease(start=date(2024, 6, 15), end_date=date(2024, 12, 31))
    charges.catch_up_rent_charges(date(2025, 5, 2))

    walked = []
    real = charges.generate_rent_charges
    monkeypatch.setattr(charges, "generate_rent_charges", lambda m: walked.append(m) or real(m))
    assert charges.catch_up_rent_charges(date(2025, 5, 20)) == 0
    assert walked == []  # up to date: the ended lease's old months are not walked again
    assert charges.catch_up_rent_charges(date(2025, 6, 1)) == 1
    assert walked == [date(2025, 6, 1)]


def test_another_charge_is_added_and_paid_from_credit(make_lease):
    lease = make_lease(start=date(2025, 1, 1))
    charges.catch_up_rent_charges(date(2025, 1, 5))
    payments.record_payment(lease_id=lease.id, received_on=date(2025, 1, 2), amount="900")
    charge = charges.add_other_charge(
        lease.id, description="Reparación caldera", amount="120,00", due_date=date(2025, 1, 20)
    )
    assert charge.amount == Decimal("120.00")
    assert charge.paid == Decimal("100.00")  # the 100 € of credit went to it
    assert payments.credit(lease.id) == Decimal("0.00")
    with pytest.raises(ServiceError):
        charges.add_other_charge(lease.id, description="", amount="5", due_date=date(2025, 1, 9))
