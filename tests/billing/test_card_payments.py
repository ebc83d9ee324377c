"""Paying a case by card from the portal, through the fake's hosted Checkout page and its
signed webhooks: booked once whatever the order or the repeats, the case reacting as to any
payment, and refunds and chargebacks taking the money off again."""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.billing.test_card_onboarding import activate
from tests.collections.conftest import RENDER_WARNING, landlord, make_case, make_letter  # noqa: F401


def token_of(rows, case_id: int) -> str:
    [row] = rows("SELECT portal_token FROM cases WHERE id = :id", id=case_id)
    return row["portal_token"]


def card_payment(rows) -> dict:
    [row] = rows("SELECT * FROM card_payments")
    return row


def booked(rows) -> list[dict]:
    return rows("SELECT amount, method, source FROM payments ORDER BY id")


def case_of(rows, case_id: int) -> dict:
    [row] = rows("SELECT status, cycle, closed_reason FROM cases WHERE id = :id", id=case_id)
    return row


def timeline(rows, case_id: int) -> list[str]:
    found = rows("SELECT kind FROM case_events WHERE case_id = :id ORDER BY id", id=case_id)
    return [r["kind"] for r in found]


def open_checkout(client, rows, case_id: int, stripe_fake) -> str:
    """The debtor presses «Pagar con tarjeta»: the Checkout Session's id."""
    response = client.post(f"/p/{token_of(rows, case_id)}/card")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].startswith(f"{stripe_fake.url}/checkout/cs_test_")
    return response.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def paying_case(app, landlord, make_case, stripe_fake):
    """Rosa's Stripe account active, events delivered to the app; a case of 1,700 EUR."""
    account_id = activate(app, landlord, stripe_fake)
    data = make_case(landlord.id)
    return account_id, data


def test_no_card_button_without_an_active_stripe_account(
    app,
    client,
    landlord,
    make_case,
    stripe_fake,
    rows,
    es,
):
    data = make_case(landlord.id)
    page = client.get(f"/p/{token_of(rows, data.case_id)}").get_data(as_text=True)
    assert 'id="pay-card-button"' not in page
    response = client.post(f"/p/{token_of(rows, data.case_id)}/card")
    assert response.status_code == 409
    assert es(
        "Paying by card is not possible for this debt right now. You can pay by transfer."
    ) in (response.get_data(as_text=True))
    assert rows("SELECT * FROM card_payments") == []


@pytest.mark.filterwarnings(RENDER_WARNING)
def test_a_debtor_pays_by_card_and_the_case_closes_once(
    app,
    client,
    landlord,
    paying_case,
    make_letter,
    stripe_fake,
    rows,
    run_worker,
    inbox,
    signed_event,
    es,
    money,
):
    account_id, data = paying_case
    letter_id = make_letter(landlord.id, data.case_id, kind="claim_1")  # not sent yet
    page = client.get(f"/p/{token_of(rows, data.case_id)}").get_data(as_text=True)
    assert 'id="pay-card-button"' in page
    assert money("1700") in re.search(r'id="pay-card".*?</section>', page, re.S).group(0)

    session_id = open_checkout(client, rows, data.case_id, stripe_fake)
    [request] = [r for r in stripe_fake.requests if r["path"] == "/v1/checkout/sessions"]
    params = request["params"]
    assert request["account"] == account_id  # on the creditor's own account
    assert request["idempotency_key"]
    assert params["mode"] == "payment"
    assert params["locale"] == "es"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "170000"
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    assert params["metadata"]["tenant_id"] == str(landlord.id)
    assert params["metadata"]["case_id"] == str(data.case_id)
    assert "application_fee_amount" not in params["payment_intent_data"]  # the fee is 0 %
    row = card_payment(rows)
    assert (row["session_id"], row["status"], row["amount"]) == (
        session_id,
        "open",
        Decimal("1700"),
    )

    # A second press the same day opens the same session (same key), not a second payment.
    assert open_checkout(client, rows, data.case_id, stripe_fake) == session_id

    stripe_fake.complete_checkout(session_id)  # «Pagar» on the hosted page
    stripe_fake.wait_for("payment_intent.succeeded")
    assert booked(rows) == [{"amount": Decimal("1700.00"), "method": "card", "source": "stripe"}]
    row = card_payment(rows)
    assert row["status"] == "paid" and row["payment_intent_id"].startswith("pi_")
    assert case_of(rows, data.case_id)["status"] == "closed"
    [letter] = rows("SELECT status FROM letters WHERE id = :id", id=letter_id)
    assert letter["status"] == "cancelled"

    # Stripe delivers the completion again: acknowledged, nothing more booked.
    completed = stripe_fake.wait_for("checkout.session.completed")
    assert signed_event(app.test_client(), completed).status_code == 200
    again = dict(completed, id="evt_redelivered_other_id")
    assert signed_event(app.test_client(), again).status_code == 200
    assert len(booked(rows)) == 1
    assert timeline(rows, data.case_id).count("card_paid") == 1

    case_page = landlord.page(f"/cases/{data.case_id}")
    assert es("The debtor paid %(amount)s by card on the portal.", amount=money("1700")) in (
        case_page
    )
    run_worker()
    [thanks] = [m for m in inbox.messages if "javier@example.com" in m["To"]]
    assert thanks is not None
    back = client.get(f"/p/{token_of(rows, data.case_id)}/card/paid?session_id={session_id}")
    assert es("Thank you: your payment has been received") in back.get_data(as_text=True)
    page = client.get(f"/p/{token_of(rows, data.case_id)}").get_data(as_text=True)
    assert 'id="pay-card-button"' not in page  # closed: no button


def test_the_payment_succeeded_event_before_the_session_completed_books_once(
    app,
    client,
    landlord,
    paying_case,
    stripe_fake,
    rows,
    signed_event,
):
    account_id, data = paying_case
    session_id = open_checkout(client, rows, data.case_id, stripe_fake)
    stripe_fake.deliver_to(None)  # the events are only kept: the test delivers them itself
    stripe_fake.complete_checkout(session_id)
    succeeded = stripe_fake.wait_for("payment_intent.succeeded")
    completed = stripe_fake.wait_for("checkout.session.completed")
    webhook = app.test_client()
    assert signed_event(webhook, succeeded).status_code == 200
    assert len(booked(rows)) == 1
    assert signed_event(webhook, completed).status_code == 200
    assert signed_event(webhook, succeeded).status_code == 200
    assert booked(rows) == [{"amount": Decimal("1700.00"), "method": "card", "source": "stripe"}]
    assert case_of(rows, data.case_id)["status"] == "closed"


def test_a_declined_card_books_nothing_and_the_case_says_so(
    app,
    client,
    landlord,
    paying_case,
    stripe_fake,
    rows,
):
    account_id, data = paying_case
    session_id = open_checkout(client, rows, data.case_id, stripe_fake)
    stripe_fake.complete_checkout(session_id, declined=True)
    [intent] = stripe_fake.payment_intents(account_id)
    stripe_fake.send("payment_intent.payment_failed", intent, account=account_id)
    assert booked(rows) == []
    assert card_payment(rows)["status"] == "failed"
    assert "card_failed" in timeline(rows, data.case_id)
    assert case_of(rows, data.case_id)["status"] == "open"


def paid_by_card(client, rows, data, stripe_fake) -> str:
    session_id = open_checkout(client, rows, data.case_id, stripe_fake)
    stripe_fake.complete_checkout(session_id)
    stripe_fake.wait_for("payment_intent.succeeded")
    assert case_of(rows, data.case_id)["status"] == "closed"
    return card_payment(rows)["payment_intent_id"]


def owed(rows, case_id: int) -> Decimal:
    [row] = rows(
        "SELECT COALESCE(SUM(amount - credited - paid), 0) AS owed FROM charges"
        " WHERE case_id = :id",
        id=case_id,
    )
    return row["owed"]


def test_a_refund_reopens_the_case_for_what_was_refunded(
    app,
    client,
    landlord,
    paying_case,
    stripe_fake,
    rows,
):
    account_id, data = paying_case
    intent_id = paid_by_card(client, rows, data, stripe_fake)
    status, _refund = stripe_fake.call(
        "POST", "/v1/refunds", {"payment_intent": intent_id, "amount": "85000"}, account=account_id
    )
    assert status == 200
    refunded = stripe_fake.wait_for("charge.refunded")
    assert owed(rows, data.case_id) == Decimal("850.00")  # the newest rent is owed again
    case = case_of(rows, data.case_id)
    assert case["status"] == "open" and case["cycle"] == 2
    assert card_payment(rows)["status"] == "partly_refunded"
    assert "card_refunded" in timeline(rows, data.case_id)
    # The same refund told again (refund.created, a redelivery) takes nothing more off.
    stripe_fake.send("charge.refunded", refunded["data"]["object"], account=account_id)
    assert owed(rows, data.case_id) == Decimal("850.00")
    assert sum(r["amount"] for r in booked(rows)) == Decimal("850.00")


def test_a_chargeback_reopens_the_case_and_a_won_dispute_books_it_again(
    app,
    client,
    landlord,
    paying_case,
    stripe_fake,
    rows,
):
    account_id, data = paying_case
    intent_id = paid_by_card(client, rows, data, stripe_fake)
    dispute = stripe_fake.dispute(intent_id)
    assert owed(rows, data.case_id) == Decimal("1700.00")
    assert case_of(rows, data.case_id)["status"] == "open"
    assert card_payment(rows)["status"] == "disputed"
    assert booked(rows) == []

    stripe_fake.set_state(dispute["id"], status="won")
    state = stripe_fake.call("GET", f"/v1/disputes/{dispute['id']}", {}, account=account_id)[1]
    stripe_fake.send("charge.dispute.closed", state, account=account_id)
    assert owed(rows, data.case_id) == Decimal("0.00")
    assert case_of(rows, data.case_id)["status"] == "closed"
    assert sum(r["amount"] for r in booked(rows)) == Decimal("1700.00")
    kinds = timeline(rows, data.case_id)
    assert kinds.index("card_chargeback") < kinds.index("card_chargeback_won")
    stripe_fake.send("charge.dispute.closed", state, account=account_id)  # told twice
    assert sum(r["amount"] for r in booked(rows)) == Decimal("1700.00")


def test_the_platform_fee_is_sent_and_recorded_when_set(
    app,
    client,
    landlord,
    paying_case,
    stripe_fake,
    rows,
    monkeypatch,
    money,
):
    from tenants.services.billing import stripe_api

    monkeypatch.setattr(stripe_api._Settings, "platform_fee_percent", Decimal("2.5"))
    _account_id, data = paying_case
    session_id = open_checkout(client, rows, data.case_id, stripe_fake)
    [request] = [r for r in stripe_fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert request["params"]["payment_intent_data"]["application_fee_amount"] == "4250"
    stripe_fake.complete_checkout(session_id)
    stripe_fake.wait_for("payment_intent.succeeded")
    assert card_payment(rows)["application_fee"] == Decimal("42.50")
    listed = landlord.page("/settings/card-payments")
    assert money("42.50") in re.search(r'id="card-payment-list".*?</table>', listed, re.S).group(0)
    assert booked(rows) == [{"amount": Decimal("1700.00"), "method": "card", "source": "stripe"}]


def test_an_english_debtor_pays_in_english_and_stripe_down_is_a_clear_page(
    app, client, landlord, paying_case, stripe_fake, rows
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Party

    _account_id, data = paying_case
    with app.app_context(), tenant_context(landlord.id):
        db.session.get(Party, data.renter_id).language = "en"
        db.session.commit()
    token = token_of(rows, data.case_id)
    stripe_fake.down = True
    response = client.post(f"/p/{token}/card")
    assert response.status_code == 503
    assert "The payment service (Stripe) cannot be reached right now" in response.get_data(
        as_text=True
    )
    assert rows("SELECT * FROM card_payments") == []

    stripe_fake.down = False
    open_checkout(client, rows, data.case_id, stripe_fake)
    [request] = [
        r for r in stripe_fake.requests if r["path"] == "/v1/checkout/sessions" and r["params"]
    ][-1:]
    assert request["params"]["locale"] == "en"
    cancelled = client.get(f"/p/{token}/card/cancelled").get_data(as_text=True)
    assert "You have not paid" in cancelled
    assert "nothing has been charged" in cancelled
