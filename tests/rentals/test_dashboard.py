"""The landlord's dashboard: rent roll, occupancy, arrears with days late, upcoming deadlines and
collected vs due per month, checked against figures worked out by hand for a small book; the
page that shows them; its number of SQL queries, which must not grow with the number of leases;
and the demo seed that fills the demo landlord's book.

The small book, on 15 June 2025 (every figure below is computed by hand):

    Casa Sol (Madrid): 1º A, 1º B          Finca Mar (Barcelona): Bajo (other use), Ático
    L1  1º A  from 2024-08-01 to 2025-09-30, 800 + 50 community, due on the 5th, fixed 2 % update
        paid 850 on the 5th of Aug 2024 … Apr 2025 (9 payments); May and June unpaid.
    L2  1º B  from 2025-03-10 to 2025-07-31, 600 due on the 1st, fianza for Madrid not lodged
        March is prorated: 600 × 22/31 = 425.81 due on 10 March (the lease starts that day).
        paid 425.81 on 12 Mar, 600 on 1 Apr, 300 on 20 May; June unpaid.
    L3  Bajo  from 2025-02-01, 1000 due on the 10th, lodged; ended 31 May, keys back that day.
        paid 1000 on the 10th of Feb … May.
    Ático has never been let.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from sqlalchemy import event, func, select

from tests.conftest import login

TODAY = date(2025, 6, 15)
D = Decimal


# --- the small book ---------------------------------------------------------------------------


def build_small_book() -> dict[str, int]:
    """Create the book of the module docstring in the current tenant; returns the lease ids."""
    from tenants.services.receivables import payments
    from tenants.services.rentals import charges, deposits, leases, parties, properties

    sol = properties.create_property(
        name="Casa Sol", street="Calle del Sol 3", postal_code="28012", city="Madrid",
        province="Madrid",
    )  # fmt: skip
    mar = properties.create_property(
        name="Finca Mar", street="Carrer del Mar 8", postal_code="08003", city="Barcelona",
        province="Barcelona",
    )  # fmt: skip
    a1 = properties.add_unit(sol.id, label="1º A")
    b1 = properties.add_unit(sol.id, label="1º B")
    bajo = properties.add_unit(mar.id, label="Bajo", use="other")
    properties.add_unit(mar.id, label="Ático")
    ana = parties.create_party(name="Ana Ruiz", tax_id="50123456Q")
    boris = parties.create_party(name="Boris Petrov", tax_id="X1234567L")
    carla = parties.create_party(name="Carla Puig", tax_id="23456789D")

    l1 = leases.create_lease(
        leases.LeaseInput(
            unit_id=a1.id, renter_ids=[ana.id], start_date=date(2024, 8, 1),
            end_date=date(2025, 9, 30), rent="800.00", due_day=5, payment_method="cash",
            update_clause="fixed", update_fixed_pct="2.00",
            extras=[("community", "Comunidad", "50.00")],
        )
    )  # fmt: skip
    l2 = leases.create_lease(
        leases.LeaseInput(
            unit_id=b1.id, renter_ids=[boris.id], start_date=date(2025, 3, 10),
            end_date=date(2025, 7, 31), rent="600.00", due_day=1, payment_method="cash",
            deposit_region="madrid",
        )
    )  # fmt: skip
    l3 = leases.create_lease(
        leases.LeaseInput(
            unit_id=bajo.id, renter_ids=[carla.id], start_date=date(2025, 2, 1),
            rent="1000.00", due_day=10, payment_method="cash", deposit_region="cataluna",
        )
    )  # fmt: skip
    deposit = leases.deposit_of(l3.id)
    deposits.record_lodgement(
        deposit.id, region="cataluna", reference="INC-1", lodged_on=date(2025, 2, 20)
    )
    leases.end_lease(l3.id, ended_on=date(2025, 5, 31), keys_returned_on=date(2025, 5, 31))
    charges.catch_up_rent_charges(TODAY)

    def pay(lease, on, amount):
        payments.record_payment(lease_id=lease.id, received_on=on, amount=amount, method="cash")

    for month in range(9):  # Aug 2024 … Apr 2025
        year, index = divmod(7 + month, 12)
        pay(l1, date(2024 + year, index + 1, 5), "850.00")
    pay(l2, date(2025, 3, 12), "425.81")
    pay(l2, date(2025, 4, 1), "600.00")
    pay(l2, date(2025, 5, 20), "300.00")
    for month in (2, 3, 4, 5):
        pay(l3, date(2025, month, 10), "1000.00")
    return {"l1": l1.id, "l2": l2.id, "l3": l3.id}


@pytest.fixture
def small_book(app, create_workspace):
    """Ana's workspace with the small book, committed (the page is read by another session)."""
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        ids = build_small_book()
        db.session.commit()
    return workspace_id, slug, ids


@pytest.fixture
def in_tenant(app):
    """Run services as a workspace: `with in_tenant(workspace_id): ...`."""
    import contextlib

    from tenants import db
    from tenants.db import tenant_context

    @contextlib.contextmanager
    def enter(workspace_id):
        with app.app_context(), tenant_context(workspace_id):
            yield
            db.session.rollback()

    return enter


def dashboard_on(today):
    from tenants.services.rentals.rent_dashboard import landlord_dashboard

    return landlord_dashboard(today)


# --- the figures --------------------------------------------------------------------------------


def test_rent_roll_and_occupancy_count_the_leases_running_today(small_book, in_tenant):
    workspace_id, _slug, ids = small_book
    with in_tenant(workspace_id):
        book = dashboard_on(TODAY)
    assert book.properties == 2
    assert [(r.lease_id, r.unit, r.renters, r.rent, r.extras, r.total, r.due_day)
            for r in book.rent_roll] == [
        (ids["l1"], "Casa Sol, 1º A", ["Ana Ruiz"], D("800.00"), D("50.00"), D("850.00"), 5),
        (ids["l2"], "Casa Sol, 1º B", ["Boris Petrov"], D("600.00"), D("0.00"), D("600.00"), 1),
    ]  # fmt: skip
    assert book.monthly_rent_roll == D("1450.00")
    # L3 ended on 31 May and the Ático was never let: 2 of 4 units.
    assert (book.occupancy.let, book.occupancy.units, book.occupancy.percent) == (2, 4, 50)


def test_arrears_count_days_late_from_the_oldest_unpaid_due_date(small_book, in_tenant):
    workspace_id, _slug, ids = small_book
    with in_tenant(workspace_id):
        book = dashboard_on(TODAY)
    # L2: 300 left of May (due 1 May, 45 days ago) + June 600. L1: May and June, 850 each,
    # the oldest due 5 May (41 days ago). L3 paid everything. Worst (longest late) first.
    assert [(a.lease_id, a.renters, a.amount, a.oldest_due, a.days_late) for a in book.arrears] == [
        (ids["l2"], ["Boris Petrov"], D("900.00"), date(2025, 5, 1), 45),
        (ids["l1"], ["Ana Ruiz"], D("1700.00"), date(2025, 5, 5), 41),
    ]
    assert book.total_arrears == D("2600.00")


def test_a_charge_due_today_is_not_late_yet(small_book, in_tenant):
    workspace_id, _slug, ids = small_book
    with in_tenant(workspace_id):
        # L1's May rent falls due on 5 May and is never paid (April was).
        on_due_day = {a.lease_id: a for a in dashboard_on(date(2025, 5, 5)).arrears}
        next_day = {a.lease_id: a for a in dashboard_on(date(2025, 5, 6)).arrears}
    assert ids["l1"] not in on_due_day
    assert (next_day[ids["l1"]].amount, next_day[ids["l1"]].days_late) == (D("850.00"), 1)


def test_deadlines_within_60_days_soonest_first(small_book, in_tenant):
    workspace_id, _slug, ids = small_book
    with in_tenant(workspace_id):
        book = dashboard_on(TODAY)
    assert [(d.on, d.kind, d.lease_id, d.days_left) for d in book.deadlines] == [
        # L2's fianza for Madrid: 30 days from signing (10 Mar): overdue, so still listed.
        (date(2025, 4, 9), "deposit_lodgement", ids["l2"], -67),
        # L3: keys back on 31 May, the fianza is due back one month later.
        (date(2025, 6, 30), "deposit_return", ids["l3"], 15),
        (date(2025, 7, 31), "lease_end", ids["l2"], 46),
        # L1's first anniversary: its fixed 2 % update.
        (date(2025, 8, 1), "rent_update", ids["l1"], 47),
    ]  # L1's end on 30 September is 107 days away: not yet.
    assert book.deadlines[0].renters == ["Boris Petrov"]


def test_settled_and_lodged_deposits_leave_the_deadlines(small_book, in_tenant):
    from tenants.services.rentals import deposits, leases

    workspace_id, _slug, ids = small_book
    with in_tenant(workspace_id):
        deposit = leases.deposit_of(ids["l2"])
        deposits.record_lodgement(
            deposit.id, region="madrid", reference="AVS-9", lodged_on=date(2025, 6, 1)
        )
        deposits.settle(
            leases.deposit_of(ids["l3"]).id,
            returned_on=date(2025, 6, 10),
            returned_amount="2000.00",
        )
        kinds = [d.kind for d in dashboard_on(TODAY).deadlines]
    assert kinds == ["lease_end", "rent_update"]


def test_collected_vs_due_per_month_for_the_last_12_months(small_book, in_tenant):
    workspace_id, _slug, _ids = small_book
    with in_tenant(workspace_id):
        book = dashboard_on(TODAY)
    figures = [(f"{m.month:%Y-%m}", m.due, m.collected) for m in book.months]
    assert figures == [
        ("2024-07", D("0"), D("0")),
        ("2024-08", D("850.00"), D("850.00")),
        ("2024-09", D("850.00"), D("850.00")),
        ("2024-10", D("850.00"), D("850.00")),
        ("2024-11", D("850.00"), D("850.00")),
        ("2024-12", D("850.00"), D("850.00")),
        ("2025-01", D("850.00"), D("850.00")),
        ("2025-02", D("1850.00"), D("1850.00")),  # L3 starts
        ("2025-03", D("2275.81"), D("2275.81")),  # L2's first, prorated month
        ("2025-04", D("2450.00"), D("2450.00")),
        ("2025-05", D("2450.00"), D("1300.00")),  # L1 nothing, L2 300, L3 1000
        ("2025-06", D("1450.00"), D("0")),  # L3 ended in May
    ]


def test_another_workspace_sees_none_of_it(small_book, in_tenant, create_workspace):
    _workspace_id, _slug, _ids = small_book
    other_id, _other_slug = create_workspace(name="Locales Bea", owner_email="bea@example.com")
    with in_tenant(other_id):
        book = dashboard_on(TODAY)
    assert (book.properties, book.occupancy.units, book.rent_roll, book.arrears) == (0, 0, [], [])
    assert book.deadlines == []
    assert {(m.due, m.collected) for m in book.months} == {(D("0"), D("0"))}


# --- the page -------------------------------------------------------------------------------------


def euros(amount: str) -> str:
    return format_currency(Decimal(amount), "EUR", locale="es")


def test_the_page_shows_totals_arrears_deadlines_and_the_chart(
    small_book, make_client, monkeypatch
):
    _workspace_id, slug, ids = small_book
    monkeypatch.setattr("web.workspaces.views.today_in_spain", lambda: TODAY)
    client = make_client()
    login(client)
    page = client.get(f"/w/{slug}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="first-steps"' not in html  # no empty state

    def text_of(element_id):
        match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
        assert match, element_id
        return match.group(1).strip()

    assert text_of("card-rent-roll") == euros("1450.00")
    assert text_of("card-occupancy") == "50 %"
    assert text_of("card-arrears") == euros("2600.00")
    assert text_of("card-leases-in-arrears") == "2"

    arrears = re.search(r'<table[^>]*id="arrears".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", arrears.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    assert f'href="/w/{slug}/leases/{ids["l2"]}"' in rows[0]
    assert "Boris Petrov" in rows[0] and euros("900.00") in rows[0] and ">45<" in rows[0]
    assert f'href="/w/{slug}/leases/{ids["l1"]}"' in rows[1]
    assert "Ana Ruiz" in rows[1] and euros("1700.00") in rows[1] and ">41<" in rows[1]

    deadlines = re.search(r'<ul[^>]*id="deadlines".*?</ul>', html, re.S).group(0)
    items = re.findall(r"<li.*?</li>", deadlines, re.S)
    assert len(items) == 4
    assert f"/leases/{ids['l2']}" in items[0] and "67" in items[0]  # overdue
    assert f"/leases/{ids['l1']}" in items[3] and "47" in items[3]

    chart = re.search(r"id=\"collected-vs-due\"[^>]*data-chart='([^']*)'", html)
    data = json.loads(chart.group(1).replace("&#39;", "'"))
    assert data["due"][-3:] == ["2450.00", "2450.00", "1450.00"]
    assert data["collected"][-3:] == ["2450.00", "1300.00", "0"]
    assert len(data["labels"]) == 12
    # Chart.js and our drawing code are static files: the CSP allows no inline script.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs for attrs in scripts)
    for src in ("/static/vendor/chartjs/chart.umd.min.js", "/static/dashboard.js"):
        assert f'src="{src}"' in html
        with client.get(src) as static:
            assert static.status_code == 200


def test_a_landlord_without_properties_keeps_the_empty_state(create_workspace, make_client):
    _workspace_id, slug = create_workspace()
    client = make_client()
    login(client)
    html = client.get(f"/w/{slug}/").get_data(as_text=True)
    assert 'id="first-steps"' in html  # "Your rent book is empty", in Spanish
    assert "collected-vs-due" not in html and "chart.umd" not in html


def test_other_workspace_kinds_get_no_rent_book(create_workspace, make_client):
    _workspace_id, slug = create_workspace(name="Comercial Ana", kind="business")
    client = make_client()
    login(client)
    page = client.get(f"/w/{slug}/")
    assert page.status_code == 200
    assert "collected-vs-due" not in page.get_data(as_text=True)


# --- no query per lease ---------------------------------------------------------------------------


def add_leases(count: int, first: int) -> None:
    """`count` more leases, each with an extra, a deposit to lodge, an update clause, a year of
    charges and some payments (half of them fall behind)."""
    from tenants.services.receivables import payments
    from tenants.services.rentals import charges, leases, parties, properties

    building = properties.create_property(
        name=f"Bloque {first}", street="Calle Larga 1", postal_code="28001", city="Madrid",
        province="Madrid",
    )  # fmt: skip
    created = []
    for n in range(first, first + count):
        unit = properties.add_unit(building.id, label=f"Piso {n}")
        renter = parties.create_party(name=f"Inquilino {n}")
        guarantor = parties.create_party(name=f"Avalista {n}")
        created.append(
            leases.create_lease(
                leases.LeaseInput(
                    unit_id=unit.id, renter_ids=[renter.id], guarantor_ids=[guarantor.id],
                    start_date=date(2024, 7, 1) + timedelta(days=n), rent="700.00",
                    end_date=date(2025, 7, 1) + timedelta(days=n), payment_method="cash",
                    update_clause="irav", deposit_region="madrid",
                    extras=[("community", "Comunidad", "30.00")],
                )
            )
        )  # fmt: skip
    charges.catch_up_rent_charges(TODAY)
    for index, lease in enumerate(created):
        payments.record_payment(
            lease_id=lease.id,
            received_on=date(2025, 1, 10),
            amount="3000.00" if index % 2 else "9000.00",
            method="cash",
        )


def count_queries(run) -> int:
    from tenants import db

    engine = db.session.get_bind()
    statements = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_leases(landlord):
    from tenants import db

    add_leases(3, first=1)
    db.session.flush()
    small = {}
    queries_for_3 = count_queries(lambda: small.setdefault("book", dashboard_on(TODAY)))
    add_leases(27, first=4)
    db.session.flush()
    large = {}
    queries_for_30 = count_queries(lambda: large.setdefault("book", dashboard_on(TODAY)))

    assert (len(small["book"].rent_roll), len(large["book"].rent_roll)) == (3, 30)
    assert len(large["book"].arrears) == 1 + 13  # the odd ones of each batch
    assert len(large["book"].deadlines) >= 30  # lodgements overdue, ends and updates ahead
    assert queries_for_30 == queries_for_3
    assert queries_for_3 <= 10


# --- the demo seed ------------------------------------------------------------------------------


def demo_counts(app) -> dict:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Charge, Lease, LeaseParty, Party, Payment, Property, Unit
    from tenants.services.platform import workspaces as ws_service

    with app.app_context():
        workspace = ws_service.workspace_by_slug("demo-landlord")
        with tenant_context(workspace.id):
            return {
                model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Property, Unit, Party, Lease, LeaseParty, Charge, Payment)
            }


def seed(app, today):
    from tenants import db
    from web.demo import seed_demo

    with app.app_context():
        list(seed_demo("amparo-demo", today=today))
        db.session.commit()


def test_the_demo_landlord_gets_a_year_of_rent_with_two_renters_in_arrears(app):
    from tenants.db import tenant_context
    from tenants.models import Lease, Property
    from tenants.services.platform import workspaces as ws_service
    from tenants.services.rentals import leases, parties

    today = date(2025, 11, 20)
    seed(app, today)
    first = demo_counts(app)
    assert (first["Property"], first["Unit"], first["Lease"]) == (2, 6, 5)

    with app.app_context():
        from tenants import db

        workspace = ws_service.workspace_by_slug("demo-landlord")
        with tenant_context(workspace.id):
            book = dashboard_on(today)
            provinces = set(db.session.scalars(select(Property.province)))
            demo_leases = db.session.scalars(select(Lease)).all()
            for lease in demo_leases:
                assert lease.renters and lease.guarantors, lease.reference
                for person in lease.renters + lease.guarantors:
                    assert parties.check_tax_id(person.tax_id)[1] in ("dni", "nie")
            with_extras = sum(1 for lease in demo_leases if lease.extras)
            monthly = {lease.id: lease.monthly_total for lease in demo_leases}
            lodged = sum(1 for lease in demo_leases if leases.deposit_of(lease.id).lodged_on)
    assert provinces == {"Madrid", "Barcelona"}
    assert with_extras >= 2
    assert lodged >= 2
    assert (book.occupancy.let, book.occupancy.units) == (5, 6)
    assert len(book.arrears) == 2
    for row in book.arrears:
        assert row.amount >= 2 * monthly[row.lease_id]  # at least two months unpaid
        assert row.days_late > 31
    assert all(m.due > 0 for m in book.months)  # a year of charges…
    assert sum(1 for m in book.months if m.collected > 0) >= 11  # …and of payments
    assert book.deadlines  # a fianza to lodge, a lease ending, a rent update


def test_the_demo_seed_is_idempotent(app):
    today = date(2025, 11, 20)
    seed(app, today)
    first = demo_counts(app)
    seed(app, today)
    assert demo_counts(app) == first
    # `make run` seeds again on every start: a month later the book has grown by a month and
    # the same two renters are still the only ones behind.
    later = today + timedelta(days=31)
    seed(app, later)
    grown = demo_counts(app)
    assert {k: grown[k] for k in ("Property", "Unit", "Party", "Lease", "LeaseParty")} == {
        k: first[k] for k in ("Property", "Unit", "Party", "Lease", "LeaseParty")
    }
    assert grown["Charge"] == first["Charge"] + 5
    from tenants.db import tenant_context
    from tenants.services.platform import workspaces as ws_service

    with app.app_context():
        workspace = ws_service.workspace_by_slug("demo-landlord")
        with tenant_context(workspace.id):
            assert len(dashboard_on(later).arrears) == 2


def test_seeding_again_keeps_what_a_user_added_to_the_demo_book(app):
    """Issue 10.12: `make run` seeds on every start, after people have used the demo."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Charge, Lease
    from tenants.services.platform import workspaces as ws_service
    from tenants.services.rentals import charges

    def owed(lease_id):
        rows = db.session.scalars(select(Charge).where(Charge.lease_id == lease_id)).all()
        return sum((c.amount - c.paid for c in rows), Decimal("0"))

    today = date(2025, 11, 20)
    seed(app, today)
    with app.app_context():
        workspace = ws_service.workspace_by_slug("demo-landlord")
        with tenant_context(workspace.id):
            lease_id = db.session.scalars(select(Lease.id).order_by(Lease.id)).first()
            before = owed(lease_id)
            repair = charges.add_other_charge(
                lease_id, description="Reparación de la caldera", amount="180,50", due_date=today
            )
            repair_id = repair.id
            db.session.commit()
    counts = demo_counts(app)

    seed(app, today)  # raised TypeError: the hand-added charge has no rent month to name
    assert demo_counts(app) == counts
    seed(app, today + timedelta(days=31))

    with app.app_context():
        with tenant_context(workspace.id):
            repair = db.session.get(Charge, repair_id)
            assert (repair.amount, repair.description) == (
                Decimal("180.50"),
                "Reparación de la caldera",
            )
            # The seed paid the new month's rent and nothing else: the repair is still owed
            # (by allocation, oldest first, possibly as part of that month's rent).
            assert owed(lease_id) == before + Decimal("180.50")
