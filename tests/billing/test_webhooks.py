"""POST /stripe/webhook: only Stripe's signed events get in, each is handled once, and an
event's row lands in the same commit as what its handlers did."""

from __future__ import annotations

import time

import pytest
import stripe

from tenants.services.billing.events import handles
from tests import stripe_fake

SEEN: list[tuple[str, str | None]] = []
FAIL_NEXT: list[bool] = []


@handles("amparo.test.counted")
def _count(event: dict, account: str | None) -> None:
    if FAIL_NEXT:
        FAIL_NEXT.pop()
        raise RuntimeError("the handler failed this time")
    SEEN.append((event["id"], account))


@handles("amparo.test.slow")
def _slow(event: dict, account: str | None) -> None:
    SEEN.append((event["id"], account))
    time.sleep(0.5)  # the other delivery arrives while this one is still being handled


@pytest.fixture(autouse=True)
def _forget():
    SEEN.clear()
    FAIL_NEXT.clear()
    yield
    SEEN.clear()
    FAIL_NEXT.clear()


def stored(rows) -> list[dict]:
    return rows("SELECT id, type, account FROM stripe_events ORDER BY received_at")


def test_a_forged_signature_is_refused_and_nothing_is_stored(client, signed_event, rows):
    event = stripe_fake.event("amparo.test.counted", {"object": "thing", "id": "th_1"})
    response = signed_event(client, event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert SEEN == [] and stored(rows) == []

    # The right signature of another body does not carry over to this one.
    payload = stripe_fake.encode(event)
    header = stripe_fake.signature(b'{"id": "evt_other"}', stripe_fake.PLATFORM_SECRET)
    response = client.post("/stripe/webhook", data=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    response = client.post("/stripe/webhook", data=payload)  # no signature at all
    assert response.status_code == 400
    assert SEEN == [] and stored(rows) == []


def test_a_stale_signature_is_refused(client, signed_event, rows):
    event = stripe_fake.event("amparo.test.counted", {"object": "thing", "id": "th_1"})
    old = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 60
    assert signed_event(client, event, timestamp=old).status_code == 400
    assert SEEN == [] and stored(rows) == []
    # Within the tolerance it is taken.
    recent = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE + 60
    assert signed_event(client, event, timestamp=recent).status_code == 200
    assert SEEN == [(event["id"], None)]


def test_an_unknown_event_type_is_acknowledged_and_nothing_is_done(client, signed_event, rows):
    event = stripe_fake.event("issuing_card.created", {"object": "issuing.card", "id": "ic_1"})
    response = signed_event(client, event)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "ignored"}
    assert stored(rows) == [{"id": event["id"], "type": "issuing_card.created", "account": None}]


def test_the_same_event_twice_is_handled_once(client, signed_event, rows):
    event = stripe_fake.event("amparo.test.counted", {"object": "thing", "id": "th_1"})
    first = signed_event(client, event)
    again = signed_event(client, event)
    assert first.status_code == again.status_code == 200
    assert (first.get_json()["outcome"], again.get_json()["outcome"]) == ("handled", "duplicate")
    assert SEEN == [(event["id"], None)]
    assert len(stored(rows)) == 1


def test_an_event_whose_handler_failed_is_not_recorded_and_runs_again(client, signed_event, rows):
    event = stripe_fake.event("amparo.test.counted", {"object": "thing", "id": "th_1"})
    FAIL_NEXT.append(True)
    assert signed_event(client, event).status_code == 500  # Stripe delivers it again later
    assert stored(rows) == []
    assert signed_event(client, event).status_code == 200
    assert SEEN == [(event["id"], None)]


def test_a_connect_event_is_signed_with_the_connect_secret_and_names_its_account(
    client, signed_event, rows
):
    event = stripe_fake.event("amparo.test.counted", {"object": "thing"}, account="acct_123")
    assert signed_event(client, event, secret=stripe_fake.CONNECT_SECRET).status_code == 200
    assert SEEN == [(event["id"], "acct_123")]
    assert stored(rows)[0]["account"] == "acct_123"


def test_the_webhook_needs_no_session_and_sets_no_cookie(app, client, signed_event, create_user):
    from tests.conftest import login

    create_user()
    login(client)  # even a browser with a session gets no cookie back from it
    event = stripe_fake.event("amparo.test.counted", {"object": "thing", "id": "th_1"})
    response = signed_event(client, event)  # no CSRF token either
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    anonymous = app.test_client()
    response = signed_event(anonymous, stripe_fake.event("amparo.test.counted", {"object": "x"}))
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []


def test_two_deliveries_of_one_event_at_once_are_handled_once(app, signed_event, rows):
    import threading

    event = stripe_fake.event("amparo.test.slow", {"object": "thing", "id": "th_1"})
    answers = []

    def deliver():
        answers.append(signed_event(app.test_client(), event).get_json()["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == ["duplicate", "handled"]
    assert SEEN == [(event["id"], None)]
    assert len(stored(rows)) == 1
