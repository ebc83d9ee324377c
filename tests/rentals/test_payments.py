"""Payments: allocated to the oldest charge first, partial payments leave a charge partly paid,
money beyond what is owed is kept as credit for the next charge; the ledger's balance on any
date is the charges due by then minus the payments received by then."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tenants.services.errors import ServiceError

JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


@pytest.fixture
def lease(make_lease):
    """700.00 a month due on the 5th, from 1 Jan 2025."""
    return make_lease(start=JAN, rent="700.00", due_day=5)


def _charge(month: date):
    from tenants.services.rentals import charges

    charges.generate_rent_charges(month)


def _state(lease) -> list[tuple[date, Decimal, str]]:
    from tenants.services.rentals.charges import charges_of_lease

    return [(c.period_start, c.paid, c.status) for c in charges_of_lease(lease.id)]


def _pay(lease, on: date, amount: str, reference: str = ""):
    from tenants.services.receivables.payments import record_payment

    return record_payment(lease_id=lease.id, received_on=on, amount=amount, reference=reference)


def test_a_payment_pays_the_oldest_charge_first(lease):
    for month in (JAN, FEB, MAR):
        _charge(month)

    # 1,000.00 on 10 Mar: January's 700.00, then 300.00 of February; March untouched.
    payment = _pay(lease, date(2025, 3, 10), "1.000,00")

    assert _state(lease) == [
        (JAN, Decimal("700.00"), "paid"),
        (FEB, Decimal("300.00"), "partly_paid"),
        (MAR, Decimal("0.00"), "open"),
    ]
    assert sorted((a.charge.period_start, a.amount) for a in payment.allocations) == [
        (JAN, Decimal("700.00")),
        (FEB, Decimal("300.00")),
    ]
    assert payment.unallocated == Decimal("0.00")


def test_a_partial_payment_leaves_the_charge_partly_paid_then_the_rest_completes_it(lease):
    from tenants.services.rentals.charges import charges_of_lease

    _charge(JAN)

    _pay(lease, date(2025, 1, 5), "250")
    [january] = charges_of_lease(lease.id)
    assert (january.status, january.outstanding) == ("partly_paid", Decimal("450.00"))

    _pay(lease, date(2025, 1, 20), "450,00")
    assert _state(lease) == [(JAN, Decimal("700.00"), "paid")]


def test_an_overpayment_is_kept_as_credit_and_pays_next_months_charge(lease):
    from tenants.services.receivables import payments

    _charge(JAN)
    _pay(lease, date(2025, 1, 5), "1000")  # 700.00 owed: 300.00 over

    assert _state(lease) == [(JAN, Decimal("700.00"), "paid")]
    assert payments.credit(lease.id) == Decimal("300.00")

    # February is generated, then the daily job applies the credit.
    _charge(FEB)
    assert payments.apply_credits() == 1

    assert _state(lease) == [
        (JAN, Decimal("700.00"), "paid"),
        (FEB, Decimal("300.00"), "partly_paid"),
    ]
    assert payments.credit(lease.id) == Decimal("0.00")
    assert payments.apply_credits() == 0  # nothing left to apply


def test_credit_paid_in_advance_covers_several_months_as_they_are_charged(lease):
    from tenants.services.receivables import payments

    _pay(lease, date(2025, 1, 2), "1.750,00")  # before any charge: all of it is credit
    assert payments.credit(lease.id) == Decimal("1750.00")

    for month in (JAN, FEB, MAR):
        _charge(month)
        payments.apply_credits()

    # 1,750.00 = 700.00 (Jan) + 700.00 (Feb) + 350.00 of March
    assert _state(lease) == [
        (JAN, Decimal("700.00"), "paid"),
        (FEB, Decimal("700.00"), "paid"),
        (MAR, Decimal("350.00"), "partly_paid"),
    ]
    assert payments.credit(lease.id) == Decimal("0.00")


def test_credit_of_one_lease_does_not_pay_another(make_lease, lease):
    from tenants.services.receivables import payments

    other = make_lease(start=JAN, rent="500.00")
    _pay(lease, date(2025, 1, 5), "100")  # nothing charged yet: credit
    _charge(JAN)
    payments.apply_credits()

    assert _state(other) == [(JAN, Decimal("0.00"), "open")]
    assert _state(lease) == [(JAN, Decimal("100.00"), "partly_paid")]


@pytest.mark.parametrize(
    ("on", "owed"),
    [
        (date(2025, 1, 4), "0.00"),  # nothing due yet: January is due on the 5th
        (date(2025, 1, 5), "700.00"),  # January due
        (date(2025, 1, 19), "700.00"),
        (date(2025, 1, 20), "-300.00"),  # 1,000.00 received: 300.00 in credit
        (date(2025, 2, 4), "-300.00"),
        (date(2025, 2, 5), "400.00"),  # February due: 1,400.00 − 1,000.00
        (date(2025, 3, 5), "1100.00"),  # March due: 2,100.00 − 1,000.00
    ],
)
def test_the_balance_on_a_date_counts_what_was_due_and_paid_by_then(lease, on, owed):
    from tenants.services.receivables.payments import balance_on

    for month in (JAN, FEB, MAR):
        _charge(month)
    _pay(lease, date(2025, 1, 20), "1000")

    assert balance_on(lease.id, on) == Decimal(owed)


def test_the_ledger_shows_a_running_balance(lease):
    from tenants.services.receivables.payments import ledger

    for month in (JAN, FEB, MAR):
        _charge(month)
    _pay(lease, date(2025, 1, 20), "1000", reference="Transferencia enero")
    _pay(lease, date(2025, 2, 5), "400", reference="Transferencia febrero")

    rows = [(e.on, e.kind, e.debit, e.credit, e.balance) for e in ledger(lease.id)]
    assert rows == [
        (date(2025, 1, 5), "charge", Decimal("700.00"), Decimal("0"), Decimal("700.00")),
        (date(2025, 1, 20), "payment", Decimal("0"), Decimal("1000.00"), Decimal("-300.00")),
        (date(2025, 2, 5), "charge", Decimal("700.00"), Decimal("0"), Decimal("400.00")),
        (date(2025, 2, 5), "payment", Decimal("0"), Decimal("400.00"), Decimal("0.00")),
        (date(2025, 3, 5), "charge", Decimal("700.00"), Decimal("0"), Decimal("700.00")),
    ]
    # Cut on a date: the balance there is the balance on that date.
    [*_rest, last] = ledger(lease.id, until=date(2025, 2, 28))
    assert (last.on, last.balance) == (date(2025, 2, 5), Decimal("0.00"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.234,56", "1234.56"), ("1234.56", "1234.56"), ("700", "700.00"), ("0,50 €", "0.50")],
)
def test_amounts_are_read_as_people_write_them(raw, expected):
    from tenants.services.receivables.payments import parse_amount

    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0", "amount_not_positive"),
        ("-50", "amount_not_positive"),
        ("doce", "amount_invalid"),
        ("10,555", "amount_cents"),
    ],
)
def test_a_bad_amount_records_nothing(lease, raw, code):
    from tenants.services.receivables.payments import payments_of_lease, record_payment

    _charge(JAN)

    with pytest.raises(ServiceError) as error:
        record_payment(lease_id=lease.id, received_on=date(2025, 1, 5), amount=raw)

    assert (error.value.code, error.value.field) == (code, "amount")
    assert payments_of_lease(lease.id) == []
    assert _state(lease) == [(JAN, Decimal("0.00"), "open")]


def test_a_payment_from_before_the_lease_or_after_today_is_refused(lease):
    """Issue 11.12: a payment dated 2031, or before the lease began, is a typing mistake."""
    from tenants.clock import today_in_spain
    from tenants.services.errors import ServiceError
    from tenants.services.receivables import payments

    for day, code in [
        (date(2024, 12, 31), "payment_before_lease"),
        (date(2031, 1, 5), "date_in_future"),
        (today_in_spain() + timedelta(days=1), "date_in_future"),
    ]:
        with pytest.raises(ServiceError) as refused:
            _pay(lease, day, "700")
        assert (refused.value.code, refused.value.field) == (code, "received_on")
    assert payments.credit(lease.id) == Decimal("0")
    _pay(lease, today_in_spain(), "700")  # today is fine
    assert payments.credit(lease.id) == Decimal("700.00")
