"""What the law adds to a late invoice, computed by hand in each test and matched to the cent.

Ley 3/2004 (business debtor): interest from the day after the due date, without any demand, at
the rate of each half-year (seeded: 1S2024 12.50 %, 2S2024 12.25 %, 1S2025 11.15 %, 2S2025
10.15 %), plus 40 € per late invoice. Consumer debtor: the interés legal del dinero (3.25 % in
2023-2026) from the day after the formal demand (Código Civil arts. 1100 and 1108), no 40 €.
Every day accrues principal × rate / 365 (actual/365, leap years too); each rate segment is
rounded to the cent and the total is the sum of the rounded segments.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import delete

_numbers = itertools.count(1)


def _debtor(*, business: bool = True):
    from tenants.services.rentals import parties

    n = next(_numbers)
    if business:
        return parties.create_party(name=f"Distribuciones {n} S.L.", kind="company")
    return parties.create_party(name=f"Lucía Pérez {n}")


def _invoice(debtor, *, total: str, due: date, issued: date | None = None):
    from tenants.services.receivables import invoices

    return invoices.create_invoice(
        invoices.InvoiceInput(
            party_id=debtor.id,
            number=f"F-2025-{next(_numbers):04d}",
            issue_date=issued or due,
            due_date=due,
            total=total,
        )
    )


def _pay(invoice, on: date, amount: str):
    from tenants.services.receivables import invoices

    invoices.record_invoice_payment(invoice.id, received_on=on, amount=amount)


def _segments(claim):
    return [
        (seg.first_day, seg.last_day, seg.days, seg.rate, seg.amount)
        for stretch in claim.stretches
        for seg in stretch.result.segments
    ]


def test_interest_across_a_half_year_boundary_uses_each_half_years_rate(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="10000.00", due=date(2025, 5, 31))

    result = claim(invoice, debtor, as_of=date(2025, 8, 31))

    # 1 Jun – 30 Jun 2025: 30 days at 11.15 %: 10 000 × 0.1115 × 30 / 365 = 91.6438… → 91.64
    # 1 Jul – 31 Aug 2025: 62 days at 10.15 %: 10 000 × 0.1015 × 62 / 365 = 172.4109… → 172.41
    # interest 91.64 + 172.41 = 264.05; + 40.00 compensation; + 10 000 principal = 10 304.05
    assert result.regime == "business"
    assert result.interest_from == date(2025, 5, 31)
    assert _segments(result) == [
        (date(2025, 6, 1), date(2025, 6, 30), 30, Decimal("11.15"), Decimal("91.64")),
        (date(2025, 7, 1), date(2025, 8, 31), 62, Decimal("10.15"), Decimal("172.41")),
    ]
    assert result.interest == Decimal("264.05")
    assert result.compensation == Decimal("40.00")
    assert result.principal_due == Decimal("10000.00")
    assert result.total == Decimal("10304.05")
    assert result.missing_rates == []


def test_interest_across_new_year_uses_the_second_half_of_2024_then_the_first_of_2025(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="4000.00", due=date(2024, 12, 15))

    result = claim(invoice, debtor, as_of=date(2025, 1, 15))

    # 16 – 31 Dec 2024: 16 days at 12.25 %: 4 000 × 0.1225 × 16 / 365 = 21.4794… → 21.48
    # 1 – 15 Jan 2025:  15 days at 11.15 %: 4 000 × 0.1115 × 15 / 365 = 18.3287… → 18.33
    # total 21.48 + 18.33 = 39.81
    assert _segments(result) == [
        (date(2024, 12, 16), date(2024, 12, 31), 16, Decimal("12.25"), Decimal("21.48")),
        (date(2025, 1, 1), date(2025, 1, 15), 15, Decimal("11.15"), Decimal("18.33")),
    ]
    assert result.interest == Decimal("39.81")


def test_a_period_inside_leap_year_2024_still_divides_by_365(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="5000.00", due=date(2024, 2, 15))

    result = claim(invoice, debtor, as_of=date(2024, 3, 15))

    # 16 Feb – 15 Mar 2024: 14 days of February (29 Feb exists) + 15 of March = 29 days
    # 5 000 × 0.1250 × 29 / 365 = 49.6575… → 49.66   (÷ 366 would give 49.52)
    assert _segments(result) == [
        (date(2024, 2, 16), date(2024, 3, 15), 29, Decimal("12.50"), Decimal("49.66")),
    ]
    assert result.interest == Decimal("49.66")


def test_a_partial_payment_stops_interest_only_on_the_part_paid(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="2000.00", due=date(2025, 1, 31))
    _pay(invoice, date(2025, 3, 2), "1200.00")

    result = claim(invoice, debtor, as_of=date(2025, 3, 31))

    # 1 Feb – 2 Mar 2025 (payment day included): 30 days on 2 000 at 11.15 %:
    #   2 000 × 0.1115 × 30 / 365 = 18.3287… → 18.33
    # 3 – 31 Mar 2025: 29 days on the 800 still owed at 11.15 %:
    #   800 × 0.1115 × 29 / 365 = 7.0871… → 7.09
    # interest 18.33 + 7.09 = 25.42; principal due 800.00; + 40 → total 865.42
    assert [(s.first_day, s.last_day, s.principal) for s in result.stretches] == [
        (date(2025, 2, 1), date(2025, 3, 2), Decimal("2000.00")),
        (date(2025, 3, 3), date(2025, 3, 31), Decimal("800.00")),
    ]
    assert [s.result.total for s in result.stretches] == [Decimal("18.33"), Decimal("7.09")]
    assert result.interest == Decimal("25.42")
    assert result.principal_due == Decimal("800.00")
    assert result.total == Decimal("865.42")


def test_a_consumer_owes_no_interest_without_a_demand_then_legal_interest_after_it(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor(business=False)
    invoice = _invoice(debtor, total="1000.00", due=date(2025, 3, 31))

    without = claim(invoice, debtor, as_of=date(2025, 6, 14))
    assert without.regime == "consumer"
    assert "consumer_needs_demand" in without.notes
    assert without.interest == Decimal("0.00")
    assert without.compensation == Decimal("0.00")
    assert without.total == Decimal("1000.00")

    demanded = claim(invoice, debtor, as_of=date(2025, 6, 14), demand_date=date(2025, 5, 15))

    # From the day after the demand: 16 May – 14 Jun 2025 = 16 + 14 = 30 days at 3.25 %
    # 1 000 × 0.0325 × 30 / 365 = 2.6712… → 2.67; no 40 € for a consumer
    assert demanded.notes == []
    assert demanded.interest_from == date(2025, 5, 15)
    assert _segments(demanded) == [
        (date(2025, 5, 16), date(2025, 6, 14), 30, Decimal("3.25"), Decimal("2.67")),
    ]
    assert demanded.interest == Decimal("2.67")
    assert demanded.compensation == Decimal("0.00")
    assert demanded.total == Decimal("1002.67")


def test_a_demand_before_the_due_date_runs_interest_only_from_the_due_date(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor(business=False)
    invoice = _invoice(debtor, total="1000.00", due=date(2025, 3, 31))

    result = claim(invoice, debtor, as_of=date(2025, 4, 30), demand_date=date(2025, 3, 1))

    # Not owed before it falls due: 1 – 30 Apr 2025 = 30 days at 3.25 % → 2.67 (as above)
    assert result.interest_from == date(2025, 3, 31)
    assert result.interest == Decimal("2.67")


def test_interest_stays_claimable_after_the_principal_is_paid_late(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="3000.00", due=date(2025, 9, 30))
    _pay(invoice, date(2025, 11, 29), "3000.00")

    result = claim(invoice, debtor, as_of=date(2025, 12, 31))

    # 1 Oct – 29 Nov 2025: 31 + 29 = 60 days at 10.15 %:
    #   3 000 × 0.1015 × 60 / 365 = 50.0547… → 50.05; nothing after the payment day
    # principal 0.00 + interest 50.05 + compensation 40.00 = 90.05
    assert result.principal_due == Decimal("0.00")
    assert _segments(result) == [
        (date(2025, 10, 1), date(2025, 11, 29), 60, Decimal("10.15"), Decimal("50.05")),
    ]
    assert result.interest == Decimal("50.05")
    assert result.compensation == Decimal("40.00")
    assert result.total == Decimal("90.05")


def test_forty_euros_per_late_invoice_of_a_business_and_never_for_a_consumer(business):
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    late = [
        _invoice(debtor, total=total, due=date(2025, 2, 28))
        for total in ("100.00", "2500.00", "80000.00")
    ]
    as_of = date(2025, 3, 31)
    claims = [claim(invoice, debtor, as_of=as_of) for invoice in late]
    # 40 € per invoice (art. 8), whatever its amount: three invoices → 120 €
    assert [c.compensation for c in claims] == [Decimal("40.00")] * 3
    assert sum(c.compensation for c in claims) == Decimal("120.00")

    on_time = _invoice(debtor, total="900.00", due=date(2025, 2, 28))
    _pay(on_time, date(2025, 2, 28), "900.00")  # paid on the due date itself
    paid_on_time = claim(on_time, debtor, as_of=as_of)
    assert paid_on_time.interest == Decimal("0.00")
    assert paid_on_time.compensation == Decimal("0.00")
    assert paid_on_time.total == Decimal("0.00")

    person = _debtor(business=False)
    consumer_invoice = _invoice(person, total="100.00", due=date(2025, 2, 28))
    consumer = claim(consumer_invoice, person, as_of=as_of, demand_date=date(2025, 3, 1))
    assert consumer.interest > 0
    assert consumer.compensation == Decimal("0.00")


def test_a_missing_rate_period_is_reported_never_a_silent_zero(business):
    from tenants import db
    from tenants.models import InterestRate
    from tenants.services.receivables.late_payment import claim

    db.session.execute(
        delete(InterestRate).where(
            InterestRate.kind == "late_payment", InterestRate.valid_from == date(2025, 7, 1)
        )
    )
    debtor = _debtor()
    invoice = _invoice(debtor, total="10000.00", due=date(2025, 5, 31))

    result = claim(invoice, debtor, as_of=date(2025, 8, 31))

    # June still has its rate (91.64, as in the first test); July and August have none
    assert result.missing_rates == [(date(2025, 7, 1), date(2025, 8, 31))]
    assert result.interest == Decimal("91.64")


def test_a_credit_note_lowers_the_principal_interest_runs_on(business):
    from tenants.services.receivables.invoices import create_credit_note
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor()
    invoice = _invoice(debtor, total="1000.00", due=date(2025, 1, 31))
    create_credit_note(invoice.id, number="R-2025-0001", issue_date=date(2025, 2, 10), amount="250")

    result = claim(invoice, debtor, as_of=date(2025, 3, 2))

    # 1 Feb – 2 Mar 2025: 30 days on 1 000 − 250 = 750 at 11.15 %:
    #   750 × 0.1115 × 30 / 365 = 6.8732… → 6.87   (on 1 000 it would be 9.16)
    assert [s.principal for s in result.stretches] == [Decimal("750.00")]
    assert result.interest == Decimal("6.87")
    assert result.principal_due == Decimal("750.00")
    assert result.total == Decimal("796.87")


def test_a_year_end_at_an_unchanged_legal_rate_is_one_row_and_does_not_move_the_total(business):
    """1 000 € owed by a consumer, due 26 Dec 2024, demanded before; claimed on 11 Feb 2025.

    27 – 31 Dec 2024 (5 days) and 1 Jan – 11 Feb 2025 (42 days) are both at the seeded legal
    rate of 3.25 % (LPGE 2023, extended for 2024 and 2025), so they are one row of 47 days:
      1 000 × 0.0325 × 47 / 365 = 4.1849… → 4.18
    Split at 1 January, rounding each part would give 0.4452… → 0.45 and 3.7397… → 3.74,
    4.19: a cent the law does not owe.
    """
    from tenants.services.receivables.late_payment import claim

    debtor = _debtor(business=False)
    invoice = _invoice(debtor, total="1000.00", due=date(2024, 12, 26))

    result = claim(invoice, debtor, as_of=date(2025, 2, 11), demand_date=date(2024, 12, 20))

    assert _segments(result) == [
        (date(2024, 12, 27), date(2025, 2, 11), 47, Decimal("3.25"), Decimal("4.18")),
    ]
    assert result.interest == Decimal("4.18")
    assert result.total == Decimal("1004.18")
    assert result.missing_rates == []
