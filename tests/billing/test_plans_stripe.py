"""Subscribing through Stripe Checkout and managing through the Customer Portal, against the
fake of Stripe (tests/stripe_fake.py): the webhooks put the workspace on its plan, a failed
renewal gives 7 days of grace, the cron suspends after them, a payment restores everything,
and a cancellation leaves it on Gratis."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import login, post_form


@pytest.fixture
def owner(app, create_workspace, make_client, stripe_fake):
    """Ana's landlord workspace on Gratis (its trial over), Ana logged in; the fake's events
    go to a test client of their own."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans

    workspace_id, slug = create_workspace()
    with app.app_context(), tenant_context(workspace_id):
        plans.put_on("gratis", reason="test")
        db.session.commit()
    client = make_client()
    login(client)
    stripe_fake.deliver_to(app.test_client())
    return workspace_id, slug, client


def subscription_of(app, workspace_id: int):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans

    with app.app_context(), tenant_context(workspace_id):
        sub = plans.subscription()
        db.session.expunge(sub)
        return sub


def subscribe(client, slug: str, plan: str):
    page = f"/w/{slug}/settings/plan"
    return post_form(client, f"/w/{slug}/settings/plan/subscribe", {"plan": plan}, token_from=page)


def test_subscribing_through_checkout_puts_the_workspace_on_the_plan(app, owner, stripe_fake):
    workspace_id, slug, client = owner
    response = subscribe(client, slug, "proteccion")
    assert response.status_code == 303
    url = response.headers["Location"]
    assert url.startswith(stripe_fake.url + "/checkout/")
    session_id = url.rsplit("/", 1)[1]
    created = [
        r for r in stripe_fake.requests if r["method"] == "POST" and r["path"] == "/v1/customers"
    ]
    assert len(created) == 1
    [checkout] = [
        r
        for r in stripe_fake.requests
        if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"
    ]
    assert checkout["params"]["mode"] == "subscription"
    assert checkout["params"]["metadata"]["tenant_id"] == str(workspace_id)
    assert checkout["params"]["line_items"][0]["price_data"]["unit_amount"] == "1900"
    assert checkout["idempotency_key"]

    # A second click the same day: the same page, no second customer.
    again = subscribe(client, slug, "proteccion")
    assert again.headers["Location"] == url
    customers = [r for r in stripe_fake.requests if r["path"] == "/v1/customers"]
    assert len([r for r in customers if r["method"] == "POST"]) == 1

    done = stripe_fake.complete_checkout(session_id)  # «Pagar»; the webhooks follow
    sub = subscription_of(app, workspace_id)
    assert (sub.plan_code, sub.status) == ("proteccion", "active")
    assert sub.stripe_subscription_id == done["subscription"]
    assert sub.stripe_customer_id == done["customer"]

    # Back on the success page: the same state, read from Stripe; the page says so.
    back = urlsplit(done["success_url"])
    assert parse_qs(back.query)["session_id"] == [session_id]
    response = client.get(f"{back.path}?{back.query}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Su plan: Protección" in html
    assert "Gestionar suscripción" in html


def test_a_failed_renewal_grace_suspension_and_payment_then_cancel_in_the_portal(
    app, owner, stripe_fake, inbox, run_worker
):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.services.billing import plans

    workspace_id, slug, client = owner
    url = subscribe(client, slug, "profesional").headers["Location"]
    done = stripe_fake.complete_checkout(url.rsplit("/", 1)[1])
    sub_id = done["subscription"]
    assert subscription_of(app, workspace_id).plan_code == "profesional"

    failed_at = utcnow()
    stripe_fake.renew(sub_id, paid=False)  # invoice.payment_failed, subscription past_due
    sub = subscription_of(app, workspace_id)
    assert sub.status == "past_due"
    assert failed_at < sub.grace_ends_at <= utcnow() + timedelta(days=7)
    grace = sub.grace_ends_at
    with app.app_context(), tenant_context(workspace_id):
        plans.require("api")  # the plan holds during the grace
    with app.app_context():
        assert plans.expire_due(grace - timedelta(hours=1)) == 0
        assert plans.expire_due(grace + timedelta(minutes=1)) == 1  # the cron, after 7 days
        db.session.commit()
    assert subscription_of(app, workspace_id).status == "suspended"
    html = client.get(f"/w/{slug}/settings/plan").get_data(as_text=True)
    assert 'id="plan-suspended"' in html

    stripe_fake.renew(sub_id, paid=True)  # paid at last: invoice.paid
    sub = subscription_of(app, workspace_id)
    assert (sub.plan_code, sub.status, sub.grace_ends_at) == ("profesional", "active", None)

    # The Customer Portal, and cancelling there: the workspace is on Gratis, nothing deleted.
    page = f"/w/{slug}/settings/plan"
    response = post_form(client, f"{page}/portal", {}, token_from=page)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_fake.url + "/billing_portal/")
    [portal] = [r for r in stripe_fake.requests if r["path"] == "/v1/billing_portal/sessions"]
    assert portal["params"]["customer"] == sub.stripe_customer_id
    stripe_fake.set_state(sub_id, status="canceled")
    stripe_fake.send(
        "customer.subscription.deleted",
        {"id": sub_id, "object": "subscription", "status": "canceled"},
    )
    sub = subscription_of(app, workspace_id)
    assert (sub.plan_code, sub.status) == ("gratis", "canceled")

    run_worker()
    subjects = [m["Subject"] for m in inbox.to("ana@example.com")]
    assert "Pisos Ana: ha fallado el pago del plan" in subjects
    assert "Pisos Ana: el plan está suspendido" in subjects
    assert "Pisos Ana está ahora en el plan Profesional" in subjects
