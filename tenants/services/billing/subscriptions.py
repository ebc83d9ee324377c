"""Subscribing to a plan through Stripe: Checkout, the Customer Portal and their webhooks.

The workspace's Stripe customer is created once (its id kept on the Subscription row, its
idempotency key by purpose), with `metadata.tenant_id`; so is the subscription Checkout
creates. The webhook handlers find the workspace from that metadata (or the customer), read
the object's CURRENT state from Stripe (events come late and out of order) and record it with
tenants/services/billing/plans.py, which logs the change and emails the owners.
"""

from __future__ import annotations

from tenants.clock import today_in_spain
from tenants.db import current_tenant_id, session, tenant_context
from tenants.models import Workspace
from tenants.models.plans import Subscription
from tenants.services.billing import plans, stripe_api
from tenants.services.billing.events import current, handles
from tenants.services.errors import ServiceError

PURPOSE = "plan"  # metadata.purpose of the Checkout sessions this module creates


def _subscription_row() -> Subscription:
    sub = plans.subscription()
    if sub is None:
        sub = Subscription(plan_code=plans.FREE_PLAN, status="active")
        session.add(sub)
        session.flush()
    return sub


def ensure_customer(email: str) -> str:
    """The workspace's Stripe customer, created the first time (with metadata tenant_id)."""
    sub = _subscription_row()
    if sub.stripe_customer_id:
        return sub.stripe_customer_id
    tenant_id = current_tenant_id()
    workspace = session.get(Workspace, tenant_id)
    customer = stripe_api.client().v1.customers.create(
        params={
            "email": email,
            "name": workspace.letterhead_name,
            "metadata": {"tenant_id": str(tenant_id)},
        },
        options=stripe_api.options(f"workspace:{tenant_id}:plan_customer"),
    )
    sub.stripe_customer_id = customer.id
    session.flush()
    return customer.id


def start_checkout(plan_code: str, *, email: str, success_url: str, cancel_url: str) -> str:
    """The URL of a Stripe Checkout page (mode subscription) for `plan_code`."""
    plan = plans.get_plan(plan_code)
    if not plan.stripe_price_id:
        raise ServiceError("choice_invalid", "plan")  # Gratis is not bought
    tenant_id = current_tenant_id()
    customer = ensure_customer(email)
    metadata = {"tenant_id": str(tenant_id), "purpose": PURPOSE, "plan": plan.code}
    checkout = stripe_api.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": str(tenant_id),
            "line_items": [{"price_data": _price_data(plan), "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        },
        # One session per workspace, plan and day: a second click the same day gets the same.
        options=stripe_api.options(
            f"workspace:{tenant_id}:plan_checkout:{plan.code}:{today_in_spain().isoformat()}"
        ),
    )
    return checkout.url


def _price_data(plan) -> dict:
    """The plan's price as the plans table says it (EUR a month, VAT not included): prices are
    data, nothing to keep in step in Stripe's dashboard. A subscription changed in the Customer
    Portal to a price configured there is matched by the plan's `stripe_price_id`."""
    return {
        "currency": "eur",
        "unit_amount": int(plan.monthly_price * 100),
        "recurring": {"interval": "month"},
        "product_data": {"name": f"Amparo {plan.name_es}", "metadata": {"plan": plan.code}},
    }


def portal_url(*, return_url: str) -> str:
    """A Stripe Customer Portal session for the workspace's customer (card, invoices, cancel)."""
    sub = plans.subscription()
    if sub is None or not sub.stripe_customer_id:
        raise ServiceError("plan_no_customer")
    portal = stripe_api.client().v1.billing_portal.sessions.create(
        params={"customer": sub.stripe_customer_id, "return_url": return_url}
    )
    return portal.url


def checkout_returned(session_id: str) -> bool:
    """Back from Checkout: record the subscription it created, if it is this workspace's."""
    if not session_id:
        return False
    checkout = stripe_api.client().v1.checkout.sessions.retrieve(session_id).to_dict()
    return _apply_checkout(checkout, current_tenant_id())


def _apply_checkout(checkout: dict, tenant_id: int) -> bool:
    metadata = checkout.get("metadata") or {}
    if metadata.get("purpose") != PURPOSE or str(metadata.get("tenant_id")) != str(tenant_id):
        return False
    sub_id = checkout.get("subscription")
    if isinstance(sub_id, dict):
        sub_id = sub_id.get("id")
    if not sub_id:
        return False
    obj = stripe_api.client().v1.subscriptions.retrieve(sub_id).to_dict()
    return plans.apply_stripe_subscription(obj)


# --- webhooks -------------------------------------------------------------------------------


def _tenant_of(obj: dict) -> int | None:
    tenant_id = (obj.get("metadata") or {}).get("tenant_id")
    if tenant_id and str(tenant_id).isdigit():
        return int(tenant_id)
    customer = obj.get("customer")
    return plans.tenant_of_customer(customer.get("id") if isinstance(customer, dict) else customer)


@handles("checkout.session.completed")
def _checkout_completed(event: dict, account: str | None) -> None:
    if account:
        return  # a debtor's payment on a creditor's account (card payments)
    obj = event["data"]["object"]
    if obj.get("mode") != "subscription" or (obj.get("metadata") or {}).get("purpose") != PURPOSE:
        return
    checkout = current(event)
    tenant_id = _tenant_of(checkout)
    if tenant_id is None:
        return
    with tenant_context(tenant_id):
        _apply_checkout(checkout, tenant_id)


@handles(
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
def _subscription_changed(event: dict, account: str | None) -> None:
    if account:
        return
    obj = event["data"]["object"]
    try:
        obj = current(event)
    except stripe_api.StripeUnavailable as error:
        if error.stripe_code != "resource_missing":
            raise  # Stripe down: the event is delivered again
        # gone for good: the event's copy is all there is
    tenant_id = _tenant_of(obj)
    if tenant_id is None:
        return
    with tenant_context(tenant_id):
        sub = plans.subscription()
        if (
            sub is not None
            and sub.stripe_subscription_id
            and sub.stripe_subscription_id != obj.get("id")
            and obj.get("status") == "canceled"
        ):
            return  # an old subscription ended; the workspace has a newer one
        plans.apply_stripe_subscription(obj)


def _invoice_subscription(invoice: dict) -> str | None:
    sub = invoice.get("subscription")
    if sub is None:  # newer API versions put it under parent.subscription_details
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        sub = details.get("subscription")
    return sub.get("id") if isinstance(sub, dict) else sub


@handles("invoice.paid", "invoice.payment_failed")
def _invoice_event(event: dict, account: str | None) -> None:
    if account:
        return
    invoice = current(event)
    if not _invoice_subscription(invoice):
        return  # not a plan's invoice
    tenant_id = _tenant_of(invoice)
    if tenant_id is None:
        return
    # The subscription as it is now: an older invoice's event (the first month's invoice.paid
    # delivered after a renewal failed) must not undo a newer state.
    try:
        now = stripe_api.client().v1.subscriptions.retrieve(_invoice_subscription(invoice))
        status = now.to_dict().get("status")
    except stripe_api.StripeUnavailable as error:
        if error.stripe_code != "resource_missing":
            raise  # Stripe down: the event is delivered again
        now, status = None, None
    paid = invoice.get("status") == "paid" or invoice.get("paid") is True
    with tenant_context(tenant_id):
        if paid and status in (None, "active", "trialing"):
            plans.invoice_paid()  # whichever event this was: it is paid now
        elif (
            not paid and event["type"] == "invoice.payment_failed" and status in (None, "past_due")
        ):
            plans.invoice_failed()
        elif now is not None:
            plans.apply_stripe_subscription(now.to_dict())
