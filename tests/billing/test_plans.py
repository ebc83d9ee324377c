"""Plans enforced in the services: what each plan refuses (naming the plan that allows it), what
comes back on upgrade, trials and grace periods ending, and the owners hearing of it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.collections import conftest as collections_fixtures

make_case = collections_fixtures.make_case  # the fixture, here too

RENTER_EMAIL = "javier@example.com"


@pytest.fixture
def on_plan(app):
    """Put the current workspace on a plan (as the demo does, without Stripe)."""
    from tenants import db
    from tenants.services.billing import plans

    def put(code: str, status: str = "active") -> None:
        plans.put_on(code, reason="test", status=status)
        db.session.flush()

    return put


@pytest.fixture
def landlord(app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, _slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        yield workspace_id
        db.session.rollback()


@pytest.fixture
def business(app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, _slug = create_workspace(name="Suministros Ana", kind="business")
    with app.app_context(), tenant_context(workspace_id):
        yield workspace_id
        db.session.rollback()


def _lease(n: int):
    from tenants.services.rentals import leases, parties, properties

    building = properties.create_property(
        name=f"Edificio {n}",
        street=f"Calle Mayor {n}",
        postal_code="28013",
        city="Madrid",
        province="Madrid",
    )
    unit = properties.add_unit(building.id, label="1º A")
    renter = parties.create_party(name=f"Inquilina {n}")
    return leases.create_lease(
        leases.LeaseInput(
            unit_id=unit.id,
            renter_ids=[renter.id],
            start_date=date(2026, 1, 1),
            rent="800.00",
            payment_method="cash",
        )
    )


def _invoice(number: str, client_id: int):
    from tenants.services.receivables import invoices

    return invoices.create_invoice(
        invoices.InvoiceInput(
            party_id=client_id,
            number=number,
            issue_date=date(2026, 11, 1),
            due_date=date(2026, 12, 1),
            total="121.00",
        )
    )


def test_a_new_workspace_trials_profesional_for_14_days_then_drops_to_gratis(landlord):
    from tenants.db import utcnow
    from tenants.services.billing import plans

    sub = plans.subscription()
    assert (sub.plan_code, sub.status) == ("profesional", "trialing")
    assert timedelta(days=13, hours=23) < sub.trial_ends_at - utcnow() <= timedelta(days=14)
    assert plans.plan_in_force().code == "profesional"
    plans.require("api")  # everything is allowed during the trial
    # The day after the trial ends the plan in force is Gratis, even before the cron says so.
    assert plans.plan_in_force(sub.trial_ends_at + timedelta(seconds=1)).code == "gratis"


def test_plans_are_data_with_prices_limits_and_features(landlord):
    from decimal import Decimal

    from tenants.services.billing import plans

    found = {p.code: p for p in plans.all_plans()}
    assert [p.code for p in plans.all_plans()] == ["gratis", "proteccion", "profesional"]
    assert found["gratis"].limits == {"leases": 10, "invoices": 50}
    assert found["proteccion"].monthly_price == Decimal("19.00")
    assert found["profesional"].monthly_price == Decimal("49.00")
    assert (found["proteccion"].name_es, found["proteccion"].name_en) == (
        "Protección",
        "Protection",
    )
    assert plans.needed_for("paper_letters") == "proteccion"
    assert plans.needed_for("api") == "profesional"


def test_gratis_refuses_the_11th_lease_and_protection_allows_it(landlord, on_plan):
    from tenants.services.billing.plans import PlanRequired

    on_plan("gratis")
    for n in range(10):
        _lease(n)
    with pytest.raises(PlanRequired) as refused:
        _lease(10)
    assert (refused.value.feature, refused.value.needed_plan) == ("leases", "proteccion")
    on_plan("proteccion")
    _lease(11)  # restored on upgrade


def test_gratis_refuses_the_51st_invoice_owed_and_the_import_beyond(business, on_plan):
    from tenants.services.billing.plans import PlanRequired
    from tenants.services.receivables import invoice_import
    from tenants.services.rentals import parties

    on_plan("gratis")
    client = parties.create_party(name="Cliente SL", tax_id="B12345674")
    for n in range(49):
        _invoice(f"F-{n}", client.id)
    csv = "numero;nif;cliente;fecha;vencimiento;total\n" + "".join(
        f"I-{n};B12345674;Cliente SL;01/11/2026;01/12/2026;121,00\n" for n in range(2)
    )
    table = invoice_import.read_table(csv.encode())
    mapping = invoice_import.guess_mapping(table.headers)
    with pytest.raises(PlanRequired) as refused:
        invoice_import.import_invoices(table, mapping)  # 49 + 2 > 50
    assert refused.value.needed_plan == "proteccion"
    _invoice("F-49", client.id)  # the 50th is fine
    with pytest.raises(PlanRequired):
        _invoice("F-50", client.id)
    on_plan("profesional")
    _invoice("F-50", client.id)


def test_gratis_ladder_editor_refuses_claim_letters_and_paper_but_keeps_what_is_there(
    landlord, on_plan
):
    from tenants.models import User
    from tenants.services.billing.plans import PlanRequired
    from tenants.services.collections import ladders
    from tenants.services.platform.accounts import find_user_by_email

    on_plan("gratis")
    owner: User = find_user_by_email("ana@example.com")
    ladder = ladders.workspace_ladder("landlord")
    steps = [
        ladders.StepInput(s.kind, s.delay_days, s.anchor, s.channel, s.needs_approval)
        for s in ladder.steps
    ]

    def save(new_steps):
        return ladders.update_ladder(
            ladder.id,
            actor=owner,
            name="Impagos",
            min_gap_days=5,
            payment_days=10,
            credit_file_warning=False,
            credit_file_name="",
            steps=new_steps,
        )

    save(steps)  # the steps already there stay (they wait for a plan; nothing is deleted)
    with pytest.raises(PlanRequired) as refused:  # a claim letter by email where the reminder was
        save([ladders.StepInput("claim_1", 3, "due", "email", False), *steps[1:]])
    assert refused.value.needed_plan == "proteccion"
    with pytest.raises(PlanRequired) as refused:  # a reminder on paper
        save([ladders.StepInput("reminder", 3, "due", "postal", False), *steps[1:]])
    assert (refused.value.feature, refused.value.needed_plan) == ("paper_letters", "proteccion")
    on_plan("proteccion")
    save([ladders.StepInput("reminder", 3, "due", "postal", False), *steps[1:]])


def test_gratis_invites_nobody_beyond_the_first_member(landlord, on_plan):
    from tenants.models import Workspace
    from tenants.services.billing.plans import PlanRequired
    from tenants.services.platform import workspaces
    from tenants.services.platform.accounts import find_user_by_email

    workspace = workspaces.session.get(Workspace, landlord)
    owner = find_user_by_email("ana@example.com")
    on_plan("proteccion")
    with pytest.raises(PlanRequired) as refused:
        workspaces.invite_member(workspace, owner, "luis@example.com", "manager")
    assert refused.value.needed_plan == "profesional"
    on_plan("profesional")
    workspaces.invite_member(workspace, owner, "luis@example.com", "manager")


def _due_now(case_id: int, stage: int):
    """Move the case to `stage` done, its next step due now; returns the sweep's moment."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import Case
    from tenants.services.collections import cases

    case = db.session.get(Case, case_id)
    case.stage = stage
    moment = cases.action_time(today_in_spain()) + timedelta(minutes=1)
    case.next_action_at = moment - timedelta(minutes=2)
    db.session.flush()
    return moment


def _case_events(case_id: int) -> list:
    from tenants import db
    from tenants.models import CaseEvent

    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


def _letters(case_id: int) -> list:
    from tenants import db
    from tenants.models import Letter

    return list(db.session.scalars(select(Letter).where(Letter.case_id == case_id)))


def test_the_sweep_waits_on_gratis_and_a_subscription_webhook_resumes_it(
    app, create_workspace, make_case
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case
    from tenants.services.billing import plans
    from tenants.services.collections import sweep

    tenant_id, _slug = create_workspace()
    data = make_case(tenant_id)
    with app.app_context(), tenant_context(tenant_id):
        plans.put_on("gratis", reason="test")
        moment = _due_now(data.case_id, 1)  # the reminder went; the first claim letter is due
        before = len(_letters(data.case_id))
        result = sweep.sweep(moment)
        assert result.waiting_for_plan == 1 and result.letters == 0
        assert len(_letters(data.case_id)) == before  # no claim letter on Gratis
        waits = [e for e in _case_events(data.case_id) if e.kind == "needs_plan"]
        assert [(e.detail["step"], e.detail["plan"]) for e in waits] == [("claim_1", "proteccion")]
        case = db.session.get(Case, data.case_id)
        assert case.status == "open" and case.next_action_at is None  # waits, nothing deleted
        assert sweep.sweep(moment).waiting_for_plan == 0  # said once, not every 15 minutes

        # Subscribing to Protección (as the subscription webhook records it) resumes the case.
        price = plans.get_plan("proteccion").stripe_price_id
        plans.apply_stripe_subscription(
            {
                "id": "sub_1",
                "object": "subscription",
                "status": "active",
                "customer": "cus_1",
                "items": {"data": [{"price": {"id": price}}]},
            }
        )
        assert case.next_action_at is not None
        result = sweep.sweep(max(moment, case.next_action_at))
        assert result.letters >= 1
        assert "claim_1" in {letter.kind for letter in _letters(data.case_id)}
        db.session.commit()


def test_escalation_waits_for_profesional_and_a_waiting_demand_cannot_be_approved(
    app, create_workspace, make_case
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Letter
    from tenants.services.billing import plans
    from tenants.services.billing.plans import PlanRequired
    from tenants.services.collections import ladders, letters, sweep
    from tenants.services.platform.accounts import find_user_by_email

    tenant_id, _slug = create_workspace()
    data = make_case(tenant_id)
    with app.app_context(), tenant_context(tenant_id):
        plans.put_on("proteccion", reason="test")
        ladder = ladders.workspace_ladder("landlord")
        escalation = next(s for s in ladder.steps if s.kind == "escalation")
        moment = _due_now(data.case_id, escalation.position - 1)
        result = sweep.sweep(moment)
        assert result.escalations == 0 and result.waiting_for_plan == 1
        [wait] = [e for e in _case_events(data.case_id) if e.kind == "needs_plan"]
        assert wait.detail == {"step": "escalation", "plan": "profesional"}

        # A formal demand written on Protección waits for approval; on Gratis it stays waiting.
        demand = next(s for s in ladder.steps if s.kind == "formal_demand")
        moment = _due_now(data.case_id, demand.position - 1)
        sweep.sweep(moment)
        letter = db.session.scalar(
            select(Letter).where(Letter.case_id == data.case_id, Letter.kind == "formal_demand")
        )
        letter.status = "awaiting_approval"
        plans.put_on("gratis", reason="test")
        owner = find_user_by_email("ana@example.com")
        with pytest.raises(PlanRequired) as refused:
            letters.approve(letter.id, owner)
        assert refused.value.needed_plan == "proteccion"
        assert letter.status == "awaiting_approval"
        db.session.rollback()


def test_a_failed_renewal_keeps_the_plan_7_days_then_cron_suspends_and_payment_restores(
    app, create_workspace, run_worker, inbox
):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import ActivityEvent
    from tenants.services.billing import plans

    tenant_id, _slug = create_workspace()
    failed_at = utcnow()
    with app.app_context(), tenant_context(tenant_id):
        plans.put_on("proteccion", reason="test")
        plans.invoice_failed(failed_at)
        sub = plans.subscription()
        assert sub.status == "past_due"
        assert sub.grace_ends_at == failed_at + timedelta(days=7)
        plans.invoice_failed(failed_at + timedelta(days=3))  # Stripe's retry: no new grace
        assert sub.grace_ends_at == failed_at + timedelta(days=7)
        db.session.commit()
    with app.app_context():
        assert plans.expire_due(failed_at + timedelta(days=6, hours=23)) == 0
        db.session.commit()
        with tenant_context(tenant_id):
            plans.require("ladder")  # still in grace
        assert plans.expire_due(failed_at + timedelta(days=7, minutes=1)) == 1
        db.session.commit()
        with tenant_context(tenant_id):
            assert plans.subscription().status == "suspended"
            with pytest.raises(plans.PlanRequired):
                plans.require("ladder")
            changes = db.session.scalars(
                select(ActivityEvent).where(ActivityEvent.action == "plan.changed")
            ).all()
            assert [c.detail["status"] for c in changes][-2:] == ["past_due", "suspended"]
            plans.invoice_paid()  # the customer paid: everything is back
            assert plans.subscription().status == "active"
            assert plans.subscription().grace_ends_at is None
            plans.require("ladder")
            db.session.commit()
    run_worker()
    subjects = [m["Subject"] for m in inbox.to("ana@example.com")]
    assert any("suspendido" in s for s in subjects), subjects
    assert any("ha fallado" in s for s in subjects), subjects


def test_cron_ends_a_trial_without_subscription_on_the_right_day(app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans

    tenant_id, _slug = create_workspace()
    with app.app_context(), tenant_context(tenant_id):
        ends = plans.subscription().trial_ends_at
    with app.app_context():
        assert plans.expire_due(ends - timedelta(minutes=1)) == 0
        assert plans.expire_due(ends + timedelta(minutes=1)) == 1
        db.session.commit()
        with tenant_context(tenant_id):
            sub = plans.subscription()
            assert (sub.plan_code, sub.status) == ("gratis", "active")


def test_the_demo_business_is_on_profesional_and_the_landlord_s_plan_lapsed(app):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans
    from tenants.services.platform import workspaces
    from tests.web.test_demo_history import seed

    seed(app)
    with app.app_context():
        business = workspaces.workspace_by_slug("demo-business")
        with tenant_context(business.id):
            sub = plans.subscription()
            assert (sub.plan_code, sub.status, sub.trial_ends_at) == ("profesional", "active", None)
            plans.require("api")
            plans.require("escalation")
        # The landlord's renewal failed and its grace ended: it works as on Gratis (and its
        # badge is suspended, tests/web/test_demo_badge.py).
        landlord = workspaces.workspace_by_slug("demo-landlord")
        with tenant_context(landlord.id):
            sub = plans.subscription()
            assert (sub.plan_code, sub.status) == ("profesional", "suspended")
            assert plans.plan_in_force().code == "gratis"
            assert not plans.has("badge")
        db.session.rollback()
