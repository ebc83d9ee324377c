"""Instalments paid by SEPA Direct Debit through the fake of Stripe (localstripe behind
tests/stripe_fake.py): the mandate saved once on the creditor's account, each instalment
debited on its date, a returned debit, webhooks applied once, and a retried charge that does
not charge twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import stripe_fake as fake_api
from tests.billing.test_card_onboarding import activate
from tests.collections.conftest import days_from_today
from tests.collections.test_instalments_ui import plan_rows, propose_on_portal
from tests.collections.test_portal import token_of

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chromium"


@pytest.fixture
def sepa_case(app, client, landlord, make_case, stripe_fake, rows):
    """Rosa's Stripe account active (events delivered to the app); a 1,700 EUR case whose
    debtor's plan of 3 instalments from today Rosa accepted."""
    account_id = activate(app, landlord, stripe_fake)
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    assert propose_on_portal(client, token, first=days_from_today(0)).status_code == 302
    [plan] = plan_rows(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    landlord.post(f"{path}/instalments/{plan['id']}/accept", {}, page=path)
    return account_id, data, token, plan["id"]


def give_mandate(client, token, plan_id, iban, accepted="y"):
    return client.post(
        f"/p/{token}/instalments/{plan_id}/sepa",
        data={"sepa-name": "Javier Martín Ruiz", "sepa-iban": iban, "sepa-accepted": accepted},
        headers={"User-Agent": BROWSER},
    )


def instalments_of(rows, plan_id):
    return rows("SELECT * FROM instalments WHERE plan_id = :p ORDER BY position", p=plan_id)


def charge(app, tenant_id, instalment_id, day, *, commit=True):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.collections import instalments

    with app.app_context(), tenant_context(tenant_id):
        status = instalments.charge(instalment_id, day)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()  # the job died before its commit
        return status


def test_the_mandate_is_saved_once_on_the_creditors_account(
    client, sepa_case, stripe_fake, rows, es
):
    account_id, data, token, plan_id = sepa_case
    response = give_mandate(client, token, plan_id, "ES00 1234", accepted="y")
    assert response.status_code == 422
    assert es("This IBAN is not valid. Check it against the bank's document.") in (
        response.get_data(as_text=True)
    )
    response = give_mandate(client, token, plan_id, fake_api.GOOD_IBAN, accepted="")
    assert response.status_code == 422
    assert es("To pay by direct debit, accept the mandate.") in response.get_data(as_text=True)
    assert plan_rows(rows, data.case_id)[0]["method"] == "card"

    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert "AMP-" in page and "8" in page  # the mandate text: its reference, the 8 weeks
    response = give_mandate(client, token, plan_id, fake_api.GOOD_IBAN)
    assert response.status_code == 302
    [plan] = plan_rows(rows, data.case_id)
    assert (plan["method"], plan["iban_last4"]) == ("sepa_debit", "3000")
    assert plan["mandate_reference"] == f"AMP-{plan['tenant_id']}-{data.case_id}-{plan_id}"
    assert plan["mandate_user_agent"] == BROWSER
    [confirm] = [
        r for r in stripe_fake.requests if r["path"].endswith("/confirm") and "seti_" in r["path"]
    ]
    assert confirm["account"] == account_id
    acceptance = confirm["params"]["mandate_data"]["customer_acceptance"]
    assert acceptance["type"] == "online"
    assert acceptance["online"]["user_agent"] == BROWSER
    assert acceptance["online"]["ip_address"]
    assert confirm["idempotency_key"]
    assert "sepa_mandate" in [
        e["kind"] for e in rows("SELECT kind FROM case_events WHERE case_id = :c", c=data.case_id)
    ]


def test_a_debit_on_its_date_pays_the_instalment_once_even_when_the_job_is_retried(
    app, client, landlord, sepa_case, stripe_fake, rows, run_worker, inbox, es
):
    _account_id, data, token, plan_id = sepa_case
    assert give_mandate(client, token, plan_id, fake_api.GOOD_IBAN).status_code == 302
    first, second, _third = instalments_of(rows, plan_id)
    assert charge(app, landlord.id, second["id"], days_from_today(0)) is None  # not its day

    # The job dies after Stripe took the debit and before its commit; RQ runs it again.
    charge(app, landlord.id, first["id"], days_from_today(0), commit=False)
    stripe_fake.lose_responses(1)  # and the retry's first answer is lost on the way
    assert charge(app, landlord.id, first["id"], days_from_today(0)) in ("processing", "succeeded")
    intents = stripe_fake.payment_intents()
    assert len(intents) == 1
    [intent] = intents
    assert intent["amount"] == 56666
    assert intent["metadata"]["instalment_id"] == str(first["id"])
    [stored] = rows("SELECT purpose FROM stripe_requests WHERE purpose LIKE 'instalment:%'")
    assert stored["purpose"] == f"instalment:{first['id']}:charge"

    stripe_fake.wait_for("payment_intent.succeeded", id=intent["id"])
    first = instalments_of(rows, plan_id)[0]
    assert (first["status"], first["paid_by"]) == ("paid", "sepa_debit")
    payments = rows("SELECT amount, method FROM payments ORDER BY id")
    assert payments == [{"amount": Decimal("566.66"), "method": "direct_debit"}]
    # The webhook again, or a late settle: nothing more.
    event = stripe_fake.wait_for("payment_intent.succeeded", id=intent["id"])
    resend = dict(event, id="evt_again_" + intent["id"])
    secret = fake_api.CONNECT_SECRET if event.get("account") else fake_api.PLATFORM_SECRET
    payload = fake_api.encode(resend)
    response = app.test_client().post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": fake_api.signature(payload, secret)},
    )
    assert response.status_code == 200
    assert charge(app, landlord.id, first["id"], days_from_today(0)) is None
    assert len(rows("SELECT id FROM payments")) == 1
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("paused", "plan")
    # The creditor is told of the direct debit set up, and of the instalment paid, once.
    run_worker()
    subjects = [m["Subject"] for m in inbox.to("rosa@example.com")]
    debtor = "Javier Martín Ruiz"
    paid = es(
        "%(debtor)s paid instalment %(position)s of %(count)s", debtor=debtor, position=1, count=3
    )
    assert subjects.count(paid) == 1
    assert es("%(debtor)s set up a direct debit for the instalments", debtor=debtor) in subjects


def test_a_returned_debit_fails_the_instalment_and_the_ladder_resumes_the_next_day(
    app, client, landlord, sepa_case, stripe_fake, rows
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.collections import instalments

    _account_id, data, token, plan_id = sepa_case
    assert give_mandate(client, token, plan_id, fake_api.FAILING_IBAN).status_code == 302
    first = instalments_of(rows, plan_id)[0]
    charge(app, landlord.id, first["id"], days_from_today(0))
    [intent] = stripe_fake.payment_intents()
    stripe_fake.wait_for("payment_intent.payment_failed", id=intent["id"])
    assert instalments_of(rows, plan_id)[0]["status"] == "failed"
    assert rows("SELECT id FROM payments") == []
    [case] = rows("SELECT status FROM cases WHERE id = :id", id=data.case_id)
    assert case["status"] == "paused"  # its own day: the debtor can still pay it by card

    with app.app_context(), tenant_context(landlord.id):
        assert instalments.break_missed(days_from_today(1)) == [plan_id]
        db.session.commit()
    [plan] = plan_rows(rows, data.case_id)
    assert plan["status"] == "broken"
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("open", None)
    kinds = [
        e["kind"]
        for e in rows("SELECT kind FROM case_events WHERE case_id = :c ORDER BY id", c=data.case_id)
    ]
    assert "instalment_failed" in kinds
    assert kinds.index("plan_missed") < kinds.index("plan_broken")


def test_an_instalment_paid_by_card_is_paid_and_the_plan_runs_on(
    client, sepa_case, stripe_fake, rows
):
    account_id, data, token, plan_id = sepa_case
    first = instalments_of(rows, plan_id)[0]
    response = client.post(f"/p/{token}/instalments/pay/{first['id'] + 1}")  # not the next one
    assert response.status_code == 422
    response = client.post(f"/p/{token}/instalments/pay/{first['id']}")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{stripe_fake.url}/checkout/")
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    [created] = [r for r in stripe_fake.requests if r["path"] == "/v1/checkout/sessions"]
    assert created["account"] == account_id
    assert created["params"]["metadata"]["instalment_id"] == str(first["id"])
    assert created["params"]["line_items"][0]["price_data"]["unit_amount"] == "56666"

    stripe_fake.complete_checkout(session_id)
    stripe_fake.wait_for("payment_intent.succeeded")
    first, second, _third = instalments_of(rows, plan_id)
    assert (first["status"], first["paid_by"]) == ("paid", "card")
    assert second["status"] == "pending"
    assert rows("SELECT amount, method FROM payments") == [
        {"amount": Decimal("566.66"), "method": "card"}
    ]
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("paused", "plan")
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert f"/instalments/pay/{second['id']}" in page  # the next one to pay
