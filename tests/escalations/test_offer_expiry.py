"""The 48-hour reassignment through the real cron: `expire_offers` (the hourly periodic job of
jobs/cron.py) run by a real RQ worker, which then runs the reassignment it enqueued. The clock
is moved by giving the job its `now`, as the other periodic jobs take theirs."""

from __future__ import annotations

from datetime import timedelta

from tests.escalations import inbox_helpers

# The fixtures (make_case: tests/collections, also when this package's conftest has none).
inbox_world, make_case = inbox_helpers.inbox_world, inbox_helpers.make_case


def run_cron(app, run_worker, now) -> None:
    from jobs.enqueue import enqueue_now
    from jobs.escalation_offers import expire_offers

    with app.app_context():
        enqueue_now(expire_offers, now.isoformat())
    run_worker()


def offered_at(world) -> object:
    return world.escalation().offer_expires_at - timedelta(hours=48)


def test_an_offer_unanswered_for_48_hours_goes_to_the_next_firm(app, inbox_world, run_worker, rows):
    world = inbox_world
    start = offered_at(world)

    run_cron(app, run_worker, start + timedelta(hours=47, minutes=59))
    assert world.escalation().firm_id == world.uno.id  # not yet

    run_cron(app, run_worker, start + timedelta(hours=48, minutes=1))

    escalation = world.escalation()
    assert (escalation.status, escalation.firm_id) == ("offered", world.dos.id)
    offers = rows("SELECT firm_id, answer FROM escalation_offers ORDER BY id")
    assert offers == [
        {"firm_id": world.uno.id, "answer": "expired"},
        {"firm_id": world.dos.id, "answer": None},
    ]
    kinds = [r["kind"] for r in rows("SELECT kind FROM escalation_events ORDER BY id")]
    assert kinds == ["offered", "reassigned", "offered"]
    # The first firm has lost it: 404; the second has 48 hours from the reassignment.
    lola = world.uno.clients["lola@example.com"]
    assert lola.get(f"/w/{world.uno.slug}/inbox/{world.escalation_id}").status_code == 404
    dos = world.dos.clients["dos@example.com"]
    assert dos.get(f"/w/{world.dos.slug}/inbox/{world.escalation_id}").status_code == 200
    assert escalation.offer_expires_at == start + timedelta(hours=96, minutes=1)

    # The next hour's run changes nothing: the new offer is fresh.
    run_cron(app, run_worker, start + timedelta(hours=49, minutes=1))
    assert rows("SELECT count(*) AS n FROM escalation_events WHERE kind = 'reassigned'") == [
        {"n": 1}
    ]

    # The second firm does not answer either: nobody that fits is left, the creditor is told.
    run_cron(app, run_worker, start + timedelta(hours=96, minutes=2))
    escalation = world.escalation()
    assert (escalation.status, escalation.firm_id) == ("unplaced", None)
    assert dos.get(f"/w/{world.dos.slug}/inbox/{world.escalation_id}").status_code == 404


def test_the_reassignment_runs_once_however_often_it_is_enqueued(
    app, inbox_world, run_worker, rows
):
    from jobs.enqueue import enqueue_now
    from jobs.escalation_offers import reassign_offer

    world = inbox_world
    late = (offered_at(world) + timedelta(hours=49)).isoformat()
    with app.app_context():
        for _ in range(2):  # RQ runs a job at least once: twice must reassign once
            enqueue_now(reassign_offer, world.creditor_id, world.escalation_id, late)
    run_worker()

    assert rows("SELECT count(*) AS n FROM escalation_events WHERE kind = 'reassigned'") == [
        {"n": 1}
    ]
    assert world.escalation().firm_id == world.dos.id


def test_an_offer_answered_before_the_cron_runs_stays_answered(app, inbox_world, run_worker):
    from tests.conftest import csrf_token

    world = inbox_world
    start = offered_at(world)
    lola = world.uno.clients["lola@example.com"]
    detail = f"/w/{world.uno.slug}/inbox/{world.escalation_id}"
    token = csrf_token(lola, detail)
    lola.post(f"{detail}/accept", data={"csrf_token": token, "accept-no_conflict": "y"})

    run_cron(app, run_worker, start + timedelta(hours=72))

    escalation = world.escalation()
    assert (escalation.status, escalation.firm_id) == ("accepted", world.uno.id)
