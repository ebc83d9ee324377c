"""A storm of webhooks: 200 events of card payments, declines, refunds, a chargeback, Connect
account updates and plan subscriptions over several cases in three workspaces end in the same
database whether they arrive once each in order, or replayed with duplicates and shuffled
(issue 12, point 5).

What happens is made first against the fake of Stripe with delivery off, recording each event
it would send; the database is then copied (CREATE DATABASE … TEMPLATE), so both deliveries
start from the same state: in order into one copy, shuffled with repeats into the other.
"Same state" is what a person sees: each payment (by its Stripe reference: amount, day,
method), what each charge has been paid, each case's status, each card payment's status and
amounts, each subscription's status and plan, each Connect account's status. Which payment
row covers which charge may differ (payments cover the oldest charge first in the order they
are booked), so allocations are compared as the sum paid of each charge.
"""

# ruff: noqa: F811 - the shared fixtures are imported, then named as arguments

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tests.collections.conftest import make_case  # noqa: F401
from tests.conftest import admin_url

EVENTS = 200
WORKSPACES = (
    ("Pisos Ana", "ana@example.com"),
    ("Locales Bea", "bea@example.com"),
    ("Casas Carla", "carla@example.com"),
)
RENTERS = (("Javier Martín Ruiz", "12345678Z"), ("Lucía Gómez Pardo", "87654321X"))
# Ignored types (localstripe's own bookkeeping): acknowledged, nothing done; a few stay in.
NOISE = ("balance.available", "customer.created", "customer.updated", "product.created")

SNAPSHOT = {
    "payments": """
        SELECT tenant_id, lease_id, reference, method, source, received_on,
               sum(amount) AS amount
        FROM payments GROUP BY tenant_id, lease_id, reference, method, source, received_on
        ORDER BY tenant_id, reference, received_on""",
    "charges": "SELECT id, paid, case_id FROM charges ORDER BY id",
    "allocated": """
        SELECT charge_id, sum(amount) AS amount FROM allocations
        GROUP BY charge_id HAVING sum(amount) <> 0 ORDER BY charge_id""",
    "cases": "SELECT id, status, cycle, closed_reason FROM cases ORDER BY id",
    "card_payments": """
        SELECT purpose, status, amount, booked, refunded, disputed, dispute_status,
               payment_intent_id, received_on
        FROM card_payments ORDER BY purpose""",
    "subscriptions": """
        SELECT tenant_id, plan_code, status, stripe_subscription_id, stripe_customer_id,
               grace_ends_at IS NOT NULL AS in_grace
        FROM subscriptions ORDER BY tenant_id""",
    "stripe_accounts": """
        SELECT tenant_id, account_id, charges_enabled, payouts_enabled, details_submitted
        FROM stripe_accounts ORDER BY tenant_id""",
    "events_handled": "SELECT count(*) AS n FROM stripe_events",
}


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {
            name: [dict(row._mapping) for row in conn.execute(text(query))]
            for name, query in SNAPSHOT.items()
        }


def connect_account(app, stripe_fake, tenant_id: int, email: str) -> str:
    """The workspace's Stripe account, onboarded (its account.updated delivered)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import connect
    from tenants.services.platform.accounts import find_user_by_email

    with app.app_context(), tenant_context(tenant_id):
        url = connect.start_onboarding(
            find_user_by_email(email), return_url="http://localhost/r", refresh_url="http://x/f"
        )
        db.session.commit()
    account_id = url.split("/connect/onboard/")[1].split("?")[0]
    stripe_fake.onboard(account_id)
    return account_id


def checkout(app, tenant_id: int, case_id: int, amount: str, purpose: str) -> str:
    """A card payment of the case opened on Stripe's page: the session's id."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.portal import card

    with app.app_context(), tenant_context(tenant_id):
        url = card.start_checkout(
            case_id,
            Decimal(amount),
            purpose=purpose,
            success_url="http://localhost/ok",
            cancel_url="http://localhost/no",
        )
        db.session.commit()
    return url.rsplit("/", 1)[1]


def subscribe(app, stripe_fake, tenant_id: int, email: str) -> str:
    """The workspace subscribes to Protección on Stripe's page: the subscription's id."""
    from tenants.services.billing import stripe_api

    metadata = {"tenant_id": str(tenant_id), "purpose": "plan", "plan": "proteccion"}
    with app.app_context():
        session = stripe_api.client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer_email": email,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 1900,
                            "recurring": {"interval": "month"},
                            "product_data": {"name": "Amparo Protección"},
                        },
                    }
                ],
                "success_url": "http://localhost/plan",
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            },
            options=stripe_api.options(f"storm:{tenant_id}:plan"),
        )
    return stripe_fake.complete_checkout(session.id)["subscription"]


def refund(app, account: str, intent_id: str, cents: int) -> None:
    from tenants.services.billing import stripe_api

    with app.app_context():
        stripe_api.client().v1.refunds.create(
            params={"payment_intent": intent_id, "amount": cents},
            options=stripe_api.options(f"storm:refund:{intent_id}:{cents}", account=account),
        )


def cancel(app, subscription_id: str) -> None:
    from tenants.services.billing import stripe_api

    with app.app_context():
        stripe_api.client().v1.subscriptions.cancel(subscription_id)


def make_history(app, stripe_fake, create_workspace, make_case) -> list[dict]:
    """What happens at Stripe, over three workspaces and six cases; the events it sends."""
    workspaces = []
    stripe_fake.deliver_to(app.test_client())  # the accounts are active before the storm
    for name, email in WORKSPACES:
        tenant_id, _slug = create_workspace(name=name, owner_email=email)
        cases = [make_case(tenant_id, renter, tax_id) for renter, tax_id in RENTERS]
        workspaces.append((tenant_id, email, connect_account(app, stripe_fake, tenant_id, email)))
        workspaces[-1] += (cases,)
    stripe_fake.deliver_to(None)
    start = len(stripe_fake.events)

    paid: list[tuple[str, str]] = []  # (account, payment intent) of the payments made
    for w, (tenant_id, _email, account, cases) in enumerate(workspaces):
        for c, case in enumerate(cases):
            amounts = ["1700"] if (w, c) == (0, 0) else [str(60 + 10 * n) for n in range(13)]
            for n, amount in enumerate(amounts):
                session_id = checkout(app, tenant_id, case.case_id, amount, f"storm:{w}:{c}:{n}")
                if n == 1:
                    stripe_fake.complete_checkout(session_id, declined=True)  # then a good card
                done = stripe_fake.complete_checkout(session_id)
                paid.append((account, done["payment_intent"]))
        stripe_fake.onboard(account)  # Stripe tells again: account.updated
    # localstripe's own events come a second late: in order means as they happened.
    for _account, intent_id in paid:
        stripe_fake.wait_for("payment_intent.succeeded", id=intent_id)
    for account, intent_id in paid[1::4]:
        refund(app, account, intent_id, 5000)  # 50 € back of every fourth payment
    account, intent_id = paid[3]
    stripe_fake.dispute(intent_id)  # a chargeback

    subscriptions = [subscribe(app, stripe_fake, t, e) for t, e, _a, _c in workspaces]
    for subscription_id in subscriptions:
        stripe_fake.wait_for("invoice.paid", subscription=subscription_id)
    stripe_fake.renew(subscriptions[0], paid=False)  # past due, in its grace
    stripe_fake.renew(subscriptions[1], paid=False)
    stripe_fake.renew(subscriptions[1], paid=True)  # paid at last
    cancel(app, subscriptions[2])
    stripe_fake.wait_for("customer.subscription.deleted")
    return stripe_fake.events[start:]


def storm_of(events: list[dict]) -> list[dict]:
    """Exactly EVENTS of them. What goes first: localstripe's no-op bookkeeping (a few kept),
    then refund.created (charge.refunded tells the same refund), then card sessions' completion
    (their payment_intent.succeeded tells the same payment)."""
    from collections import Counter

    storm = list(events)
    for kind, keep in (*((n, 2) for n in NOISE), ("refund.created", 2), (CARD_DONE, 20)):
        found = [i for i, e in enumerate(storm) if _kind(e) == kind][keep:]
        for i in reversed(found[: max(len(storm) - EVENTS, 0)]):
            del storm[i]
    assert len(storm) == EVENTS, (len(storm), Counter(e["type"] for e in events))
    return storm


CARD_DONE = "checkout.session.completed (payment)"


def _kind(event: dict) -> str:
    mode = event["data"]["object"].get("mode")
    done = event["type"] == "checkout.session.completed" and mode == "payment"
    return CARD_DONE if done else event["type"]


@contextlib.contextmanager
def copy_of_database(app, pg_admin, database_url, admin_engine):
    """A copy of the test database as it is now; the app uses it inside the block."""
    from tenants import db

    name = database_url.split("?")[0].rsplit("/", 1)[1]
    copy = f"{name}_storm"
    db.session.remove()
    db.SessionFactory.kw["bind"].dispose()  # a template database has no other connections
    admin_engine.dispose()
    with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    url = admin_url(pg_admin, copy)
    engine = create_engine(url)
    try:
        yield engine, lambda: db.init_engine(url, app_role=app.config["DB_APP_ROLE"] or None)
    finally:
        engine.dispose()
        db.init_engine(database_url, app_role=app.config["DB_APP_ROLE"] or None)
        with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def deliver(app, signed_event, events: list[dict]) -> list[int]:
    client = app.test_client()
    return [signed_event(client, event).status_code for event in events]


@pytest.mark.skipif(
    __import__("os").environ.get("AMPARO_TEST_DATABASE_URL") is not None,
    reason="copies the throwaway test database; a given database is used as it is",
)
def test_events_in_any_order_and_repeated_end_in_the_same_state(
    app,
    stripe_fake,
    signed_event,
    create_workspace,
    make_case,
    pg_admin,
    database_url,
    admin_engine,
):
    storm = storm_of(make_history(app, stripe_fake, create_workspace, make_case))
    assert len({e["id"] for e in storm}) == EVENTS
    kinds = {e["type"] for e in storm}
    assert {
        "checkout.session.completed",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "account.updated",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    } <= kinds
    assert {e.get("account") for e in storm} > {None}  # Connect events and platform ones

    rng = random.Random(12)
    replayed = [e for e in storm for _ in range(rng.choice((1, 1, 2, 3)))]
    rng.shuffle(replayed)

    before = snapshot(admin_engine)["events_handled"][0]["n"]  # the accounts' onboarding
    with copy_of_database(app, pg_admin, database_url, admin_engine) as (copy, use_copy):
        assert set(deliver(app, signed_event, storm)) == {200}
        in_order = snapshot(admin_engine)
        use_copy()
        assert set(deliver(app, signed_event, replayed)) == {200}
        shuffled = snapshot(copy)

    assert in_order["events_handled"] == [{"n": before + EVENTS}]
    # Something happened: money booked and taken back, cases closed and reopened, plans.
    assert any(c["status"] == "closed" for c in in_order["cases"])
    assert {p["status"] for p in in_order["card_payments"]} >= {"paid", "partly_refunded"}
    assert {s["status"] for s in in_order["subscriptions"]} >= {"past_due", "active"}
    differ = {name: _diff(in_order[name], shuffled[name]) for name in SNAPSHOT}
    assert {name: d for name, d in differ.items() if d} == {}


def _diff(expected: list[dict], got: list[dict]) -> list:
    """The rows of one that the other lacks, both ways (what a failure shows)."""
    missing = [row for row in expected if row not in got]
    extra = [row for row in got if row not in expected]
    return [("in order only", row) for row in missing] + [("shuffled only", row) for row in extra]
