"""Instalment plans, with the services: the terms a plan must keep, who decides, the schedule,
the ladder held while it runs, reminders 3 days before, and the day after a missed one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.collections.conftest import days_from_today


@pytest.fixture
def in_case(app, landlord, make_case):
    """Inside Rosa's workspace: her case of two unpaid rents (1700 €), and Rosa."""
    from sqlalchemy import select

    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case, User

    data = make_case(landlord.id)
    with app.app_context(), tenant_context(landlord.id):
        case = db.session.get(Case, data.case_id)
        rosa = db.session.scalars(select(User).where(User.email == "rosa@example.com")).one()
        yield case, rosa
        db.session.rollback()


def propose(case, count=3, first=None, amount=None):
    from tenants.clock import today_in_spain
    from tenants.services.collections import instalments

    return instalments.propose(
        case,
        count=count,
        first_due_on=first or days_from_today(5),
        amount_each=amount,
        today=today_in_spain(),
    )


def refused(code, fn, *args, **kwargs):
    from tenants.services.errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.code
    return caught.value


def test_the_amounts_add_up_to_what_is_owed_the_last_taking_the_cents(in_case):
    case, _rosa = in_case
    plan = propose(case, count=3)
    assert plan.total == Decimal("1700.00")
    assert plan.amount_each == Decimal("566.66")
    assert plan.last_amount == Decimal("566.68")
    # A debtor's own amount is fine when it is the total divided by the count, to the cent.
    plan = propose(case, count=3, amount="566,67")
    assert plan.last_amount == Decimal("566.66")
    error = refused("instalments_sum", propose, case, count=3, amount="500")
    assert error.field == "amount_each"
    assert error.params["each"] == Decimal("566.66")
    assert error.params["total"] == Decimal("1700.00")


def test_counts_and_dates_a_plan_may_have(in_case):
    case, _rosa = in_case
    assert refused("instalments_count", propose, case, count=1).field == "count"
    assert refused("instalments_count", propose, case, count=13).field == "count"
    assert refused("instalments_count", propose, case, count="tres").field == "count"
    assert propose(case, count=12).count == 12
    past = refused("instalments_first_past", propose, case, first=days_from_today(-1))
    assert past.field == "first_due_on"
    far = refused("instalments_first_far", propose, case, first=days_from_today(61))
    assert far.params["latest"] == days_from_today(60)
    assert propose(case, first=days_from_today(60)).first_due_on == days_from_today(60)


def test_a_new_proposal_replaces_the_open_one(in_case):
    from tenants.services.collections import instalments

    case, _rosa = in_case
    first = propose(case)
    second = propose(case, count=4)
    assert first.status == "superseded"
    assert instalments.live_plan(case.id) == second


def test_accepting_builds_the_schedule_and_holds_the_ladder(in_case):
    from tenants.clock import today_in_spain
    from tenants.services.collections import cases, instalments

    case, rosa = in_case
    plan = propose(case, count=3, first=days_from_today(31))
    instalments.decide(plan.id, decision="accept", actor=rosa, today=today_in_spain())
    assert plan.status == "accepted"
    assert [(i.position, i.amount, i.status) for i in plan.instalments] == [
        (1, Decimal("566.66"), "pending"),
        (2, Decimal("566.66"), "pending"),
        (3, Decimal("566.68"), "pending"),
    ]
    assert [i.due_on for i in plan.instalments] == instalments.due_dates(days_from_today(31), 3)
    assert (case.status, case.pause_reason, case.next_action_at) == ("paused", "plan", None)
    kinds = [e.kind for e in cases.timeline(case.id)]
    assert {"plan_proposed", "plan_accepted", "plan_paused"} <= set(kinds)
    # While it runs, the debtor cannot propose another one.
    refused("instalments_running", propose, case)


def test_rejecting_needs_a_reason_the_debtor_sees(in_case):
    from tenants.clock import today_in_spain
    from tenants.services.collections import instalments

    case, rosa = in_case
    plan = propose(case)
    refused(
        "required",
        instalments.decide,
        plan.id,
        decision="reject",
        actor=rosa,
        today=today_in_spain(),
    )
    instalments.decide(
        plan.id, decision="reject", actor=rosa, today=today_in_spain(), reason="Demasiado largo"
    )
    assert (plan.status, plan.reject_reason) == ("rejected", "Demasiado largo")
    assert case.status == "open"
    refused(
        "instalments_not_open",
        instalments.decide,
        plan.id,
        decision="accept",
        actor=rosa,
        today=today_in_spain(),
    )


def test_a_counter_proposal_is_accepted_by_the_debtor(in_case):
    from tenants.clock import today_in_spain
    from tenants.services.collections import instalments

    case, rosa = in_case
    plan = propose(case, count=6)
    counter = instalments.decide(
        plan.id,
        decision="counter",
        actor=rosa,
        today=today_in_spain(),
        count=2,
        first_due_on=days_from_today(3),
        amount_each=None,
    )
    assert plan.status == "countered"
    assert (counter.status, counter.count, counter.counter_of_id) == ("offered", 2, plan.id)
    # The creditor cannot accept her own offer as if the debtor had proposed it.
    refused(
        "instalments_not_open",
        instalments.decide,
        counter.id,
        decision="accept",
        actor=rosa,
        today=today_in_spain(),
    )
    instalments.accept_offer(case, counter.id, today=today_in_spain())
    assert counter.status == "accepted"
    assert [i.amount for i in counter.instalments] == [Decimal("850.00"), Decimal("850.00")]
    assert case.pause_reason == "plan"


def test_a_viewer_cannot_decide(in_case, app, landlord, viewer):
    from sqlalchemy import select

    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import User
    from tenants.permissions import NotAllowed
    from tenants.services.collections import instalments

    case, _rosa = in_case
    plan = propose(case)
    luis = db.session.scalars(select(User).where(User.email == "luis@example.com")).one()
    with pytest.raises(NotAllowed):
        instalments.decide(plan.id, decision="accept", actor=luis, today=today_in_spain())
    with pytest.raises(NotAllowed):
        instalments.offer(
            case.id,
            count=2,
            first_due_on=days_from_today(3),
            amount_each=None,
            actor=luis,
            today=today_in_spain(),
        )


def test_another_workspaces_plan_is_not_found(app, in_case, create_workspace):
    from tenants.db import tenant_context
    from tenants.services.collections import instalments
    from tenants.services.errors import NotFound

    case, _rosa = in_case
    plan = propose(case)
    other_id, _slug = create_workspace(name="Otro", owner_email="otro@example.com")
    with tenant_context(other_id), pytest.raises(NotFound):
        instalments.get_plan(plan.id)


def accepted_plan(case, rosa, first_in_days=10):
    from tenants.clock import today_in_spain
    from tenants.services.collections import instalments

    plan = propose(case, count=3, first=days_from_today(first_in_days))
    instalments.decide(plan.id, decision="accept", actor=rosa, today=today_in_spain())
    return plan


def test_reminders_three_days_before_each_instalment_once(in_case):
    from tenants.services.collections import instalments

    case, rosa = in_case
    plan = accepted_plan(case, rosa)
    first = plan.instalments[0]
    assert instalments.reminders_due(first.due_on - timedelta(days=4)) == []
    assert instalments.reminders_due(first.due_on - timedelta(days=3)) == [first.id]
    assert instalments.mark_reminded(first.id, first.due_on - timedelta(days=3))
    assert not instalments.mark_reminded(first.id, first.due_on - timedelta(days=3))
    assert instalments.reminders_due(first.due_on - timedelta(days=2)) == []


def test_a_missed_instalment_breaks_the_plan_and_the_ladder_resumes_the_day_after(in_case):
    from tenants.clock import date_in_spain
    from tenants.services.collections import cases, instalments

    case, rosa = in_case
    plan = accepted_plan(case, rosa)
    first = plan.instalments[0]
    assert instalments.break_missed(first.due_on) == []  # its own day: still time to pay
    assert case.status == "paused"
    day_after = first.due_on + timedelta(days=1)
    assert instalments.break_missed(day_after) == [plan.id]
    assert (first.status, plan.status) == ("missed", "broken")
    assert case.status == "open" and case.pause_reason is None
    assert date_in_spain(case.next_action_at) >= day_after
    kinds = [e.kind for e in cases.timeline(case.id)]
    assert "plan_missed" in kinds and "plan_broken" in kinds
    assert instalments.break_missed(day_after + timedelta(days=1)) == []  # once


def test_a_case_paid_off_otherwise_is_reminded_and_broken_no_more(in_case):
    from tenants.clock import today_in_spain
    from tenants.services.collections import cases, instalments
    from tenants.services.receivables import payments

    case, rosa = in_case
    plan = accepted_plan(case, rosa)
    [lease_id] = {c.lease_id for c in cases.open_charges(case.id)}
    payments.record_payment(lease_id=lease_id, received_on=today_in_spain(), amount="1700")
    assert case.status == "closed"
    first = plan.instalments[0]
    assert instalments.reminders_due(first.due_on - timedelta(days=3)) == []
    assert instalments.break_missed(first.due_on + timedelta(days=1)) == []
    assert instalments.payable(case.id) is None
    assert instalments.charge(first.id, first.due_on) is None


def test_the_creditor_ends_a_running_plan_with_a_reason_and_the_ladder_resumes(in_case):
    from tenants.clock import date_in_spain, today_in_spain
    from tenants.services.collections import cases, instalments

    case, rosa = in_case
    plan = accepted_plan(case, rosa)
    today = today_in_spain()
    refused("required", instalments.cancel, plan.id, actor=rosa, today=today, reason=" ")
    assert plan.status == "accepted" and case.status == "paused"
    instalments.cancel(plan.id, actor=rosa, today=today, reason="Lo pidió la inquilina.")
    assert (plan.status, plan.ended_on, plan.reject_reason) == (
        "cancelled",
        today,
        "Lo pidió la inquilina.",
    )
    assert case.status == "open" and case.pause_reason is None
    assert date_in_spain(case.next_action_at) >= today
    kinds = [e.kind for e in cases.timeline(case.id)]
    assert "plan_cancelled" in kinds and "plan_ended" in kinds
    # Its instalments are reminded, debited and broken no more; it cannot be ended twice.
    first = plan.instalments[0]
    assert instalments.reminders_due(first.due_on - timedelta(days=3)) == []
    assert instalments.charges_due(first.due_on) == []
    assert instalments.payable(case.id) is None
    refused(
        "instalments_not_running",
        instalments.cancel,
        plan.id,
        actor=rosa,
        today=today,
        reason="Otra vez",
    )
