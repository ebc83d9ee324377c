"""The collection ladder end to end: the sweep as the clock moves, real workers rendering and
sending, a real SMTP server receiving; payments, disputes and promises stopping it."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

import letters.compose  # noqa: F401 - WeasyPrint warns once on import: at collection, not in a test
from tenants.services.rentals.periods import month_start
from tests.jobs.collections_fixtures import (  # noqa: F401 - fixtures
    GUARANTOR,
    GUARANTOR_EMAIL,
    LANDLORD,
    RENDER_WARNING,
    RENTER,
    RENTER_EMAIL,
    body,
    in_workspace,
    madrid,
    money,
    owner,
    pdf_text,
    rent_book,
    sweep_at,
    today,
)

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)


def _due_weeks_ago(days: int) -> date:
    """A first of the month at least `days` ago: every sweep of the walk is in the past."""
    return month_start(today() - timedelta(days=days))


def _letters(rows, **where) -> list[dict]:
    clauses = " AND ".join(f"{k} = :{k}" for k in where) or "TRUE"
    return rows(f"SELECT * FROM letters WHERE {clauses} ORDER BY id", **where)  # noqa: S608


def _events(rows) -> list[str]:
    return [r["kind"] for r in rows("SELECT kind FROM case_events ORDER BY id")]


def _approve(in_workspace, owner, workspace_id: int, letter_id: int) -> None:  # noqa: F811
    from tenants.services.collections import letters

    in_workspace(workspace_id, lambda: letters.approve(letter_id, owner()))


def _check_step_emails(inbox, rows, kind: str, sent_before: int) -> dict:
    """One new email to the renter and one copy to the guarantor, each with the step's PDF
    naming the debtor, the charge and the amount. Returns the debtor's letter row."""
    (main,) = _letters(rows, kind=kind, party_id=_party_id(rows, RENTER))
    (copy,) = _letters(rows, kind=kind, party_id=_party_id(rows, GUARANTOR))
    assert (main["status"], copy["status"]) == ("sent", "sent")
    assert copy["copy_of_id"] == main["id"]
    to_renter, to_guarantor = inbox.to(RENTER_EMAIL), inbox.to(GUARANTOR_EMAIL)
    assert (len(to_renter), len(to_guarantor)) == (sent_before + 1, sent_before + 1)
    charge = main["context"]["charges"][0]
    for message in (to_renter[-1], to_guarantor[-1]):
        text = pdf_text(message)
        assert RENTER in text, text[:500]
        assert charge["description"] in text
        assert money(charge["outstanding"]) in text
        assert money(main["total"]) in text
    assert GUARANTOR in pdf_text(to_guarantor[-1])
    assert to_guarantor[-1]["Subject"].strip().startswith("Copy for the guarantor:")
    return main


def _party_id(rows, name: str) -> int:
    return rows("SELECT id FROM parties WHERE name = :n", n=name)[0]["id"]


def test_an_unpaid_rent_walks_the_ladder_as_the_clock_moves(
    app,
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    owner,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from jobs.collections import fan_out_collections
    from jobs.enqueue import enqueue_now

    book = rent_book(_due_weeks_ago(50))
    due, ws = book.due, book.workspace_id

    # Day 3: a friendly reminder by email, to the renter and a copy to the guarantor.
    assert sweep_at(ws, madrid(due + timedelta(days=3)))["letters"] == 2
    assert sweep_at(ws, madrid(due + timedelta(days=3)))["letters"] == 0  # run twice: once
    run_worker()
    reminder = _check_step_emails(inbox, rows, "reminder", 0)
    assert inbox.to(RENTER_EMAIL)[0]["Subject"] == f"Recordatorio de pago de {LANDLORD}"
    assert inbox.to(GUARANTOR_EMAIL)[0]["Subject"] == (
        f"Copy for the guarantor: Payment reminder from {LANDLORD}"
    )
    assert reminder["context"]["charges"][0]["outstanding"] == "750.00"

    # Days 4 to 9: nothing is due.
    assert sweep_at(ws, madrid(due + timedelta(days=9)))["letters"] == 0

    # Day 10: the first claim.
    assert sweep_at(ws, madrid(due + timedelta(days=10)))["letters"] == 2
    run_worker()
    _check_step_emails(inbox, rows, "claim_1", 1)

    # Day 20: the second claim, this time through the cron fan-out job, enqueued twice.
    with app.app_context():
        for _ in range(2):
            enqueue_now(fan_out_collections, madrid(due + timedelta(days=20)).isoformat())
    run_worker()
    _check_step_emails(inbox, rows, "claim_2", 2)

    # Day 30: the formal demand waits for the owner's approval; nothing leaves before it.
    assert sweep_at(ws, madrid(due + timedelta(days=30)))["letters"] == 2
    run_worker()
    (demand,) = _letters(rows, kind="formal_demand", party_id=book.renter_id)
    assert demand["status"] == "awaiting_approval"
    assert len(inbox.to(RENTER_EMAIL)) == 3
    _approve(in_workspace, owner, ws, demand["id"])
    run_worker()
    demand = _check_step_emails(inbox, rows, "formal_demand", 3)
    interest = demand["context"]["interest"]
    text = pdf_text(inbox.to(RENTER_EMAIL)[-1])
    assert money(interest["total"]) in text
    assert money(demand["context"]["total"]) in text
    assert inbox.to(RENTER_EMAIL)[-1]["Subject"] == f"Requerimiento de pago de {LANDLORD}"

    # Day 45: the certified demand, approved, goes to the tray of letters to post.
    assert sweep_at(ws, madrid(due + timedelta(days=45)))["letters"] == 2
    run_worker()
    (certified,) = _letters(rows, kind="certified_demand", party_id=book.renter_id)
    _approve(in_workspace, owner, ws, certified["id"])
    run_worker()
    tray = _letters(rows, kind="certified_demand")
    assert [(r["status"], r["channel"]) for r in tray] == [("to_post", "certified")] * 2
    assert all(r["pdf_sha256"] for r in tray)
    assert len(inbox.to(RENTER_EMAIL)) == 4  # paper letters are not emailed

    # Every letter exists once: five steps, each to the renter and the guarantor.
    assert len(_letters(rows)) == 10
    events = _events(rows)
    assert events.count("letter_sent") == 8  # four steps, each to the renter and the guarantor
    assert "letter_to_post" in events and "letter_approved" in events


def test_two_sweeps_at_once_create_each_letter_once(
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    rows,
):
    book = rent_book(_due_weeks_ago(20))
    due, ws = book.due, book.workspace_id

    def two_at_once(day: int) -> list[dict]:
        start = threading.Barrier(2)
        results, errors = [], []

        def sweep_once():
            try:
                start.wait(10)
                results.append(sweep_at(ws, madrid(due + timedelta(days=day))))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=sweep_once) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        return sorted(results, key=lambda r: r["letters"])

    # Taking in the new debt: one sweep opens the case, the other skips the locked charge.
    first, second = two_at_once(3)
    assert (first["opened"], second["opened"]) == (0, 1)
    assert (first["letters"], second["letters"]) == (0, 2)
    # Stepping the due case: one sweep locks it, the other skips it.
    first, second = two_at_once(10)
    assert (first["letters"], second["letters"]) == (0, 2)

    assert len(rows("SELECT id FROM cases")) == 1
    assert [(r["kind"], r["party_id"]) for r in _letters(rows)] == [
        ("reminder", book.renter_id),
        ("reminder", book.guarantor_id),
        ("claim_1", book.renter_id),
        ("claim_1", book.guarantor_id),
    ]


def test_a_payment_that_clears_the_case_stops_it_and_thanks_the_debtor(
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from tenants.services.receivables import payments

    book = rent_book(_due_weeks_ago(20))
    due, ws = book.due, book.workspace_id
    sweep_at(ws, madrid(due + timedelta(days=3)))
    run_worker()
    assert len(inbox.to(RENTER_EMAIL)) == 1
    sweep_at(ws, madrid(due + timedelta(days=10)))  # claim 1 recorded, not yet rendered

    in_workspace(
        ws,
        lambda: payments.record_payment(
            lease_id=book.lease_id, received_on=due + timedelta(days=11), amount="750.00"
        ),
    )
    run_worker()

    case = rows("SELECT status, closed_reason FROM cases")[0]
    assert (case["status"], case["closed_reason"]) == ("closed", "paid")
    claims = _letters(rows, kind="claim_1")
    assert [r["status"] for r in claims] == ["cancelled", "cancelled"]
    assert not any(r["pdf_sha256"] for r in claims)  # a cancelled letter is never rendered
    to_renter = inbox.to(RENTER_EMAIL)
    assert len(to_renter) == 2  # the reminder, then the thanks; no claim
    assert to_renter[-1]["Subject"] == f"Gracias por su pago a {LANDLORD}"
    assert "no se enviarán más cartas" in body(to_renter[-1])
    assert len(inbox.to(GUARANTOR_EMAIL)) == 1  # the reminder's copy only
    assert _events(rows)[-1] == "thanked"
    # Later sweeps leave the closed case alone.
    assert sweep_at(ws, madrid(due + timedelta(days=20)))["letters"] == 0


def test_the_thanks_is_sent_once_however_often_the_job_runs(
    app,
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from jobs.enqueue import enqueue_now
    from jobs.letters import thank_debtor
    from tenants.services.receivables import payments

    book = rent_book(_due_weeks_ago(10), guarantor=False)
    due, ws = book.due, book.workspace_id
    sweep_at(ws, madrid(due + timedelta(days=3)))
    in_workspace(
        ws,
        lambda: payments.record_payment(
            lease_id=book.lease_id, received_on=due + timedelta(days=4), amount="750.00"
        ),
    )
    case_id = rows("SELECT id FROM cases")[0]["id"]
    with app.app_context():
        for _ in range(2):
            enqueue_now(thank_debtor, ws, case_id, 1)
    run_worker()

    thanks = [m for m in inbox.to(RENTER_EMAIL) if m["Subject"].startswith("Gracias")]
    assert len(thanks) == 1
    assert _events(rows).count("thanked") == 1
    assert inbox.to(RENTER_EMAIL) == thanks  # the reminder was cancelled before it was rendered


def test_a_dispute_pauses_the_ladder_until_it_is_resumed(
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    owner,  # noqa: F811
    rows,
):
    from tenants.services.collections import case_actions

    book = rent_book(_due_weeks_ago(30), guarantor=False)
    due, ws = book.due, book.workspace_id
    sweep_at(ws, madrid(due + timedelta(days=3)))
    case_id = rows("SELECT id FROM cases")[0]["id"]
    in_workspace(
        ws,
        lambda: case_actions.pause_case(
            case_id,
            reason="dispute",
            note="Dice que la caldera no funciona",
            until=None,
            actor=owner(),
            today=due + timedelta(days=5),
        ),
    )

    for day in (10, 20):
        assert sweep_at(ws, madrid(due + timedelta(days=day)))["letters"] == 0
    assert _letters(rows, kind="claim_1") == []

    in_workspace(
        ws, lambda: case_actions.resume_case(case_id, actor=owner(), today=due + timedelta(days=21))
    )
    assert sweep_at(ws, madrid(due + timedelta(days=21)))["letters"] == 1
    assert [r["kind"] for r in _letters(rows)] == ["reminder", "claim_1"]
    events = _events(rows)
    assert events.index("disputed") < events.index("resumed")


def test_a_broken_promise_resumes_the_ladder_the_day_after_the_promised_date(
    rent_book,  # noqa: F811
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    owner,  # noqa: F811
    rows,
):
    from tenants.services.collections import case_actions

    book = rent_book(_due_weeks_ago(30), guarantor=False)
    due, ws = book.due, book.workspace_id
    sweep_at(ws, madrid(due + timedelta(days=3)))
    case_id = rows("SELECT id FROM cases")[0]["id"]
    promised = due + timedelta(days=15)
    in_workspace(
        ws,
        lambda: case_actions.pause_case(
            case_id,
            reason="promise",
            note="Pagará el día 15",
            until=promised,
            amount="750.00",
            actor=owner(),
            today=due + timedelta(days=5),
        ),
    )

    assert sweep_at(ws, madrid(due + timedelta(days=10)))["letters"] == 0  # claim 1 was due
    assert sweep_at(ws, madrid(promised, hour=20))["letters"] == 0  # the promised day itself
    assert sweep_at(ws, madrid(promised + timedelta(days=1)))["letters"] == 1
    assert [r["kind"] for r in _letters(rows)] == ["reminder", "claim_1"]
    assert "promise_broken" in _events(rows)
    assert rows("SELECT status FROM cases")[0]["status"] == "open"


def test_a_very_late_debt_starts_at_the_certified_demand(app, rent_book, rows, run_worker):  # noqa: F811
    book = rent_book(_due_weeks_ago(52))
    now = madrid(book.due + timedelta(days=50))

    # By hand, as an operator would: `flask collections sweep --now ...`.
    result = app.test_cli_runner().invoke(args=["collections", "sweep", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"workspace {book.workspace_id}: opened 1, stepped 1, letters 2" in result.output
    run_worker()

    assert {r["kind"] for r in _letters(rows)} == {"certified_demand"}
    assert [r["status"] for r in _letters(rows)] == ["awaiting_approval"] * 2
    assert "started_late" in _events(rows)


@pytest.fixture
def late_payment_rate_until_next_year(admin_engine):
    """The seeded Ley 3/2004 rates stop at the last published semester; letters render at the
    real date, so the test extends the last rate to cover it (the table is reseeded after)."""
    from sqlalchemy import text

    until = today() + timedelta(days=366)
    with admin_engine.begin() as conn:
        last = conn.execute(
            text("SELECT MAX(valid_to) FROM interest_rates WHERE kind = 'late_payment'")
        ).scalar_one()
        last = date.fromisoformat(str(last))
        if last < until:
            conn.execute(
                text(
                    "INSERT INTO interest_rates (kind, valid_from, valid_to, rate, source) "
                    "VALUES ('late_payment', :start, :until, 10.150, 'test')"
                ),
                {"start": last + timedelta(days=1), "until": until},
            )


def test_a_business_formal_demand_claims_interest_and_the_40_euros(
    app,
    create_workspace,
    late_payment_rate_until_next_year,
    sweep_at,  # noqa: F811
    in_workspace,  # noqa: F811
    owner,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from decimal import Decimal

    from tenants.models import Workspace
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    ws, _slug = create_workspace(name="Suministros Ana", kind="business")
    due = today() - timedelta(days=40)

    def book():
        from tenants import db

        db.session.get(Workspace, ws).legal_name = "Suministros Ruiz SL"
        client = parties.create_party(
            name="Talleres Norte SL", kind="company", email="pagos@talleres.example"
        )
        invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-2026-101",
                issue_date=due - timedelta(days=30),
                due_date=due,
                total="1210.00",
                description="Suministro de material",
            )
        )

    in_workspace(ws, book)

    # 35 days late when it enters: the formal demand at once, waiting for approval.
    assert sweep_at(ws, madrid(due + timedelta(days=35)))["letters"] == 1
    run_worker()
    (demand,) = _letters(rows)
    assert (demand["kind"], demand["status"]) == ("formal_demand", "awaiting_approval")
    _approve(in_workspace, owner, ws, demand["id"])
    run_worker()

    (message,) = inbox.to("pagos@talleres.example")
    assert message["Subject"] == "Requerimiento de pago de Suministros Ruiz SL"
    context = _letters(rows)[0]["context"]
    interest = Decimal(context["interest"]["total"])
    assert context["interest"]["regime"] == "business" and interest > 0
    assert context["compensation"] == "40.00"
    text = pdf_text(message)
    for expected in ("Talleres Norte SL", "F-2026-101", money("1210.00"), money(interest)):
        assert expected in text
    assert money("40.00") in text
    assert money(context["total"]) in text
    assert Decimal(context["total"]) == Decimal("1250.00") + interest
