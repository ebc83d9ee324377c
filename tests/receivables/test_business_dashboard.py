"""The business dashboard (figures checked by hand), its page, its fixed number of queries, and
the demo business's invoices."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from tests.conftest import login

TODAY = date(2026, 3, 15)  # the late-payment rate in force: 10.150 % (1st half of 2026)


@pytest.fixture
def shop(app, create_workspace):
    """A business workspace and its owner's logged-in client; `shop.tenant()` makes it current."""
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    client = app.test_client()
    login(client)

    class Shop:
        id = workspace_id
        url = f"/w/{slug}/"

        @staticmethod
        @contextmanager
        def tenant():
            with app.app_context(), tenant_context(workspace_id):
                yield
                db.session.commit()

    Shop.client = client
    return Shop


@pytest.fixture
def today(monkeypatch):
    """The page computes its figures on TODAY."""
    import web.workspaces.views as views

    monkeypatch.setattr(views, "today_in_spain", lambda: TODAY)
    return TODAY


def _invoice(party, number, issued, due, total):
    from tenants.services.receivables import invoices

    return invoices.create_invoice(
        invoices.InvoiceInput(
            party_id=party.id, number=number, issue_date=issued, due_date=due, total=total
        )
    )


def _small_book() -> dict:
    """Seven invoices of three clients, one in each aging bucket (see the figures below)."""
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    alfa = parties.create_party(name="Alfa Distribuciones S.L.", tax_id="B12345674")
    beta = parties.create_party(name="Beta Logística S.L.", tax_id="A58818501")
    carla = parties.create_party(name="Carla Ruiz", tax_id="12345678Z")
    f1 = _invoice(alfa, "F-1", date(2026, 3, 1), date(2026, 3, 31), "1000.00")  # not yet due
    f2 = _invoice(alfa, "F-2", date(2026, 1, 20), date(2026, 2, 19), "2000.00")  # 24 days
    invoices.record_invoice_payment(f2.id, received_on=date(2026, 2, 19), amount="500.00")
    f3 = _invoice(beta, "F-3", date(2025, 12, 15), date(2026, 1, 14), "3000.00")  # 60 days
    invoices.set_disputed(f3.id, "No recibimos el pedido completo")
    f4 = _invoice(beta, "F-4", date(2025, 11, 1), date(2025, 12, 1), "800.00")  # 104 days
    invoices.create_credit_note(f4.id, number="R-1", issue_date=date(2026, 1, 5), amount="300")
    f5 = _invoice(carla, "F-5", date(2025, 12, 1), date(2025, 12, 31), "400.00")  # 74 days
    f6 = _invoice(alfa, "F-6", date(2025, 6, 1), date(2025, 7, 1), "5000.00")
    invoices.write_off(f6.id)
    f7 = _invoice(beta, "F-7", date(2026, 1, 10), date(2026, 2, 9), "1200.00")
    invoices.record_invoice_payment(f7.id, received_on=date(2026, 2, 1), amount="1200.00")
    return {
        "alfa": alfa.id,
        "beta": beta.id,
        "carla": carla.id,
        **{f"f{n}": i.id for n, i in enumerate((f1, f2, f3, f4, f5, f6, f7), start=1)},
    }


# Outstanding: F-1 1000 (current), F-2 1500 (1–30), F-3 3000 (31–60, disputed), F-5 400
# (61–90, a consumer), F-4 800 − 300 credited = 500 (over 90); F-6 written off, F-7 paid.
# Sales of the last 90 days (16 Dec 2025 – 15 Mar 2026): F-1 + F-2 + F-7 = 4200 (F-3 was issued
# on 15 Dec, 91 days ago). DSO = 6400 / 4200 × 90 = 137.14 → 137 days.
# Estimate at 10.15 %, business debtors only: F-2 1500 × 24 d = 10.01; F-3 3000 × 60 d = 50.05;
# F-4 500 × 104 d = 14.46; interest 74.52 + 3 × 40 = 194.52.


def test_the_figures_match_a_calculation_by_hand(shop):
    from tenants.services.receivables.business_dashboard import business_dashboard

    with shop.tenant():
        ids = _small_book()
        book = business_dashboard(TODAY)

    assert book.has_invoices
    assert book.open_invoices == 5
    assert book.total_owed == Decimal("6400.00")
    assert book.overdue == Decimal("5400.00")
    assert book.overdue_invoices == 4
    assert [(b.key, b.count, b.amount) for b in book.buckets] == [
        ("current", 1, Decimal("1000.00")),
        ("1_30", 1, Decimal("1500.00")),
        ("31_60", 1, Decimal("3000.00")),
        ("61_90", 1, Decimal("400.00")),
        ("over_90", 1, Decimal("500.00")),
    ]
    assert book.sales_90 == Decimal("4200.00")
    assert book.dso == 137
    assert [(d.party_id, d.amount, d.invoices, d.oldest_due) for d in book.top_debtors] == [
        (ids["beta"], Decimal("3500.00"), 2, date(2025, 12, 1)),
        (ids["alfa"], Decimal("2500.00"), 2, date(2026, 2, 19)),
        (ids["carla"], Decimal("400.00"), 1, date(2025, 12, 31)),
    ]
    assert book.top_debtors[0].oldest_invoice_id == ids["f4"]
    assert book.disputed == 1
    assert book.late_rate == Decimal("10.150")
    assert book.claimable_invoices == 3
    assert book.estimated_interest == Decimal("74.52")
    assert book.estimated_compensation == Decimal("120.00")
    assert book.estimated_claim == Decimal("194.52")
    assert [(r.number, r.days_overdue, r.estimate) for r in book.most_overdue] == [
        ("F-4", 104, Decimal("54.46")),
        ("F-5", 74, None),  # a consumer: legal interest only after a formal demand
        ("F-3", 60, Decimal("90.05")),
        ("F-2", 24, Decimal("50.01")),
    ]


def test_the_estimate_agrees_with_the_exact_claim_when_nothing_was_paid_late(shop):
    """F-3: one principal, one rate over the whole period: the estimate is the claim."""
    from tenants.services.receivables import invoices
    from tenants.services.receivables.business_dashboard import business_dashboard
    from tenants.services.receivables.late_payment import claim

    with shop.tenant():
        ids = _small_book()
        f3 = invoices.get_invoice(ids["f3"])
        exact = claim(f3, invoices.debtor_of(f3), TODAY)
        row = next(r for r in business_dashboard(TODAY).most_overdue if r.number == "F-3")
    assert row.estimate == exact.interest + exact.compensation == Decimal("90.05")


def test_the_page_shows_the_figures_and_links_to_the_invoices(shop, today):
    with shop.tenant():
        ids = _small_book()
    page = shop.client.get(shop.url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def card(name):
        match = re.search(rf'id="card-{name}">([^<]*)<', html)
        assert match, name
        return match.group(1).replace("\xa0", " ").strip()

    assert card("total-owed") == "6.400,00 €"
    assert card("overdue") == "5.400,00 €"
    assert card("dso").split()[0] == "137"  # "137 días" once the catalogue is filled
    assert card("claimable") == "194,52 €"
    assert card("disputed") == "1"
    assert "10,15 %" in html  # the late-payment rate in force today, shown with the estimate
    assert "estimado" in html or "estimated" in html
    rows = re.findall(r'<tr data-bucket="(\w+)">.*?</tr>', html, re.S)
    assert rows == ["current", "1_30", "31_60", "61_90", "over_90"]
    over_90 = re.search(r'<tr data-bucket="over_90">(.*?)</tr>', html, re.S).group(1)
    assert "500,00" in over_90
    assert "Beta Logística S.L." in html
    assert f'href="{shop.url}invoices/{ids["f4"]}"' in html  # Beta's oldest invoice
    assert f'href="{shop.url}invoices/{ids["f2"]}"' in html  # in the most overdue
    assert 'id="aging-chart"' in html and "dashboard.js" in html
    assert "<script>" not in html  # strict CSP: no inline script
    assert "No invoices yet" not in html and "Todavía no hay facturas" not in html


def test_the_page_keeps_its_first_steps_without_invoices(shop, today):
    page = shop.client.get(shop.url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="first-steps"' in html
    assert 'id="aging-chart"' not in html


def _add_invoices(count: int, first: int = 0) -> None:
    """Invoices `first`… `first + count − 1` over three clients, in every aging bucket, some
    paid, some disputed (rows added directly: the dashboard only reads them)."""
    from tenants import db
    from tenants.models import Charge, Party
    from tenants.services.rentals import parties

    clients = list(db.session.scalars(select(Party).order_by(Party.id))) or [
        parties.create_party(name="Gamma S.L.", tax_id="B12345674"),
        parties.create_party(name="Delta S.A.", tax_id="A58818501"),
        parties.create_party(name="Eva Sanz", tax_id="12345678Z"),
    ]
    for n in range(first, first + count):
        due = TODAY - timedelta(days=(n * 7) % 150 - 20)
        amount = Decimal(100 + n)
        db.session.add(
            Charge(
                kind="invoice",
                party_id=clients[n % 3].id,
                number=f"F-{n:05d}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                amount=amount,
                paid=amount if n % 4 == 0 else Decimal("0"),
                disputed_at=db.utcnow() if n % 9 == 0 else None,
            )
        )
    db.session.flush()


@contextmanager
def _counting_queries():
    from tenants.db import SessionFactory

    engine = SessionFactory.kw["bind"]
    statements: list[str] = []

    def count_it(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count_it)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count_it)


def test_the_number_of_queries_does_not_grow_with_the_invoices(shop, today):
    """The page and the dashboard service take the same queries for 10 and for 200 invoices."""
    from tenants.services.receivables.business_dashboard import business_dashboard

    page_queries, service_queries = [], []
    for first, count in ((0, 10), (10, 190)):
        with shop.tenant():
            _add_invoices(count, first)
            with _counting_queries() as statements:
                book = business_dashboard(TODAY)
            service_queries.append((book.open_invoices, len(statements)))
        with _counting_queries() as statements:
            page = shop.client.get(shop.url)
        assert page.status_code == 200
        assert 'id="card-total-owed"' in page.get_data(as_text=True)
        page_queries.append(len(statements))
    assert service_queries == [(7, 4), (150, 4)]  # one invoice in four is paid
    assert page_queries[0] == page_queries[1], page_queries


# --- the demo ---------------------------------------------------------------------------------


def _demo_figures() -> dict:
    from tenants import db
    from tenants.models import Allocation, Charge, Party, Payment

    invoice = Charge.kind == "invoice"
    late_payments = db.session.scalar(
        select(func.count(func.distinct(Charge.id)))
        .join(Allocation, Allocation.charge_id == Charge.id)
        .join(Payment, Payment.id == Allocation.payment_id)
        .where(invoice, Payment.received_on > Charge.due_date)
    )
    return {
        "clients": db.session.scalar(select(func.count(Party.id))),
        "companies": db.session.scalar(
            select(func.count(Party.id)).where(Party.tax_id_type == "cif", Party.is_business)
        ),
        "consumers": db.session.scalar(
            select(func.count(Party.id)).where(Party.tax_id_type == "dni", ~Party.is_business)
        ),
        "invoices": db.session.scalar(select(func.count(Charge.id)).where(invoice)),
        "first_issued": db.session.scalar(select(func.min(Charge.issue_date)).where(invoice)),
        "payments": db.session.scalar(select(func.count(Payment.id))),
        "paid_late": late_payments,
        "partly_paid": db.session.scalar(
            select(func.count(Charge.id)).where(
                invoice, Charge.paid > 0, Charge.paid < Charge.amount - Charge.credited
            )
        ),
        "overdue_unpaid": db.session.scalar(
            select(func.count(Charge.id)).where(
                invoice, Charge.paid == 0, Charge.due_date < TODAY, Charge.written_off_at.is_(None)
            )
        ),
        "disputed": db.session.scalar(
            select(func.count(Charge.id)).where(invoice, Charge.disputed_at.is_not(None))
        ),
        "written_off": db.session.scalar(
            select(func.count(Charge.id)).where(invoice, Charge.written_off_at.is_not(None))
        ),
        "credit_notes": db.session.scalar(
            select(func.count(Charge.id)).where(Charge.kind == "credit_note")
        ),
        "numbers": set(db.session.scalars(select(Charge.number).where(invoice))),
    }


def test_the_demo_business_has_a_year_and_a_half_of_invoices_and_is_idempotent(shop):
    from tenants.services.receivables.business_dashboard import business_dashboard
    from web.demo import seed_invoices

    with shop.tenant():
        started = time.perf_counter()
        seed_invoices(TODAY)
        elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed
    with shop.tenant():
        first = _demo_figures()
        book = business_dashboard(TODAY)
    assert first["clients"] == 40
    assert first["companies"] >= 30 and first["consumers"] >= 5
    assert first["companies"] + first["consumers"] == 40
    assert first["invoices"] == 300
    assert TODAY - timedelta(days=560) <= first["first_issued"] <= TODAY - timedelta(days=500)
    assert all(re.fullmatch(r"F-20\d\d-\d{4}", n) for n in first["numbers"])
    assert "F-2025-0001" in first["numbers"]
    assert first["paid_late"] >= 20
    assert first["partly_paid"] >= 5
    assert first["overdue_unpaid"] >= 10
    assert 1 <= first["disputed"] <= 10
    assert 1 <= first["written_off"] <= 2
    assert first["credit_notes"] == 1
    assert all(b.count for b in book.buckets), book.buckets  # every aging bucket has some
    assert book.dso is not None and book.estimated_claim > 0

    with shop.tenant():
        seed_invoices(TODAY)
    with shop.tenant():
        assert _demo_figures() == first
