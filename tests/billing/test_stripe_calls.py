"""Our calls to Stripe against the fake (tests/stripe_fake.py): a retried effect is done once,
an unreachable Stripe is a clear message (and a job's reason to try again), Connect accounts
stay apart, and handlers read the current state of an object, not the event's copy."""

from __future__ import annotations

import pytest

from tenants.services.billing.events import current, handles

READ: list[str] = []


@handles("amparo.test.reads_current")
def _read_current(event: dict, account: str | None) -> None:
    READ.append(current(event)["status"])


@pytest.fixture(autouse=True)
def _forget():
    READ.clear()
    yield
    READ.clear()


@pytest.fixture
def stripe_down(app):
    """Stripe's address answers nothing (a closed port) for this test."""
    from tenants.services.billing import stripe_api
    from tests.conftest import _free_port

    stripe_api.configure(app.config["STRIPE_SECRET_KEY"], f"http://127.0.0.1:{_free_port()}")
    yield
    stripe_api.configure(
        app.config["STRIPE_SECRET_KEY"],
        app.config["STRIPE_API_BASE"],
        webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
        connect_webhook_secret=app.config["STRIPE_CONNECT_WEBHOOK_SECRET"],
    )


def charge(purpose: str, *, account: str | None = None, amount: int = 5000):
    from tenants.services.billing import stripe_api

    return stripe_api.client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"tenant_id": "1", "purpose": purpose},
        },
        options=stripe_api.options(purpose, account=account),
    )


def test_a_retried_charge_after_its_answer_was_lost_charges_once(ctx, stripe_fake, rows):
    from tenants import db
    from tenants.services.billing.stripe_api import StripeUnavailable

    # The charge is made, but no answer comes back to this try, nor to the library's own
    # retries with the same key: the job fails and its transaction rolls back.
    stripe_fake.lose_responses(3)
    with pytest.raises(StripeUnavailable) as failed:
        charge("instalment:42:charge:1")
    assert failed.value.retryable
    db.session.rollback()
    assert len(stripe_fake.payment_intents()) == 1  # Stripe did charge

    # The job runs again: the same purpose sends the same key, and Stripe answers with the
    # intent it made the first time instead of charging again.
    intent = charge("instalment:42:charge:1")
    assert intent.status == "succeeded"
    assert [p["id"] for p in stripe_fake.payment_intents()] == [intent.id]

    [stored] = rows("SELECT purpose, idempotency_key FROM stripe_requests")
    assert stored["purpose"] == "instalment:42:charge:1"
    posts = [r for r in stripe_fake.requests if r["path"] == "/v1/payment_intents"]
    assert len(posts) == 4  # three lost tries, one answered
    assert {r["idempotency_key"] for r in posts} == {stored["idempotency_key"]}

    # Another instalment is another charge.
    assert charge("instalment:42:charge:2").id != intent.id
    assert len(stripe_fake.payment_intents()) == 2


def test_stripe_unreachable_is_a_clear_message_and_a_job_tries_again(ctx, stripe_down, message):
    from flask_babel import force_locale

    from jobs.runtime import classify
    from tenants.services.billing.stripe_api import StripeUnavailable
    from web.messages import message_for

    with pytest.raises(StripeUnavailable) as failed:
        charge("case:1:checkout:1")
    error = failed.value
    assert error.code == "stripe_unavailable" and error.retryable
    assert classify(error) == ("stripe_unavailable", {}, True)
    from flask import current_app

    with current_app.test_request_context(), force_locale("es"):
        text = str(message_for(error))
    assert "Stripe" in text and "Inténtelo de nuevo" in text
    assert message("stripe_unavailable") == text


def test_an_object_of_one_connect_account_is_not_found_from_another(ctx, stripe_fake):
    from tenants.services.billing import stripe_api
    from tenants.services.billing.stripe_api import StripeUnavailable

    intent = charge("case:1:card:1", account="acct_creditor_a")
    found = stripe_api.client().v1.payment_intents.retrieve(
        intent.id, options={"stripe_account": "acct_creditor_a"}
    )
    assert found.id == intent.id
    for other in (None, "acct_creditor_b"):
        with pytest.raises(StripeUnavailable) as failed:
            stripe_api.client().v1.payment_intents.retrieve(
                intent.id, options={"stripe_account": other}
            )
        assert failed.value.code == "stripe_refused"
        assert failed.value.stripe_code == "resource_missing"
        assert not failed.value.retryable


def test_a_handler_reads_the_current_state_not_the_events_copy(app, stripe_fake, signed_event):
    from tests import stripe_fake as fake_api

    with app.app_context():
        intent = charge("case:1:card:1", account="acct_creditor_a")
    stale = {"id": intent.id, "object": "payment_intent", "status": "requires_payment_method"}
    event = fake_api.event("amparo.test.reads_current", stale, account="acct_creditor_a")
    assert signed_event(app.test_client(), event).status_code == 200
    assert READ == ["succeeded"]


def test_a_handler_that_cannot_reach_stripe_leaves_the_event_for_later(
    app, stripe_fake, signed_event, rows
):
    from tests import stripe_fake as fake_api

    obj = {"id": "pi_unknown_yet", "object": "payment_intent", "status": "succeeded"}
    event = fake_api.event("amparo.test.reads_current", obj)
    stripe_fake.down = True
    response = signed_event(app.test_client(), event)
    assert response.status_code == 503  # Stripe delivers it again later
    assert rows("SELECT id FROM stripe_events") == []
