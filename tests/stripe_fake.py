"""A FAKE of Stripe's API for the tests (Stripe's servers cannot be reached here).

Webhook events are signed for real, with the scheme of Stripe's library: the header
`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>" with the endpoint secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

# The secrets the tests' settings give the app (tests/conftest.py settings).
SECRET_KEY = "sk_test_amparo_tests"
PLATFORM_SECRET = "whsec_test_platform"
CONNECT_SECRET = "whsec_test_connect"


def signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send with `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, obj: dict, *, account: str | None = None, id: str | None = None):
    """An event as Stripe sends it, around `obj` (its `data.object`)."""
    found = {
        "id": id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }
    if account:
        found["account"] = account
    return found


def encode(event_dict: dict) -> bytes:
    return json.dumps(event_dict, separators=(",", ":")).encode()
