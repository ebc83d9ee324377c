"""The law firm's inbox as a service (tenants/services/escalations/inbox.py): answering an offer,
moving the status, the outcome and its fee, the thread, and what the firm sees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.escalations import inbox_helpers
from tests.escalations.inbox_helpers import RENTER, escalate, make_firm

# The fixtures (make_case: tests/collections, also when this package's conftest has none).
inbox_world, make_case = inbox_helpers.inbox_world, inbox_helpers.make_case


def as_firm(world, firm_id: int, fn):
    """Run `fn` as a request of the firm would: the firm's workspace is the current tenant."""
    from tenants import db
    from tenants.db import tenant_context

    with world.app.app_context(), tenant_context(firm_id):
        try:
            result = fn()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def accepted(world, firm=None):
    from tenants.services.escalations import inbox

    firm = firm or world.uno
    lola = world.user("lola@example.com")
    as_firm(world, firm.id, lambda: inbox.accept(world.escalation_id, actor=lola, no_conflict=True))
    return lola


def case_lines(world) -> list[dict]:
    from tenants import db
    from tenants.models import CaseEvent

    return world.run(
        world.creditor_id,
        lambda: [
            e.detail
            for e in db.session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == world.case_id, CaseEvent.kind == "escalation")
                .order_by(CaseEvent.id)
            )
        ],
    )


# --- answering the offer -------------------------------------------------------------------------


def test_accepting_needs_the_no_conflict_declaration_and_records_who(inbox_world, rows):
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = world.user("lola@example.com")
    with pytest.raises(ServiceError) as refused:
        as_firm(
            world,
            world.uno.id,
            lambda: inbox.accept(world.escalation_id, actor=lola, no_conflict=False),
        )
    assert refused.value.code == "no_conflict_required"
    assert world.escalation().status == "offered"

    as_firm(
        world, world.uno.id, lambda: inbox.accept(world.escalation_id, actor=lola, no_conflict=True)
    )

    escalation = world.escalation()
    assert escalation.status == "accepted"
    assert escalation.accepted_by_id == lola.id and escalation.accepted_at is not None
    [offer] = rows("SELECT answer, answered_by_id, no_conflict FROM escalation_offers")
    assert offer == {"answer": "accepted", "answered_by_id": lola.id, "no_conflict": True}
    # The creditor's case says so, and an email is asked for.
    assert [line["what"] for line in case_lines(world)] == ["offered", "accepted"]
    [email] = rows(
        "SELECT args FROM outbox WHERE topic = 'jobs.escalations:escalation_email' "
        "ORDER BY id DESC LIMIT 1"
    )
    assert email["args"][:2] == [world.creditor_id, world.escalation_id]


def test_an_answered_or_expired_offer_cannot_be_accepted(inbox_world):
    from tenants import db
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = accepted(world)
    with pytest.raises(ServiceError) as again:
        as_firm(
            world,
            world.uno.id,
            lambda: inbox.accept(world.escalation_id, actor=lola, no_conflict=True),
        )
    assert again.value.code == "offer_answered"

    late = escalate(
        world.app,
        world.creditor_id,
        world.case_id,
        world.uno.id,
        now=db.utcnow() - timedelta(hours=49),
    )
    with pytest.raises(ServiceError) as expired:
        as_firm(world, world.uno.id, lambda: inbox.accept(late, actor=lola, no_conflict=True))
    assert expired.value.code == "offer_expired"


def test_declining_needs_a_reason_and_the_next_firm_that_fits_gets_it(inbox_world, rows):
    from tenants.services.errors import NotFound, ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    uno = world.user("uno@example.com")
    with pytest.raises(ServiceError) as refused:
        as_firm(
            world, world.uno.id, lambda: inbox.decline(world.escalation_id, actor=uno, reason=" ")
        )
    assert (refused.value.code, refused.value.field) == ("required", "reason")
    assert world.escalation().firm_id == world.uno.id

    as_firm(
        world,
        world.uno.id,
        lambda: inbox.decline(world.escalation_id, actor=uno, reason="Llevamos al arrendatario"),
    )

    escalation = world.escalation()
    assert (escalation.status, escalation.firm_id) == ("offered", world.dos.id)
    answers = rows("SELECT firm_id, answer, reason FROM escalation_offers ORDER BY id")
    assert answers == [
        {"firm_id": world.uno.id, "answer": "declined", "reason": "Llevamos al arrendatario"},
        {"firm_id": world.dos.id, "answer": None, "reason": ""},
    ]
    # Gone from the first firm: as if it never existed; the second firm has it.
    with pytest.raises(NotFound):
        as_firm(world, world.uno.id, lambda: inbox.get_for_firm(world.escalation_id))
    assert as_firm(world, world.uno.id, lambda: inbox.inbox().offers) == []
    assert as_firm(world, world.uno.id, inbox.waiting_count) == 0
    [row] = as_firm(world, world.dos.id, lambda: inbox.inbox().offers)
    assert (row.escalation.id, row.debtor, row.creditor) == (
        world.escalation_id,
        RENTER,
        "Pisos Ana",
    )

    # The last firm that fits declines too: nobody is left, and the creditor is told.
    dos = world.user("dos@example.com")
    as_firm(world, world.dos.id, lambda: inbox.decline(world.escalation_id, actor=dos, reason="No"))
    escalation = world.escalation()
    assert (escalation.status, escalation.firm_id) == ("unplaced", None)
    assert [line["what"] for line in case_lines(world)][-2:] == ["declined", "unplaced"]


def test_a_withdrawn_escalation_disappears_from_the_firm(inbox_world):
    from tenants import db
    from tenants.models import Escalation
    from tenants.services.errors import NotFound
    from tenants.services.escalations import inbox

    world = inbox_world
    accepted(world)

    def withdraw():
        db.session.get(Escalation, world.escalation_id).status = "withdrawn"

    world.run(world.creditor_id, withdraw)

    with pytest.raises(NotFound):
        as_firm(world, world.uno.id, lambda: inbox.get_for_firm(world.escalation_id))
    found = as_firm(world, world.uno.id, lambda: inbox.inbox(show="closed"))
    assert found.rows == [] and found.offers == []


def test_another_firms_escalation_is_not_found(inbox_world):
    from tenants.services.errors import NotFound
    from tenants.services.escalations import inbox

    world = inbox_world
    dos = world.user("dos@example.com")
    with pytest.raises(NotFound):
        as_firm(world, world.dos.id, lambda: inbox.get_for_firm(world.escalation_id))
    with pytest.raises(NotFound):
        as_firm(
            world,
            world.dos.id,
            lambda: inbox.accept(world.escalation_id, actor=dos, no_conflict=True),
        )
    assert world.escalation().status == "offered"


# --- the status -----------------------------------------------------------------------------------


def test_filing_without_the_court_or_the_procedure_number_is_refused(inbox_world, rows):
    from tenants.clock import today_in_spain
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = accepted(world)
    before = rows("SELECT count(*) AS n FROM escalation_events")
    today = today_in_spain()
    for missing in ("court", "procedure_number", "filed_on"):
        given = {"court": "Juzgado de Primera Instancia n.º 5 de Madrid"}
        given |= {"procedure_number": "1234/2026", "filed_on": today}
        given[missing] = None if missing == "filed_on" else ""
        with pytest.raises(ServiceError) as refused:
            as_firm(
                world,
                world.uno.id,
                lambda given=given: inbox.move(
                    world.escalation_id, status="monitorio_filed", actor=lola, **given
                ),
            )
        assert (refused.value.code, refused.value.field) == ("filing_details_required", missing)
    assert world.escalation().status == "accepted"
    assert rows("SELECT count(*) AS n FROM escalation_events") == before

    as_firm(
        world,
        world.uno.id,
        lambda: inbox.move(
            world.escalation_id,
            status="monitorio_filed",
            actor=lola,
            court="Juzgado de Primera Instancia n.º 5 de Madrid",
            procedure_number="1234/2026",
            filed_on=today,
        ),
    )
    escalation = world.escalation()
    assert (escalation.status, escalation.procedure_number, escalation.filed_on) == (
        "monitorio_filed",
        "1234/2026",
        today,
    )
    assert escalation.court == "Juzgado de Primera Instancia n.º 5 de Madrid"


def test_the_status_moves_forward_only(inbox_world):
    from tenants.clock import today_in_spain
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = accepted(world)

    def move(status, **filing):
        return as_firm(
            world,
            world.uno.id,
            lambda: inbox.move(world.escalation_id, status=status, actor=lola, **filing),
        )

    with pytest.raises(ServiceError) as early:
        move("opposed")  # an opposition answers a filed petition
    assert early.value.code == "status_needs_filing"
    move("demand_sent")
    with pytest.raises(ServiceError) as back:
        move("accepted")
    assert back.value.code == "status_backwards"
    filing = {"court": "JPI 5 Madrid", "procedure_number": "77/2026", "filed_on": today_in_spain()}
    move("monitorio_filed", **filing)
    move("enforcement")  # not opposed: straight to enforcement, the filing already on record
    assert world.escalation().status == "enforcement"
    with pytest.raises(ServiceError) as outcome:
        move("recovered")  # the outcome has its own form, with the amount
    assert outcome.value.code == "choice_invalid"


# --- the outcome and the fee ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("flat_fee", "percent", "recovered", "fee"),
    [
        ("150.00", None, "1700.00", "150.00"),  # flat only
        (None, "10", "1234.55", "123.46"),  # percent only: 123.455 rounds half up
        ("100.00", "12.5", "999.99", "225.00"),  # both: 100 + 124.99875
        (None, "15", "0.03", "0.00"),  # 0.0045: less than half a cent
    ],
)
def test_the_fee_is_computed_from_the_terms_on_the_escalation(
    app, create_workspace, create_user, make_case, flat_fee, percent, recovered, fee
):
    from tenants.clock import today_in_spain
    from tenants.services.escalations import inbox
    from tests.escalations.inbox_helpers import InboxWorld, add_member

    creditor_id, slug = create_workspace(name="Pisos Ana")
    case = make_case(creditor_id)
    firm = make_firm(
        app, create_workspace, "Bufete Uno", "uno@example.com", flat_fee=flat_fee, percent=percent
    )
    lola_id = add_member(app, create_user, firm.id, "lola@example.com", "lawyer")
    escalation_id = escalate(
        app,
        creditor_id,
        case.case_id,
        firm.id,
        flat_fee=flat_fee,
        percent=percent,
        accepted_by=lola_id,
    )
    world = InboxWorld(app, creditor_id, slug, case.case_id, firm, firm, escalation_id, None)
    lola = world.user("lola@example.com")

    as_firm(
        world,
        firm.id,
        lambda: inbox.record_outcome(
            escalation_id,
            status="recovered",
            recovered_amount=Decimal(recovered),
            outcome_on=today_in_spain(),
            actor=lola,
        ),
    )

    escalation = world.escalation()
    assert escalation.fee_amount == Decimal(fee)
    assert escalation.recovered_amount == Decimal(recovered)
    assert escalation.status == "recovered" and escalation.closed_at is not None


def test_a_closed_escalation_takes_no_more_work(inbox_world):
    from tenants.clock import today_in_spain
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = accepted(world)
    with pytest.raises(ServiceError) as nothing:
        as_firm(
            world,
            world.uno.id,
            lambda: inbox.record_outcome(
                world.escalation_id,
                status="recovered",
                recovered_amount=Decimal("0"),
                outcome_on=today_in_spain(),
                actor=lola,
            ),
        )
    assert nothing.value.code == "recovered_amount_required"
    as_firm(
        world,
        world.uno.id,
        lambda: inbox.record_outcome(
            world.escalation_id,
            status="closed_unrecoverable",
            recovered_amount=Decimal("0"),
            outcome_on=today_in_spain(),
            actor=lola,
        ),
    )
    assert world.escalation().fee_amount == Decimal("150.00")  # the flat fee is owed anyway
    with pytest.raises(ServiceError) as closed:
        as_firm(
            world,
            world.uno.id,
            lambda: inbox.send_message(world.escalation_id, text="Hola", actor=lola),
        )
    assert closed.value.code == "escalation_closed"
    [row] = as_firm(world, world.uno.id, lambda: inbox.inbox(show="closed").rows)
    assert row.escalation.id == world.escalation_id


# --- the thread, requests and deadlines ---------------------------------------------------------


def test_a_request_for_documents_is_on_the_thread_with_its_deadline(inbox_world, rows):
    from tenants.clock import today_in_spain
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import inbox

    world = inbox_world
    lola = accepted(world)
    due = today_in_spain() + timedelta(days=7)
    with pytest.raises(ServiceError) as past:
        as_firm(
            world,
            world.uno.id,
            lambda: inbox.request_documents(
                world.escalation_id,
                text="El contrato firmado",
                due_on=today_in_spain() - timedelta(days=1),
                actor=lola,
            ),
        )
    assert past.value.code == "date_in_past"

    as_firm(
        world,
        world.uno.id,
        lambda: inbox.request_documents(
            world.escalation_id, text="El contrato firmado", due_on=due, actor=lola
        ),
    )
    as_firm(
        world,
        world.uno.id,
        lambda: inbox.send_message(world.escalation_id, text="Recibido", actor=lola),
    )

    assert rows("SELECT side, kind, text, due_on FROM escalation_messages ORDER BY id") == [
        {"side": "firm", "kind": "request", "text": "El contrato firmado", "due_on": due},
        {"side": "firm", "kind": "message", "text": "Recibido", "due_on": None},
    ]
    assert rows("SELECT label, due_on, tenant_id FROM escalation_deadlines") == [
        {"label": "El contrato firmado", "due_on": due, "tenant_id": world.creditor_id}
    ]
    assert world.escalation().creditor_attention_at is not None


# --- the inbox: sections, filters, search and what waits ------------------------------------------


def test_the_inbox_filters_and_searches(inbox_world, app, make_case):
    from tenants.services.escalations import inbox

    world = inbox_world
    other = make_case(world.creditor_id, renter="Lucía Gil Prado", tax_id="00000001R")
    lola = world.user("lola@example.com")
    second = escalate(
        app,
        world.creditor_id,
        other.case_id,
        world.uno.id,
        case_type="eviction",
        accepted_by=lola.id,
    )

    def found(**filters):
        result = as_firm(world, world.uno.id, lambda: inbox.inbox(**filters))
        return [r.escalation.id for r in result.offers], [r.escalation.id for r in result.rows]

    assert found() == ([world.escalation_id], [second])
    assert found(case_type="eviction") == ([], [second])
    assert found(search="lucía") == ([], [second])
    assert found(search="00000001r") == ([], [second])
    assert found(search="pisos ana") == ([world.escalation_id], [second])
    assert found(search="nadie") == ([], [])
    assert found(show="closed") == ([world.escalation_id], [])
    assert found(show="accepted") == ([world.escalation_id], [second])
    assert found(search="100%") == ([], [])  # a wildcard is a character, not a wildcard

    def file(escalation_id):
        from tenants.clock import today_in_spain

        inbox.move(
            escalation_id,
            status="monitorio_filed",
            actor=lola,
            court="JPI 2 Madrid",
            procedure_number="555/2026",
            filed_on=today_in_spain(),
        )

    as_firm(world, world.uno.id, lambda: file(second))
    assert found(search="555/2026") == ([], [second])


def test_what_waits_on_the_firm_is_counted_and_seen_when_opened(inbox_world):
    from tenants import db
    from tenants.models import Escalation
    from tenants.services.escalations import inbox

    world = inbox_world
    assert as_firm(world, world.uno.id, inbox.waiting_count) == 1  # the offer
    assert as_firm(world, world.dos.id, inbox.waiting_count) == 0
    lola = accepted(world)
    assert as_firm(world, world.uno.id, inbox.waiting_count) == 0

    def creditor_writes():
        db.session.get(Escalation, world.escalation_id).firm_attention_at = db.utcnow()

    world.run(world.creditor_id, creditor_writes)
    assert as_firm(world, world.uno.id, inbox.waiting_count) == 1
    as_firm(world, world.uno.id, lambda: inbox.opened(world.escalation_id, user=lola))
    assert as_firm(world, world.uno.id, inbox.waiting_count) == 0
    assert world.escalation().firm_attention_at is None
