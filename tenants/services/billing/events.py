"""Stripe's webhook events: verified, recorded once, handed to the handlers (issue 12, point 5).

    from tenants.services.billing.events import current, handles

    @handles("checkout.session.completed")
    def _session_completed(event: dict, account: str | None) -> None:
        session = current(event)  # the object as Stripe holds it NOW, not the event's copy
        tenant_id = int(session["metadata"]["tenant_id"])
        with tenant_context(tenant_id):
            ...  # keyed effects: applying twice, or late, changes nothing

A module with handlers is named in HANDLER_MODULES; `receive` imports them on first use.
Several handlers may take one type (a completed Checkout Session is a card payment's or a
plan's): each looks at its objects' metadata and leaves the others alone.

`receive(payload, signature)`:
- verifies the signature on the raw body with `stripe.Webhook.construct_event`, against the
  platform's secret and then Connect's; forged, or older than the library's tolerance (five
  minutes), it raises `BadSignature` and nothing is written;
- stores the event id in `stripe_events` in the caller's transaction, so the row lands with
  the handlers' effects in one commit: a replay (Stripe retries, delivers twice) finds it and
  does nothing; two deliveries at once wait on the row, the second then does nothing;
- runs the handlers of its type, with no tenant set (they find the workspace from
  `metadata.tenant_id` on the objects we create, or from the Connect `account`). A type nobody
  handles is acknowledged and nothing is done.
A handler's error (Stripe unreachable while it reads the current state) propagates: the
request rolls back, the event row with it, and Stripe delivers the event again later.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

import stripe
from sqlalchemy.dialects.postgresql import insert

from tenants import db
from tenants.models.stripe_records import StripeEvent
from tenants.services.billing import stripe_api

Handler = Callable[[dict, "str | None"], None]

# Dotted names of the modules whose handlers `receive` needs (imported on first use).
HANDLER_MODULES: list[str] = [
    "tenants.services.billing.subscriptions",  # plans: subscriptions and their invoices
    "tenants.services.billing.connect",  # card payments: the creditors' Connect accounts
    "tenants.services.portal.card",  # card payments: Checkout, refunds, chargebacks
    "tenants.services.collections.instalments",  # instalments: SEPA debits succeeded or failed
]

_handlers: dict[str, list[Handler]] = {}
_loaded: set[str] = set()

# Where `current` reads each kind of object: its `object` field → the client's service.
_SERVICES = {
    "account": ("accounts",),
    "charge": ("charges",),
    "checkout.session": ("checkout", "sessions"),
    "customer": ("customers",),
    "dispute": ("disputes",),
    "invoice": ("invoices",),
    "payment_intent": ("payment_intents",),
    "payment_method": ("payment_methods",),
    "refund": ("refunds",),
    "setup_intent": ("setup_intents",),
    "subscription": ("subscriptions",),
}


class BadSignature(Exception):
    """The payload is not signed by Stripe with one of our secrets, or too long ago."""


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register `fn(event, account)` for each of `event_types`."""

    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            bucket = _handlers.setdefault(event_type, [])
            if fn not in bucket:
                bucket.append(fn)
        return fn

    return register


def handlers_for(event_type: str) -> list[Handler]:
    _load_handler_modules()
    return list(_handlers.get(event_type, ()))


def _load_handler_modules() -> None:
    for name in HANDLER_MODULES:
        if name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)


def verify(payload: bytes, signature: str) -> dict:
    """The event, as a plain dict, if one of our secrets signed `payload` within the tolerance."""
    secrets = stripe_api.webhook_secrets()
    if not secrets:
        raise RuntimeError("no Stripe webhook secret configured (stripe_api.configure)")
    for secret in secrets:
        try:
            stripe.Webhook.construct_event(payload, signature or "", secret)
        except stripe.SignatureVerificationError:
            continue
        except ValueError as error:  # signed, yet not JSON: not from Stripe either
            raise BadSignature(str(error)) from error
        event = json.loads(payload)
        if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
            raise BadSignature("not an event")
        return event
    raise BadSignature("no valid signature for our secrets within the tolerance")


def receive(payload: bytes, signature: str) -> str:
    """Handle one delivery. Returns "handled", "ignored" (no handler for its type) or
    "duplicate" (already handled). Raises BadSignature. The caller commits."""
    event = verify(payload, signature)
    account = event.get("account") or None
    created = event.get("created")
    stored = db.session.execute(
        insert(StripeEvent)
        .values(
            id=event["id"],
            type=str(event["type"])[:128],
            account=account,
            created=datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None,
            received_at=db.utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(StripeEvent.id)
    ).scalar()
    if stored is None:
        return "duplicate"
    found = handlers_for(event["type"])
    for handler in found:
        handler(event, account)
    return "handled" if found else "ignored"


def current(event: dict) -> dict:
    """The event's object as Stripe holds it now (retrieved on the event's account), as a plain
    dict: events arrive late and out of order, so a handler trusts this, not the event's copy.
    Raises StripeUnavailable when Stripe cannot answer (the event is then delivered again)."""
    obj = event["data"]["object"]
    service = stripe_api.client().v1
    for part in _SERVICES[obj["object"]]:
        service = getattr(service, part)
    account = event.get("account") or None
    if obj["object"] == "account":
        fresh = service.retrieve(obj["id"])
    else:
        fresh = service.retrieve(obj["id"], options={"stripe_account": account})
    return fresh.to_dict()
