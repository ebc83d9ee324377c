"""The ladder's clock, with the services alone: intake, steps, gaps, pauses, payments.

The sweep is called with an explicit `now`, so the clock moves without waiting. Rendering and
delivery (jobs) are tested in tests/jobs; here only the Letter rows and the case matter.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

import pytest

_numbers = itertools.count(1)


def at(day: date) -> datetime:
    """Noon in Madrid that day (the sweep's letters are due from 9:00)."""
    return datetime.combine(day, time(11, 0), tzinfo=UTC)


@pytest.fixture
def landlord(app, create_workspace):
    from tenants import db
    from tenants.db import tenant_context

    workspace_id, _slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        yield workspace_id
        db.session.rollback()


@pytest.fixture
def rent_debt(landlord):
    """A lease from January 2026 with one unpaid rent (800 €, due 1 February 2026), a renter
    and a guarantor with email addresses."""
    from tenants.services.rentals import charges, leases, parties, properties

    n = next(_numbers)
    building = properties.create_property(
        name=f"Edificio {n}",
        street="Calle Mayor 1",
        postal_code="28013",
        city="Madrid",
        province="Madrid",
    )
    unit = properties.add_unit(building.id, label="1º A")
    renter = parties.create_party(name="Lucía Inquilina", email=f"lucia{n}@example.com")
    guarantor = parties.create_party(name="Pedro Avalista", email=f"pedro{n}@example.com")
    lease = leases.create_lease(
        leases.LeaseInput(
            unit_id=unit.id,
            renter_ids=[renter.id],
            guarantor_ids=[guarantor.id],
            start_date=date(2026, 2, 1),
            rent="800.00",
            payment_method="transfer",
            iban="ES9121000418450200051332",
        )
    )
    charges.generate_rent_charges(date(2026, 2, 1))
    return lease


def sweep(day: date):
    from tenants.services.collections import sweep as sweeping

    return sweeping.sweep(at(day))


def the_case():
    from sqlalchemy import select

    from tenants.db import session
    from tenants.models import Case

    return session.scalars(select(Case)).one()


def letters_sent():
    from sqlalchemy import select

    from tenants.db import session
    from tenants.models import Letter

    return list(session.scalars(select(Letter).order_by(Letter.id)))


def test_an_unpaid_rent_climbs_the_default_ladder(rent_debt):
    assert sweep(date(2026, 2, 1)).as_dict()["opened"] == 0  # not overdue on its due day
    result = sweep(date(2026, 2, 2))
    assert result.as_dict()["opened"] == 1 and result.letters == 0  # the reminder is at +3
    case = the_case()
    assert case.next_action_at == datetime(2026, 2, 4, 8, 0, tzinfo=UTC)  # 9:00 in Madrid

    assert sweep(date(2026, 2, 4)).letters == 2  # the renter and the guarantor's copy
    debtor, copy = letters_sent()
    assert (debtor.kind, debtor.channel, debtor.party.name) == (
        "reminder",
        "email",
        "Lucía Inquilina",
    )
    assert copy.copy_of_id == debtor.id and copy.party.name == "Pedro Avalista"
    assert sweep(date(2026, 2, 4)).letters == 0  # the same day again: nothing twice

    kinds = []
    for day in (date(2026, 2, 11), date(2026, 2, 21), date(2026, 3, 3), date(2026, 3, 18)):
        sweep(day)
        kinds.append(letters_sent()[-2].kind)
    assert kinds == ["claim_1", "claim_2", "formal_demand", "certified_demand"]
    certified = letters_sent()[-2]
    assert certified.channel == "certified" and certified.needs_approval
    sweep(date(2026, 4, 2))
    assert the_case().stage == 6 and the_case().next_action_at is None
    from tenants.services.collections import cases

    assert [e.kind for e in cases.timeline(the_case().id)][0] == "escalation_proposed"


def test_a_very_late_debt_starts_at_the_step_its_age_calls_for(rent_debt):
    result = sweep(date(2026, 3, 23))  # 50 days late when Amparo first sees it
    assert result.letters == 2
    assert {letter.kind for letter in letters_sent()} == {"certified_demand"}
    case = the_case()
    # The next step: a lawyer is proposed at 60 days.
    assert case.next_action_at == datetime(2026, 4, 2, 7, 0, tzinfo=UTC)


def test_the_minimum_gap_keeps_contacts_apart(rent_debt):
    from tenants.services.collections import ladders

    ladder = ladders.workspace_ladder("landlord")
    ladder.min_gap_days = 15
    sweep(date(2026, 2, 4))  # reminder
    sweep(date(2026, 2, 11))  # claim 1 would be due, but the gap says 19 February
    assert [letter.kind for letter in letters_sent()][-1] != "claim_1"
    assert the_case().next_action_at.date() == date(2026, 2, 19)


def test_full_payment_closes_the_case_and_cancels_unsent_letters(rent_debt):
    from tenants.services.receivables import payments

    sweep(date(2026, 3, 3))  # very late already: the formal demand, awaiting approval
    waiting = letters_sent()
    assert all(letter.status == "rendering" for letter in waiting)
    payments.record_payment(lease_id=rent_debt.id, received_on=date(2026, 3, 4), amount="800")
    case = the_case()
    assert (case.status, case.closed_reason, case.next_action_at) == ("closed", "paid", None)
    assert {letter.status for letter in letters_sent()} == {"cancelled"}
    assert sweep(date(2026, 4, 30)).letters == 0


def test_partial_payment_reanchors_the_ladder(rent_debt):
    from tenants.services.receivables import payments

    sweep(date(2026, 2, 4))  # reminder (day 3)
    for letter in letters_sent():
        letter.status = "sent"  # as the delivery job would
    payments.record_payment(lease_id=rent_debt.id, received_on=date(2026, 2, 8), amount="300")
    case = the_case()
    assert case.status == "open"
    # Claim 1 was 7 days after the reminder: now 7 days after the payment.
    assert case.next_action_at.date() == date(2026, 2, 15)
    sweep(date(2026, 2, 15))
    assert letters_sent()[-2].kind == "claim_1"


def test_partial_payment_retakes_a_step_whose_letter_had_not_left(rent_debt):
    from tenants.services.receivables import payments

    sweep(date(2026, 2, 4))  # the reminder is still being rendered
    payments.record_payment(lease_id=rent_debt.id, received_on=date(2026, 2, 8), amount="300")
    assert {letter.status for letter in letters_sent()} == {"cancelled"}
    case = the_case()
    assert (case.stage, case.cycle) == (0, 2)
    sweep(date(2026, 2, 11))
    reminder = letters_sent()[-2]
    assert (reminder.kind, reminder.cycle, reminder.status) == ("reminder", 2, "rendering")


def test_dispute_pauses_until_resumed(rent_debt):
    from tenants.services.collections import case_actions

    sweep(date(2026, 2, 4))
    case = the_case()
    case_actions.pause_case(
        case.id,
        reason="dispute",
        note="Dice que pagó en efectivo",
        until=None,
        actor=None,
        today=date(2026, 2, 5),
    )
    assert sweep(date(2026, 3, 30)).letters == 0
    case_actions.resume_case(case.id, actor=None, today=date(2026, 4, 1))
    assert the_case().next_action_at.date() == date(2026, 4, 1)
    assert sweep(date(2026, 4, 1)).letters == 2


def test_a_broken_promise_resumes_the_day_after(rent_debt):
    from tenants.services.collections import case_actions, cases

    sweep(date(2026, 2, 4))
    case = the_case()
    case_actions.pause_case(
        case.id,
        reason="promise",
        note="",
        until=date(2026, 2, 20),
        actor=None,
        today=date(2026, 2, 5),
        amount="800",
    )
    assert sweep(date(2026, 2, 20)).letters == 0
    assert sweep(date(2026, 2, 21)).letters == 2
    kinds = [e.kind for e in cases.timeline(case.id)]
    assert "promise_broken" in kinds


def test_a_paused_charge_is_left_out(rent_debt):
    from sqlalchemy import select

    from tenants.db import session
    from tenants.models import Charge
    from tenants.services.collections import case_actions

    sweep(date(2026, 2, 2))
    charge = session.scalars(select(Charge)).one()
    case_actions.pause_charge(
        charge.id,
        until=date(2026, 3, 1),
        reason="Reparación pendiente",
        actor=None,
        today=date(2026, 2, 3),
    )
    assert sweep(date(2026, 2, 4)).letters == 0
    assert the_case().next_action_at.date() == date(2026, 3, 1)
    assert sweep(date(2026, 3, 1)).letters == 2


def test_bad_pause_input_changes_nothing(rent_debt):
    from tenants.services.collections import case_actions
    from tenants.services.errors import ServiceError

    sweep(date(2026, 2, 4))
    case = the_case()
    with pytest.raises(ServiceError) as error:
        case_actions.pause_case(
            case.id,
            reason="promise",
            note="",
            until=date(2026, 2, 1),
            actor=None,
            today=date(2026, 2, 5),
        )
    assert error.value.code == "date_not_future"
    assert the_case().status == "open"
