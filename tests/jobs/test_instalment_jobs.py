"""Instalment plans as jobs, with real workers and a real SMTP server: each step emails the
other side in their language; the daily job reminds the debtor 3 days before an instalment
(once, however often it runs) and, the day after one went unpaid, breaks the plan and lets the
ladder resume."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

from datetime import timedelta

from tests.collections.conftest import days_from_today, landlord, make_case  # noqa: F401
from tests.collections.test_instalments_ui import plan_rows, propose_on_portal
from tests.collections.test_portal import token_of

DEBTOR = "javier@example.com"
CREDITOR = "rosa@example.com"


def run_day(app, run_worker, day) -> None:
    from jobs.enqueue import enqueue_now
    from jobs.instalments import fan_out_instalments

    with app.app_context():
        enqueue_now(fan_out_instalments, day.isoformat())
    run_worker()


def test_steps_are_emailed_reminders_go_once_and_a_missed_one_resumes_the_ladder(
    app, client, landlord, make_case, rows, run_worker, inbox
):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    assert propose_on_portal(client, token, first=days_from_today(10)).status_code == 302
    run_worker()
    [proposed] = inbox.to(CREDITOR)
    assert "Javier Martín Ruiz" in proposed["Subject"]
    assert f"/cases/{data.case_id}" in inbox.body(proposed)

    [plan] = plan_rows(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    landlord.post(f"{path}/instalments/{plan['id']}/accept", {}, page=path)
    run_worker()
    [agreed] = inbox.to(DEBTOR)
    assert f"/p/{token}" in inbox.body(agreed)
    assert "566,66" in inbox.body(agreed) and "566,68" in inbox.body(agreed)  # in Spanish

    [first, *_rest] = rows(
        "SELECT * FROM instalments WHERE plan_id = :p ORDER BY position", p=plan["id"]
    )
    run_day(app, run_worker, first["due_on"] - timedelta(days=4))
    assert len(inbox.to(DEBTOR)) == 1  # too early
    run_day(app, run_worker, first["due_on"] - timedelta(days=3))
    assert len(inbox.to(DEBTOR)) == 2
    reminder = inbox.to(DEBTOR)[-1]
    assert "566,66" in reminder["Subject"]
    run_day(app, run_worker, first["due_on"] - timedelta(days=3))
    run_day(app, run_worker, first["due_on"] - timedelta(days=2))
    assert len(inbox.to(DEBTOR)) == 2  # once per instalment
    [row] = rows("SELECT reminded_on FROM instalments WHERE id = :i", i=first["id"])
    assert row["reminded_on"] == first["due_on"] - timedelta(days=3)

    run_day(app, run_worker, first["due_on"])  # its day: still time to pay
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("paused", "plan")

    run_day(app, run_worker, first["due_on"] + timedelta(days=1))
    [case] = rows(
        "SELECT status, pause_reason, next_action_at FROM cases WHERE id = :id", id=data.case_id
    )
    assert (case["status"], case["pause_reason"]) == ("open", None)
    assert case["next_action_at"] is not None
    assert plan_rows(rows, data.case_id)[0]["status"] == "broken"
    [row] = rows("SELECT status FROM instalments WHERE id = :i", i=first["id"])
    assert row["status"] == "missed"
    assert len(inbox.to(DEBTOR)) == 3 and len(inbox.to(CREDITOR)) == 2  # both told
    events = [
        r["kind"]
        for r in rows("SELECT kind FROM case_events WHERE case_id = :c ORDER BY id", c=data.case_id)
    ]
    assert events[-2:] == ["plan_missed", "plan_broken"]
    run_day(app, run_worker, first["due_on"] + timedelta(days=2))
    assert len(inbox.to(DEBTOR)) == 3
