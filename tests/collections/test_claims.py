"""What a case claims on a date (tenants/services/collections/claims.py), and every reader of it
(the letters, their payment QR code, the debtor portal, the case page, the API) saying the same
total and the same payment reference."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from tests.collections.conftest import RENDER_WARNING, pdf_text
from tests.conftest import login

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

IBAN = "ES9121000418450200051332"


def in_tenant(app, tenant_id: int, fn):
    """Run `fn` in the workspace and commit, as a request or a job would."""
    from tenants import db
    from tenants.db import tenant_context

    with app.app_context(), tenant_context(tenant_id):
        result = fn()
        db.session.commit()
        return result


def owner():
    from tenants import db
    from tenants.models import User

    return db.session.scalars(select(User).order_by(User.id)).first()


def post_formal_demand(case, on: date) -> list[int]:
    """The case's formal demand as a paper letter posted on `on` (its PDF is not needed here)."""
    from tenants.services.collections import letters

    step = next(s for s in case.ladder.steps if s.kind == "formal_demand")
    step.channel = "postal"
    case.stage = step.position
    made = letters.record_step_letters(case, step, [])
    for letter in made:
        letters.mark_rendered(
            letter, pdf_sha256="0" * 64, content_sha256=None, context={}, total=Decimal("0")
        )
    letters.approve(made[0].id, owner())
    letters.mark_posted([x.id for x in made], posted_on=on, tracking={}, actor=owner(), today=on)
    return [x.id for x in made]


def claim_of(case_id: int, on: date):
    from tenants import db
    from tenants.models import Case
    from tenants.services.collections import claims

    return claims.claim_of_case(db.session.get(Case, case_id), on)


# --- the claim of one case --------------------------------------------------------------------


@pytest.fixture
def business_case(app, create_workspace):
    """Talleres Norte SL owes three invoices of 2025 to Suministros Ana; 300 EUR of the second
    were paid on 15 April, and the formal demand was posted on Friday 2 May 2025."""
    from tenants import db
    from tenants.models import Workspace
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")

    def book():
        db.session.get(Workspace, workspace_id).iban = IBAN
        client = parties.create_party(name="Talleres Norte SL", tax_id="B12345674")
        ids = [
            invoices.create_invoice(
                invoices.InvoiceInput(
                    party_id=client.id,
                    number=number,
                    issue_date=due - timedelta(days=30),
                    due_date=due,
                    total=total,
                )
            ).id
            for number, due, total in (
                ("F-1", date(2025, 1, 31), "1210.00"),
                ("F-2", date(2025, 2, 28), "605.00"),
                ("F-3", date(2025, 3, 31), "242.00"),
            )
        ]
        cases.take_in_overdue(date(2025, 4, 1), "business")
        db.session.flush()
        invoices.record_invoice_payment(ids[1], received_on=date(2025, 4, 15), amount="300")
        case = cases.get_case(invoices.get_invoice(ids[0]).case_id)
        post_formal_demand(case, date(2025, 5, 2))
        return case.id

    return workspace_id, in_tenant(app, workspace_id, book)


def test_a_business_debtor_is_claimed_ley_3_2004_interest_and_40_euros_per_invoice(
    app, business_case
):
    workspace_id, case_id = business_case
    claim = in_tenant(app, workspace_id, lambda: claim_of(case_id, date(2025, 6, 30)))

    assert [(c.label, c.outstanding) for c in claim.charges] == [
        ("F-1", Decimal("1210.00")),
        ("F-2", Decimal("305.00")),
        ("F-3", Decimal("242.00")),
    ]
    assert claim.principal == Decimal("1757.00")
    assert claim.regime == "business" and claim.is_demand
    # 11.15 % (first half of 2025), actual/365, from the day after each due date; the partial
    # payment splits F-2: 605.00 until 15 April, 305.00 after.
    assert [
        (s.charge_label, s.first_day, s.days, s.principal, s.amount)
        for s in claim.interest_segments
    ] == [
        ("F-1", date(2025, 2, 1), 150, Decimal("1210.00"), Decimal("55.44")),
        ("F-2", date(2025, 3, 1), 46, Decimal("605.00"), Decimal("8.50")),
        ("F-2", date(2025, 4, 16), 76, Decimal("305.00"), Decimal("7.08")),
        ("F-3", date(2025, 4, 1), 91, Decimal("242.00"), Decimal("6.73")),
    ]
    assert {s.rate for s in claim.interest_segments} == {Decimal("11.150")}
    assert claim.interest == Decimal("77.75")
    assert (claim.compensation, claim.compensation_count) == (Decimal("120.00"), 3)
    assert claim.total == Decimal("1954.75")
    # Ten business days from Friday 2 May 2025 (1 May, a holiday, is before it): Friday 16 May.
    assert (claim.deadline, claim.business_days) == (date(2025, 5, 16), 10)
    assert claim.reference == f"AMP-C{case_id}"
    assert claim.payee.iban == IBAN and claim.payee.beneficiary == "Suministros Ana"


def test_before_the_formal_demand_the_claim_is_what_is_owed(app, create_workspace):
    from tenants import db
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")

    def book():
        client = parties.create_party(name="Talleres Norte SL", tax_id="B12345674")
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-1",
                issue_date=date(2025, 1, 1),
                due_date=date(2025, 1, 31),
                total="1210.00",
            )
        )
        cases.take_in_overdue(date(2025, 3, 1), "business")
        db.session.flush()
        db.session.refresh(invoice)
        return claim_of(invoice.case_id, date(2025, 3, 1))

    claim = in_tenant(app, workspace_id, book)
    assert not claim.is_demand
    assert (claim.interest, claim.compensation, claim.deadline) == (Decimal("0.00"), 0, None)
    assert claim.total == claim.principal == Decimal("1210.00")


def test_a_consumer_renter_owes_legal_interest_from_the_demand_and_no_40_euros(
    app, create_workspace
):
    from tenants import db
    from tenants.models import Charge
    from tenants.services.collections import cases
    from tenants.services.receivables import payments
    from tenants.services.rentals import charges, leases, parties, properties

    workspace_id, _slug = create_workspace(name="Pisos Rosa")

    def book():
        prop = properties.create_property(
            name="Calle Mayor 12",
            street="Calle Mayor 12",
            postal_code="28013",
            city="Madrid",
            province="Madrid",
        )
        unit = properties.add_unit(prop.id, label="2º B")
        renter = parties.create_party(name="Javier Martín Ruiz", tax_id="12345678Z")
        lease = leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id,
                renter_ids=[renter.id],
                start_date=date(2025, 1, 1),
                rent="850",
                payment_method="cash",
            )
        )
        for month in (1, 2, 3):
            charges.generate_rent_charges(date(2025, month, 1))
        cases.take_in_overdue(date(2025, 3, 20), "landlord")
        db.session.flush()
        # January paid, February partly (150 of 850), March not at all.
        payments.record_payment(lease_id=lease.id, received_on=date(2025, 4, 10), amount="1000")
        case_id = db.session.scalar(select(Charge.case_id).where(Charge.lease_id == lease.id))
        post_formal_demand(cases.get_case(case_id), date(2025, 5, 2))
        return claim_of(case_id, date(2025, 6, 30))

    claim = in_tenant(app, workspace_id, book)

    assert [c.outstanding for c in claim.charges] == [Decimal("700.00"), Decimal("850.00")]
    assert claim.principal == Decimal("1550.00")
    assert claim.regime == "consumer" and claim.interest_from == date(2025, 5, 2)
    # 3.25 % legal interest of 2025, from the day after the demand to 30 June: 59 days.
    assert [(s.first_day, s.days, s.principal, s.amount) for s in claim.interest_segments] == [
        (date(2025, 5, 3), 59, Decimal("700.00"), Decimal("3.68")),
        (date(2025, 5, 3), 59, Decimal("850.00"), Decimal("4.47")),
    ]
    assert {s.rate for s in claim.interest_segments} == {Decimal("3.250")}
    assert (claim.compensation, claim.compensation_count) == (Decimal("0.00"), 0)
    assert claim.total == Decimal("1558.15")


# --- every reader says the same ---------------------------------------------------------------


@pytest.fixture
def rates_until_next_year(admin_engine):
    """Letters render on the real date: the last seeded rates are extended to cover it (the
    table is reseeded after each test)."""
    from tenants.clock import today_in_spain

    until = today_in_spain() + timedelta(days=366)
    with admin_engine.begin() as conn:
        for kind, rate in (("late_payment", "10.150"), ("legal", "3.250")):
            last = conn.execute(
                text("SELECT MAX(valid_to) FROM interest_rates WHERE kind = :k"), {"k": kind}
            ).scalar_one()
            last = date.fromisoformat(str(last))
            if last < until:
                conn.execute(
                    text(
                        "INSERT INTO interest_rates (kind, valid_from, valid_to, rate, source) "
                        "VALUES (:k, :start, :until, :rate, 'test')"
                    ),
                    {"k": kind, "start": last + timedelta(days=1), "until": until, "rate": rate},
                )


@pytest.fixture
def in_process_jobs(app, monkeypatch):
    """Jobs called in-process run in this app, as `flask worker` binds it."""
    from jobs import runtime

    monkeypatch.setattr(runtime, "_bound_app", app)


def render(tenant_id: int, letter_id: int) -> None:
    """Render the letter with the real job (its context and PDF are stored on the letter)."""
    from jobs.letters import render_letter

    render_letter(tenant_id, letter_id)


def letter_row(rows, letter_id: int) -> dict:
    [row] = rows("SELECT * FROM letters WHERE id = :id", id=letter_id)
    return row


def letter_text(app, sha256: str) -> str:
    from tenants.storage import DocumentStore

    return pdf_text(DocumentStore(app.config["DOCUMENTS_DIR"]).get(sha256))


def letter_money(value) -> str:
    from letters.render import format_money

    return " ".join(format_money(Decimal(value)).split())


def test_the_letter_the_portal_the_case_page_and_the_api_show_one_total_and_one_reference(
    app,
    create_workspace,
    make_client,
    rates_until_next_year,
    in_process_jobs,
    rows,
    money,
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Case, Workspace
    from tenants.services.collections import cases, letters
    from tenants.services.platform import workspaces
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    today = today_in_spain()
    workspace_id, slug = create_workspace(
        name="Suministros Ana", kind="business", owner_email="ana@example.com"
    )

    def book():
        db.session.get(Workspace, workspace_id).iban = IBAN
        client = parties.create_party(name="Talleres Norte SL", tax_id="B12345674")
        ids = [
            invoices.create_invoice(
                invoices.InvoiceInput(
                    party_id=client.id,
                    number=number,
                    issue_date=today - timedelta(days=days + 30),
                    due_date=today - timedelta(days=days),
                    total=total,
                )
            ).id
            for number, days, total in (("F-101", 70, "1210.00"), ("F-102", 40, "484.00"))
        ]
        cases.take_in_overdue(today, "business")
        db.session.flush()
        invoices.record_invoice_payment(
            ids[0], received_on=today - timedelta(days=20), amount="210"
        )
        case = cases.get_case(invoices.get_invoice(ids[0]).case_id)
        step = next(s for s in case.ladder.steps if s.kind == "formal_demand")
        step.channel = "postal"
        case.stage = step.position
        [demand] = letters.record_step_letters(case, step, [])
        _token, secret = workspaces.create_api_token(None, "accounting")
        return case.id, demand.id, secret

    case_id, demand_id, secret = in_tenant(app, workspace_id, book)
    render(workspace_id, demand_id)

    def post():
        letters.approve(demand_id, owner())
        letters.mark_posted([demand_id], posted_on=today, tracking={}, actor=owner(), today=today)
        return db.session.get(Case, case_id).portal_token

    token = in_tenant(app, workspace_id, post)
    demand = letter_row(rows, demand_id)
    context = demand["context"]
    total, reference = Decimal(context["total"]), f"AMP-C{case_id}"
    # Two invoices of a business, both late: interest and 2 × 40 EUR on 1000.00 + 484.00.
    assert total > Decimal("1564.00")

    # The letter, and the EPC QR code it prints (made from the context's total and remittance).
    text_of_letter = letter_text(app, demand["pdf_sha256"])
    assert letter_money(total) in text_of_letter and reference in text_of_letter
    assert context["reference"] == context["payment"]["remittance"] == reference

    # The debtor portal.
    portal = make_client().get(f"/p/{token}").get_data(as_text=True)
    assert money(total) in re.search(r'id="portal-balance">(.*?)<', portal).group(1)
    assert re.search(r'id="portal-reference">(.*?)<', portal).group(1) == reference

    # The case page.
    browser = make_client()
    login(browser, "ana@example.com")
    page = browser.get(f"/w/{slug}/cases/{case_id}").get_data(as_text=True)
    assert money(total) in re.search(r'id="claim-total">(.*?)<', page).group(1)
    assert re.search(r'id="claim-reference">(.*?)<', page).group(1) == reference

    # The API.
    body = (
        make_client()
        .get(f"/api/v1/cases/{case_id}/claim", headers={"Authorization": f"Bearer {secret}"})
        .get_json()
    )
    assert (Decimal(body["total"]), body["reference"]) == (total, reference)
    assert body["compensation"] == "80.00" and body["is_demand"] is True
    assert body["payee"] == {"beneficiary": "Suministros Ana", "iban": IBAN}


def test_every_letter_of_a_case_and_its_copies_carry_the_same_reference(
    app, landlord, make_case, in_process_jobs, rows
):
    from tenants import db
    from tenants.models import Case
    from tenants.services.collections import cases, letters

    data = make_case(landlord.id)

    def record(kind: str) -> list[int]:
        case = db.session.get(Case, data.case_id)
        step = next(s for s in case.ladder.steps if s.kind == kind)
        case.stage = step.position
        return [x.id for x in letters.record_step_letters(case, step, cases.guarantors_of(case.id))]

    letter_ids = in_tenant(app, landlord.id, lambda: record("reminder"))
    letter_ids += in_tenant(app, landlord.id, lambda: record("claim_1"))
    assert len(letter_ids) == 4  # the renter's and the guarantor's copy of each
    for letter_id in letter_ids:
        render(landlord.id, letter_id)

    reference = f"AMP-C{data.case_id}"
    for letter_id in letter_ids:
        row = letter_row(rows, letter_id)
        assert row["context"]["payment"]["remittance"] == reference
        assert reference in letter_text(app, row["pdf_sha256"])
    # The renter's two months, the same in both letters and both copies.
    totals = {letter_row(rows, i)["context"]["total"] for i in letter_ids}
    assert totals == {"1700.00"}


# --- the calendar of the deadline -------------------------------------------------------------


def _madrid_workspace_and_debtor(app, create_workspace, *, province, postal_code, city):
    """Suministros Ana, of Madrid, whose client (at the address given) has an invoice of 2025
    unpaid; returns (workspace_id, party_id, case_id)."""
    from tenants import db
    from tenants.models import Workspace
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")

    def book():
        workspace = db.session.get(Workspace, workspace_id)
        workspace.iban = IBAN
        workspace.street, workspace.postal_code = "Calle Mayor 1", "28013"
        workspace.city, workspace.province = "Madrid", "Madrid"
        client = parties.create_party(
            name="Talleres Norte SL",
            tax_id="B12345674",
            street="Carrer de Mallorca 10",
            postal_code=postal_code,
            city=city,
            province=province,
        )
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-1",
                issue_date=date(2025, 9, 1),
                due_date=date(2025, 9, 30),
                total="1210.00",
            )
        )
        cases.take_in_overdue(date(2025, 10, 1), "business")
        db.session.flush()
        return client.id, invoices.get_invoice(invoice.id).case_id

    party_id, case_id = in_tenant(app, workspace_id, book)
    return workspace_id, party_id, case_id


def test_a_debtor_in_barcelona_gets_catalonias_holidays_not_the_madrid_workspaces(
    app, create_workspace
):
    from tenants import db
    from tenants.models import Case, Party

    workspace_id, party_id, case_id = _madrid_workspace_and_debtor(
        app, create_workspace, province="Barcelona", postal_code="08008", city="Barcelona"
    )
    in_tenant(
        app,
        workspace_id,
        lambda: post_formal_demand(db.session.get(Case, case_id), date(2026, 12, 3)),
    )

    # Ten business days from Thursday 3 December 2026. In Cataluña, Monday 7 is a working day
    # (Constitution Day on Sunday 6 is not moved there); 8 December is national:
    #   4, 7, 9, 10, 11, 14, 15, 16, 17, 18 → Friday 18 December.
    claim = in_tenant(app, workspace_id, lambda: claim_of(case_id, date(2026, 12, 3)))
    assert (claim.deadline, claim.business_days, claim.calendar) == (
        date(2026, 12, 18),
        10,
        "CT",
    )

    # A debtor without an address: the workspace's calendar, Madrid, where 7 December is a
    # holiday: 4, 9, 10, 11, 14, 15, 16, 17, 18, 21 → Monday 21 December.
    def forget_the_address():
        party = db.session.get(Party, party_id)
        party.street = party.postal_code = party.city = party.province = None

    in_tenant(app, workspace_id, forget_the_address)
    claim = in_tenant(app, workspace_id, lambda: claim_of(case_id, date(2026, 12, 3)))
    assert (claim.deadline, claim.calendar) == (date(2026, 12, 21), "MD")


def test_the_demand_names_the_calendar_its_business_days_follow(
    app, create_workspace, rates_until_next_year, in_process_jobs, rows
):
    from tenants import db
    from tenants.clock import business_days_after, today_in_spain
    from tenants.models import Case
    from tenants.services.collections import letters

    workspace_id, _party_id, case_id = _madrid_workspace_and_debtor(
        app, create_workspace, province="", postal_code="08008", city="Barcelona"
    )

    def demand():
        case = db.session.get(Case, case_id)
        step = next(s for s in case.ladder.steps if s.kind == "formal_demand")
        step.channel = "postal"
        case.stage = step.position
        [letter] = letters.record_step_letters(case, step, [])
        return letter.id

    demand_id = in_tenant(app, workspace_id, demand)
    render(workspace_id, demand_id)

    row = letter_row(rows, demand_id)
    text_of_letter = letter_text(app, row["pdf_sha256"])
    # The province left empty, the postal code 08… says Barcelona: Cataluña's holidays.
    assert "Días hábiles según el calendario de Cataluña." in text_of_letter
    assert "Comunidad de Madrid" not in text_of_letter
    deadline = date.fromisoformat(row["context"]["payment"]["deadline"])
    assert deadline == business_days_after(today_in_spain(), 10, "CT")
