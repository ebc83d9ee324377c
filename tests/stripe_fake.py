"""A FAKE of Stripe's API for the tests: Stripe's servers cannot be reached here.

Not Stripe, and not a test of Stripe: a stand-in good enough for tests of OUR code. It is a small
threaded HTTP server in the test process, at `StripeFake.url` (the settings' STRIPE_API_BASE,
so the app, its workers and its browsers all reach it), that

- passes what localstripe (PyPI: a stateful fake Stripe) implements to a localstripe process:
  customers, payment methods (sepa_debit by IBAN; DE62370400440532013001 fails as it does at
  Stripe), setup and payment intents, subscriptions, invoices, refunds. localstripe refuses
  parameters it does not know ("Unexpected application_fee_amount"): they are dropped for it
  and put back on the object we answer with, as Stripe would keep them.
- answers itself, with the shapes of Stripe's API reference, what localstripe lacks: Checkout
  Sessions (modes payment, setup and subscription), Connect accounts and account links,
  Customer Portal sessions, disputes;
- honours what localstripe ignores: `Idempotency-Key` (every POST: the same key on the same
  account gives the same stored answer, and different parameters under one key are refused
  with an idempotency_error, as Stripe does) and `Stripe-Account` (an object made on one
  account is not found from another);
- serves the hosted pages a browser test clicks through, in Spanish like the debtor's:
  `session.url` (/checkout/<id>: button #pay «Pagar», #pay-declined «Pagar con tarjeta
  rechazada», in setup mode an IBAN field `iban` and #pay «Autorizar el adeudo»),
  `account_link.url` (/connect/onboard/<acct>: #onboard «Continuar») and the portal's `url`
  (/billing_portal/<id>: #cancel «Cancelar la suscripción», #back «Volver»);
- signs and POSTs the events of what happened (checkout.session.completed,
  payment_intent.succeeded / payment_failed, setup_intent.succeeded, account.updated,
  customer.subscription.created / updated / deleted, invoice.paid / payment_failed,
  charge.refunded, charge.dispute.created) to the target a test registered with
  `deliver_to(url_or_client)`: signed with the platform's secret, or with Connect's and
  carrying "account" when the object lives on a connected account. With no target, events are
  only kept in `events`.

localstripe is started lazily, on the first call that needs it, so a session that never uses
Stripe pays only for this server's idle thread (the URL must exist when the session's
settings are made, for worker subprocesses to inherit it).

Webhooks are signed with the scheme of Stripe's library: the header
`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>" with the endpoint secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

# The secrets the tests' settings give the app (tests/conftest.py settings).
SECRET_KEY = "sk_test_amparo_tests"
PLATFORM_SECRET = "whsec_test_platform"
CONNECT_SECRET = "whsec_test_connect"
FAILING_IBAN = "DE62370400440532013001"  # localstripe's (and Stripe's) failing SEPA account
GOOD_IBAN = "DE89370400440532013000"
API_VERSION = "2026-10-28.endive"


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
        "api_version": API_VERSION,
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


# --- form encoding, as Stripe's library sends parameters ------------------------------------


def parse_form(body: str) -> dict:
    """`a[b][0][c]=x` → {"a": {"b": [{"c": "x"}]}} (numeric keys become lists)."""
    tree: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = tree
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "[]":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(tree)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def flatten(params: dict, prefix: str = "") -> list[tuple[str, str]]:
    pairs = []
    items = enumerate(params) if isinstance(params, list) else params.items()
    for key, value in items:
        if isinstance(params, list):
            key, value = str(key), value
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict | list):
            pairs += flatten(value, name)
        elif value is not None:
            pairs.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
    return pairs


def _error(status: int, message: str, *, type_="invalid_request_error", code=None, param=None):
    body = {"error": {"type": type_, "message": message}}
    if code:
        body["error"]["code"] = code
    if param:
        body["error"]["param"] = param
    return status, body


def _id(prefix: str) -> str:
    return f"{prefix}_fake{uuid.uuid4().hex[:20]}"


class Webhooks:
    """Where events go: a URL (a live server) or a Flask test client, and what was sent."""

    def __init__(self):
        self.target = None
        self.sent: list[dict] = []
        self.lock = threading.Condition()

    def deliver(self, evt: dict) -> None:
        secret = CONNECT_SECRET if evt.get("account") else PLATFORM_SECRET
        payload = encode(evt)
        headers = {"Stripe-Signature": signature(payload, secret)}
        status = None
        target = self.target
        if isinstance(target, str):
            try:
                status = requests.post(
                    target,
                    data=payload,
                    headers=headers | {"Content-Type": "application/json"},
                    timeout=60,
                ).status_code
            except requests.RequestException:
                status = None
        elif target is not None:
            status = target.post(
                "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
            ).status_code
        with self.lock:
            self.sent.append({"event": evt, "status": status})
            self.lock.notify_all()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hung up: normal
            super().handle_error(request, client_address)


class StripeFake:
    """The fake's state and the tests' handles on it (see the module docstring)."""

    def __init__(self, localstripe_bin: str):
        self.localstripe_bin = localstripe_bin
        self.localstripe_url: str | None = None
        self.localstripe: subprocess.Popen | None = None
        self.lock = threading.RLock()
        self.webhooks = Webhooks()
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.reset()

    # --- the tests' handles ------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict] = {}  # ours: sessions, accounts, links, disputes
            self.owner: dict[str, str | None] = {}  # object id → the account it lives on
            self.extra: dict[str, dict] = {}  # parameters localstripe dropped, per object
            self.idempotent: dict[tuple, tuple] = {}  # (account, key) → (params, status, body)
            self.requests: list[dict] = []
            self.failing = 0
            self.down = False  # every API call answers 503
            self.losing = 0  # POSTs done, their answer lost (the connection drops)
            self.webhooks.target = None
            self.webhooks.sent = []
        if self.localstripe_url:
            requests.delete(f"{self.localstripe_url}/_config/data", timeout=10)

    def deliver_to(self, target) -> None:
        """Send events to `target`: the app's webhook URL (a live server) or a test client."""
        self.webhooks.target = target

    @property
    def events(self) -> list[dict]:
        return [s["event"] for s in self.webhooks.sent]

    def wait_for(self, event_type: str, timeout: float = 15, **match) -> dict:
        """The first event of `event_type` (whose object has the `match` fields) sent so far or
        within `timeout` seconds (localstripe's own events come about a second late)."""
        deadline = time.monotonic() + timeout
        with self.webhooks.lock:
            while True:
                for sent in self.webhooks.sent:
                    evt = sent["event"]
                    obj = evt["data"]["object"]
                    if evt["type"] == event_type and all(obj.get(k) == v for k, v in match.items()):
                        return evt
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event_type} event {match} within {timeout}s")
                self.webhooks.lock.wait(left)

    def send(self, event_type: str, obj: dict, *, account: str | None = None) -> dict:
        """Sign and deliver an event about `obj` now (account: a Connect event)."""
        evt = event(event_type, obj, account=account)
        self.webhooks.deliver(evt)
        return evt

    def fail_next_payment(self, count: int = 1) -> None:
        """The next `count` payments (hosted checkout, or a payment intent confirmed through
        the API) are declined."""
        with self.lock:
            self.failing += count

    def lose_responses(self, count: int = 1) -> None:
        """The next `count` POSTs are done but their answers never arrive (the connection
        drops, as when a network or a worker dies mid-call)."""
        with self.lock:
            self.losing += count

    def payment_intents(self, account: str | None = "*") -> list[dict]:
        """The payment intents created so far (on `account`; "*": any)."""
        found = self.call("GET", "/v1/payment_intents", {"limit": "100"})[1]["data"]
        return [p for p in found if account == "*" or self.owner.get(p["id"]) == account]

    def complete_checkout(self, session_id: str, *, declined: bool = False, iban: str = GOOD_IBAN):
        """Do what the hosted page's button does; returns the session."""
        return self._complete(session_id, declined=declined, iban=iban)

    def onboard(self, account_id: str) -> dict:
        """The account owner finishes Connect onboarding: charges and payouts enabled."""
        with self.lock:
            account = self.objects[account_id]
            account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
            account["requirements"].update(
                currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
            )
            snapshot = json.loads(json.dumps(account))
        self.send("account.updated", snapshot, account=account_id)
        return snapshot

    def dispute(self, payment_intent_id: str, *, reason: str = "fraudulent") -> dict:
        """The card holder disputes the payment (a chargeback): charge.dispute.created."""
        account = self.owner.get(payment_intent_id)
        status, intent = self.call(
            "GET", f"/v1/payment_intents/{payment_intent_id}", {}, account=account
        )
        assert status == 200, intent
        charge = intent.get("latest_charge")
        charge_id = charge["id"] if isinstance(charge, dict) else charge
        dispute = self._store(
            {
                "id": _id("dp"),
                "object": "dispute",
                "amount": intent["amount"],
                "currency": intent["currency"],
                "charge": charge_id,
                "payment_intent": payment_intent_id,
                "reason": reason,
                "status": "needs_response",
                "created": int(time.time()),
                "livemode": False,
                "metadata": {},
            },
            account,
        )
        self.send("charge.dispute.created", dispute, account=account)
        return dispute

    def set_state(self, object_id: str, **fields) -> None:
        """Change what the fake answers for an object from now on (e.g. a subscription that
        went past_due), for states localstripe cannot reach."""
        with self.lock:
            if object_id in self.objects:
                self.objects[object_id].update(fields)
            else:
                self.extra.setdefault(object_id, {}).update(fields)

    def renew(self, subscription_id: str, *, paid: bool = True) -> dict:
        """A renewal of the subscription: invoice.paid, or invoice.payment_failed and the
        subscription past_due (customer.subscription.updated). Returns the invoice."""
        account = self.owner.get(subscription_id)
        status, sub = self.call("GET", f"/v1/subscriptions/{subscription_id}", {}, account=account)
        assert status == 200, sub
        invoice = self._store(
            {
                "id": _id("in"),
                "object": "invoice",
                "customer": sub["customer"],
                "subscription": subscription_id,
                "parent": _parent(subscription_id, sub.get("metadata", {})),
                "status": "paid" if paid else "open",
                "paid": paid,
                "amount_due": sum(i["plan"]["amount"] for i in sub["items"]["data"]),
                "currency": "eur",
                "billing_reason": "subscription_cycle",
                "attempt_count": 1,
                "created": int(time.time()),
                "metadata": {},
            },
            account,
        )
        self.set_state(subscription_id, status="active" if paid else "past_due")
        self.send("invoice.paid" if paid else "invoice.payment_failed", invoice, account=account)
        self.send(
            "customer.subscription.updated",
            self.call("GET", f"/v1/subscriptions/{subscription_id}", {}, account=account)[1],
            account=account,
        )
        return invoice

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.localstripe:
            self.localstripe.terminate()
            self.localstripe.wait(10)

    # --- the API --------------------------------------------------------------------------

    def call(self, method: str, path: str, params: dict, *, account=None, key=None):
        """One API request: (status, body). What the HTTP handler and the pages use."""
        if self.down:
            return _error(503, "The fake is down", type_="api_error")
        if method == "POST" and key:
            with self.lock:
                seen = self.idempotent.get((account, key))
            if seen is not None:
                if seen[0] != params:
                    return _error(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with.",
                        type_="idempotency_error",
                        code="idempotency_key_in_use",
                    )
                return seen[1], seen[2]
            status, body = self._route(method, path, params, account)
            with self.lock:
                self.idempotent.setdefault((account, key), (params, status, body))
                stored = self.idempotent[(account, key)]
            return stored[1], stored[2]
        return self._route(method, path, params, account)

    def _route(self, method, path, params, account):
        parts = path.strip("/").split("/")[1:]  # without "v1"
        resource = (
            "/".join(parts[:2]) if parts[:1] in (["checkout"], ["billing_portal"]) else parts[0]
        )
        rest = parts[2:] if "/" in resource else parts[1:]
        ours = {
            "prices": self._prices,
            "checkout/sessions": self._checkout_sessions,
            "billing_portal/sessions": self._portal_sessions,
            "accounts": self._accounts,
            "account_links": self._account_links,
            "disputes": self._disputes,
        }
        if resource in ours:
            return ours[resource](method, rest, params, account)
        return self._proxy(method, path, params, account, resource, rest)

    def _store(self, obj: dict, account: str | None) -> dict:
        with self.lock:
            self.objects[obj["id"]] = obj
            self.owner[obj["id"]] = account
        return json.loads(json.dumps(obj))

    def _find(self, object_id: str, account: str | None, kind: str):
        with self.lock:
            obj = self.objects.get(object_id)
            if obj is None or obj["object"] != kind or self.owner.get(object_id) != account:
                return None
            return json.loads(json.dumps(obj))

    def _missing(self, object_id):
        return _error(404, f"No such object: '{object_id}'", code="resource_missing", param="id")

    # localstripe, for the rest

    def _ensure_localstripe(self) -> str:
        with self.lock:
            if self.localstripe_url:
                return self.localstripe_url
            port = _free_port()
            # Its store would be pickled to /tmp/localstripe.pickle on every write, shared by
            # every test run on the machine: kept in memory only.
            code = (
                "import sys; import localstripe.resources as r;"
                "r.Store.dump_to_disk = lambda self: None;"
                "from localstripe.server import start;"
                f"sys.argv = ['localstripe', '--port', '{port}', '--from-scratch']; start()"
            )
            self.localstripe = subprocess.Popen(
                [sys.executable, "-c", code],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{url}/v1/balance", auth=(SECRET_KEY, ""), timeout=2)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or self.localstripe.poll() is not None:
                        raise RuntimeError("localstripe did not start") from None
                    time.sleep(0.1)
            requests.post(
                f"{url}/_config/webhooks/amparo",
                data={"url": f"{self.url}/_localstripe/events", "secret": "whsec_localstripe"},
                timeout=5,
            ).raise_for_status()
            self.localstripe_url = url
            return url

    def _localstripe(self, method: str, path: str, params: dict):
        url = self._ensure_localstripe() + path
        auth = (SECRET_KEY, "")
        if method == "GET":
            response = requests.get(url, params=flatten(params), auth=auth, timeout=30)
        elif method == "DELETE":
            response = requests.delete(url, auth=auth, timeout=30)
        else:
            response = requests.post(url, data=flatten(params), auth=auth, timeout=30)
        return response.status_code, response.json()

    def _proxy(self, method, path, params, account, resource, rest):
        object_id = rest[0] if rest else None
        with self.lock:
            kind = self.objects.get(object_id, {}).get("object")
        if kind:  # one of ours that localstripe does not know (an invoice of renew())
            found = self._find(object_id, account, kind) if method == "GET" else None
            return (200, found) if found else self._missing(object_id)
        if object_id and not object_id.startswith("pm_card_") and object_id in self.owner:
            if self.owner[object_id] != account:
                return self._missing(object_id)
        params = dict(params)
        if method == "POST" and resource == "payment_intents" and self.failing:
            params = self._declining(params)
        if method == "POST" and resource == "subscriptions" and not rest:
            params = self._plans_from_prices(params)
        dropped: dict = {}
        while True:
            status, body = self._localstripe(method, path, params)
            message = body.get("error", {}).get("message", "") if status >= 400 else ""
            unexpected = re.match(r"Unexpected (.+)", message)
            if not unexpected:
                break
            for name in unexpected.group(1).split(", "):
                dropped[name] = params.pop(name, None)
        if status < 300 and isinstance(body, dict) and body.get("id"):
            with self.lock:
                if method == "POST" and not rest:
                    self.owner[body["id"]] = account
                if dropped:
                    self.extra.setdefault(body["id"], {}).update(dropped)
                if resource == "subscriptions" and not rest and params.get("trial_period_days"):
                    # localstripe leaves a trial "incomplete"; Stripe says trialing until its end
                    start = int(time.time())
                    end = start + int(params["trial_period_days"]) * 86400
                    self.extra.setdefault(body["id"], {}).update(
                        status="trialing", trial_start=start, trial_end=end
                    )
            self._overlay(body)
            if method == "POST" and resource == "subscriptions" and rest:
                self.send("customer.subscription.updated", body, account=account)
            if method == "POST" and resource == "refunds" and not rest:
                self._refunded(body, account)
        elif status == 402 and method == "POST" and not rest and body["error"].get("charge"):
            # Declined on creation: the intent exists all the same, on this account.
            _s, charge = self._localstripe("GET", f"/v1/charges/{body['error']['charge']}", {})
            if charge.get("payment_intent"):
                with self.lock:
                    self.owner[charge["payment_intent"]] = account
        elif status < 300 and isinstance(body, dict) and body.get("object") == "list":
            for item in body.get("data", []):
                self._overlay(item)
        return status, body

    def _overlay(self, obj: dict) -> None:
        with self.lock:
            obj.update(self.extra.get(obj.get("id"), {}))
        if obj.get("object") == "subscription":  # localstripe's items name plans, not prices
            for item in (obj.get("items") or {}).get("data", []):
                if isinstance(item.get("plan"), dict) and "price" not in item:
                    item["price"] = _price_of(item["plan"])

    def _declining(self, params: dict) -> dict:
        """The next payment fails: its method swapped for one the bank refuses."""
        if not params.get("payment_method"):
            return params
        with self.lock:
            self.failing -= 1
        _status, method = self._localstripe(
            "GET", f"/v1/payment_methods/{params['payment_method']}", {}
        )
        if method.get("type") == "sepa_debit":
            _s, failing = self._localstripe(
                "POST",
                "/v1/payment_methods",
                {
                    "type": "sepa_debit",
                    "sepa_debit": {"iban": FAILING_IBAN},
                    "billing_details": {"name": "Fake"},
                },
            )
            return params | {"payment_method": failing["id"]}
        return params | {"payment_method": "pm_card_chargeCustomerFail"}

    def _plans_from_prices(self, params: dict) -> dict:
        """localstripe knows plans, not prices: `price` and `price_data` become plans."""
        items = []
        for item in params.get("items", []):
            item = dict(item)
            if "price" in item:
                item["plan"] = item.pop("price")
            if "price_data" in item:
                item["plan"] = self._plan(item.pop("price_data"))["id"]
            items.append(item)
        if items:
            params = params | {"items": items}
        return params

    def _plan(self, price_data: dict) -> dict:
        product = (
            price_data.get("product")
            or self._localstripe(
                "POST",
                "/v1/products",
                {"name": price_data.get("product_data", {}).get("name", "Plan"), "type": "service"},
            )[1]["id"]
        )
        recurring = price_data.get("recurring", {})
        status, plan = self._localstripe(
            "POST",
            "/v1/plans",
            {
                "amount": price_data["unit_amount"],
                "currency": price_data.get("currency", "eur"),
                "interval": recurring.get("interval", "month"),
                "product": product,
            },
        )
        assert status == 200, plan
        return plan

    def _refunded(self, refund: dict, account):
        charge_id = refund.get("charge")
        if not charge_id:
            return
        _s, charge = self._localstripe("GET", f"/v1/charges/{charge_id}", {})
        self.send("refund.created", refund, account=account)
        self.send("charge.refunded", charge, account=account)

    # Prices: localstripe has plans (the older name of a recurring price), answered as prices

    def _prices(self, method, rest, params, account):
        if method == "POST" and not rest:
            recurring = params.get("recurring", {})
            data = {
                "unit_amount": params.get("unit_amount"),
                "currency": params.get("currency", "eur"),
                "recurring": recurring,
                "product": params.get("product"),
                "product_data": params.get("product_data", {}),
            }
            return 200, _price_of(self._plan(data))
        status, plan = self._localstripe("GET", f"/v1/plans/{rest[0]}", {}) if rest else (404, {})
        if status != 200:
            return self._missing(rest[0] if rest else "")
        return 200, _price_of(plan)

    # Checkout Sessions

    def _checkout_sessions(self, method, rest, params, account):
        if method == "POST" and not rest:
            return self._new_session(params, account)
        session = self._find(rest[0], account, "checkout.session") if rest else None
        if session is None:
            return self._missing(rest[0] if rest else "")
        if method == "POST" and rest[1:] == ["expire"]:
            if session["status"] != "open":
                return _error(400, "Only open sessions can be expired.")
            self.set_state(session["id"], status="expired", url=None)
            return 200, self._find(session["id"], account, "checkout.session")
        return 200, session

    def _new_session(self, params, account):
        mode = params.get("mode")
        if mode not in ("payment", "setup", "subscription"):
            return _error(400, "Invalid mode", param="mode")
        if not params.get("success_url"):
            return _error(400, "Missing required param: success_url.", param="success_url")
        lines = params.get("line_items", [])
        if mode != "setup" and not lines:
            return _error(400, "Missing required param: line_items.", param="line_items")
        total = 0
        for line in lines:
            if "price" in line:  # a stored price: a plan of localstripe's (see _prices)
                status, plan = self._localstripe("GET", f"/v1/plans/{line['price']}", {})
                if status != 200:
                    return _error(404, f"No such price: '{line['price']}'", code="resource_missing")
                line["price_data"] = {"currency": plan["currency"], "unit_amount": plan["amount"]}
            price = line.get("price_data")
            if price is None:
                return _error(
                    400, "Missing line_items[][price] or [price_data]", param="line_items"
                )
            total += int(price["unit_amount"]) * int(line.get("quantity", 1))
        currency = (lines[0]["price_data"].get("currency") if lines else None) or params.get(
            "currency", "eur"
        )
        session_id = _id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
            "amount_total": total if mode != "setup" else None,
            "amount_subtotal": total if mode != "setup" else None,
            "currency": currency,
            "customer": params.get("customer"),
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.url}/checkout/{session_id}",
            "payment_intent": None,
            "setup_intent": None,
            "subscription": None,
            "locale": params.get("locale"),
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "livemode": False,
            "created": int(time.time()),
            "expires_at": int(params.get("expires_at") or time.time() + 24 * 3600),
            # Kept to build the objects on completion; Stripe does not show these.
            "_line_items": lines,
            "_payment_intent_data": params.get("payment_intent_data", {}),
            "_setup_intent_data": params.get("setup_intent_data", {}),
            "_subscription_data": params.get("subscription_data", {}),
        }
        return 200, _public(self._store(session, account))

    def _complete(self, session_id: str, *, declined: bool, iban: str | None):
        with self.lock:
            session = self.objects[session_id]
            account = self.owner[session_id]
            if session["status"] != "open":
                return _public(json.loads(json.dumps(session)))
            if self.failing:
                self.failing -= 1
                declined = True
        mode = session["mode"]
        fields: dict = {}
        if mode == "payment":
            data = session["_payment_intent_data"]
            method = "pm_card_chargeCustomerFail" if declined else "pm_card_visa"
            status, intent = self.call(
                "POST",
                "/v1/payment_intents",
                {
                    "amount": session["amount_total"],
                    "currency": session["currency"],
                    "payment_method": method,
                    "confirm": "true",
                    "customer": session["customer"],
                    "metadata": data.get("metadata", {}),
                    **{k: v for k, v in data.items() if k != "metadata"},
                },
                account=account,
            )
            if status >= 400:
                return _public(json.loads(json.dumps(session)))  # the page says it was refused
            fields = {
                "status": "complete",
                "payment_status": "paid",
                "payment_intent": intent["id"],
            }
        elif mode == "setup":
            customer = session["customer"] or self._customer(session, account)
            status, method = self.call(
                "POST",
                "/v1/payment_methods",
                {
                    "type": "sepa_debit",
                    "sepa_debit": {"iban": iban or GOOD_IBAN},
                    "billing_details": {"name": "Titular", "email": session["customer_email"]},
                },
                account=account,
            )
            if status >= 400:
                return _public(json.loads(json.dumps(session)))
            self.call(
                "POST",
                f"/v1/payment_methods/{method['id']}/attach",
                {"customer": customer},
                account=account,
            )
            status, setup = self.call(
                "POST",
                "/v1/setup_intents",
                {
                    "customer": customer,
                    "payment_method_types": ["sepa_debit"],
                    "usage": "off_session",
                    "metadata": session["_setup_intent_data"].get("metadata", {}),
                },
                account=account,
            )
            status, setup = self.call(
                "POST",
                f"/v1/setup_intents/{setup['id']}/confirm",
                {"payment_method": method["id"]},
                account=account,
            )
            self.set_state(setup["id"], mandate=_id("mandate"))
            setup["mandate"] = self.extra[setup["id"]]["mandate"]
            self.send("setup_intent.succeeded", setup, account=account)
            fields = {"status": "complete", "setup_intent": setup["id"], "customer": customer}
        else:
            customer = session["customer"] or self._customer(session, account)
            status, card = self.call(
                "POST",
                "/v1/payment_methods/pm_card_visa/attach",
                {"customer": customer},
                account=account,
            )
            self.call(
                "POST",
                f"/v1/customers/{customer}",
                {"invoice_settings": {"default_payment_method": card["id"]}},
                account=account,
            )
            data = session["_subscription_data"]
            params = {
                "customer": customer,
                "items": [
                    {"price": line["price"], "quantity": line.get("quantity", 1)}
                    if "price" in line
                    else {"price_data": line["price_data"], "quantity": line.get("quantity", 1)}
                    for line in session["_line_items"]
                ],
                "metadata": data.get("metadata", {}),
            }
            if data.get("trial_period_days"):
                params["trial_period_days"] = data["trial_period_days"]
            status, sub = self.call("POST", "/v1/subscriptions", params, account=account)
            if status >= 400:
                return _public(json.loads(json.dumps(session)))
            fields = {
                "status": "complete",
                "payment_status": "paid"
                if sub.get("status") == "active"
                else "no_payment_required",
                "subscription": sub["id"],
                "customer": customer,
            }
        self.set_state(session_id, **fields)
        done = _public(self._find(session_id, account, "checkout.session"))
        self.send("checkout.session.completed", done, account=account)
        return done

    def _customer(self, session, account) -> str:
        status, customer = self.call(
            "POST",
            "/v1/customers",
            {"email": session["customer_email"] or "debtor@example.com"},
            account=account,
        )
        return customer["id"]

    # Connect

    def _accounts(self, method, rest, params, account):
        if method == "POST" and not rest:
            found = {
                "id": _id("acct"),
                "object": "account",
                "type": params.get("type", "standard"),
                "country": params.get("country", "ES"),
                "email": params.get("email"),
                "business_type": params.get("business_type"),
                "default_currency": "eur",
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "metadata": params.get("metadata", {}),
                "requirements": {
                    "currently_due": ["external_account", "tos_acceptance.date"],
                    "eventually_due": ["external_account", "tos_acceptance.date"],
                    "past_due": [],
                    "disabled_reason": "requirements.past_due",
                    "current_deadline": None,
                    "errors": [],
                },
                "created": int(time.time()),
            }
            return 200, self._store(found, None)
        found = self._find(rest[0], None, "account") if rest else None
        if found is None:
            return self._missing(rest[0] if rest else "")
        if method == "POST":
            self.set_state(
                found["id"], **{k: v for k, v in params.items() if k in ("metadata", "email")}
            )
            found = self._find(rest[0], None, "account")
        return 200, found

    def _account_links(self, method, rest, params, account):
        target = params.get("account")
        if method != "POST" or self._find(target or "", None, "account") is None:
            return self._missing(target or "")
        for name in ("return_url", "refresh_url"):
            if not params.get(name):
                return _error(400, f"Missing required param: {name}.", param=name)
        link = {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"{self.url}/connect/onboard/{target}?"
            + urlencode({"return_url": params["return_url"], "refresh_url": params["refresh_url"]}),
        }
        return 200, link

    # Customer Portal, disputes

    def _portal_sessions(self, method, rest, params, account):
        if method != "POST" or rest:
            return self._missing(rest[0] if rest else "")
        if not params.get("customer"):
            return _error(400, "Missing required param: customer.", param="customer")
        session_id = _id("bps")
        found = {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": params["customer"],
            "return_url": params.get("return_url"),
            "url": f"{self.url}/billing_portal/{session_id}",
            "livemode": False,
            "created": int(time.time()),
        }
        return 200, self._store(found, account)

    def _disputes(self, method, rest, params, account):
        if method == "GET" and not rest:  # a list, by charge or payment_intent as Stripe's
            with self.lock:
                found = [
                    json.loads(json.dumps(d))
                    for i, d in self.objects.items()
                    if d["object"] == "dispute"
                    and self.owner.get(i) == account
                    and all(
                        d.get(k) == params[k] for k in ("charge", "payment_intent") if k in params
                    )
                ]
            return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/disputes"}
        found = self._find(rest[0], account, "dispute") if rest else None
        if found is None:
            return self._missing(rest[0] if rest else "")
        return 200, found

    # Events localstripe sends: passed on, signed for the app, with the account of the object

    def relay(self, evt: dict) -> None:
        obj = evt["data"]["object"]
        self._overlay(obj)
        if obj.get("object") == "invoice" and obj.get("subscription") and "parent" not in obj:
            obj["parent"] = _parent(obj["subscription"], {})
        account = self.owner.get(obj.get("id"))
        relayed = event(evt["type"], obj, account=account)
        self.webhooks.deliver(relayed)
        if evt["type"] == "invoice.payment_succeeded":
            self.webhooks.deliver(event("invoice.paid", obj, account=account))


def _price_of(plan: dict) -> dict:
    """A localstripe plan with the shape of a Price."""
    return {
        "id": plan["id"],
        "object": "price",
        "active": plan.get("active", True),
        "currency": plan["currency"],
        "unit_amount": plan["amount"],
        "product": plan.get("product"),
        "recurring": {"interval": plan.get("interval"), "interval_count": 1},
        "type": "recurring",
        "metadata": plan.get("metadata") or {},
        "livemode": False,
    }


def _parent(subscription_id: str, metadata: dict) -> dict:
    """Where an invoice came from, as API versions since 2025 say it (invoice.subscription is
    kept too, as older ones did)."""
    return {
        "type": "subscription_details",
        "subscription_details": {"subscription": subscription_id, "metadata": metadata},
    }


def _public(session: dict) -> dict:
    return {k: v for k, v in session.items() if not k.startswith("_")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP ------------------------------------------------------------------------------------

PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8"><title>{title}</title></head>
<body><p><small>Página de pruebas: imita a Stripe, no es Stripe.</small></p><h1>{title}</h1>
{body}</body></html>"""


def _handler(fake: StripeFake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode() if length else ""

        def _send(self, status: int, body: bytes, content_type: str, headers=()):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _html(self, title: str, body: str, status: int = 200) -> None:
            page = PAGE.format(title=html.escape(title), body=body).encode()
            self._send(status, page, "text/html; charset=utf-8")

        def _redirect(self, url: str) -> None:
            self._send(303, b"", "text/plain", [("Location", url)])

        def do_GET(self):  # noqa: N802 - http.server's names
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

        def do_DELETE(self):  # noqa: N802
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path
            try:
                if path.startswith("/v1/"):
                    return self._api(method, path, url.query)
                if path == "/_localstripe/events" and method == "POST":
                    fake.relay(json.loads(self._body()))
                    return self._json(200, {})
                if path.startswith("/checkout/"):
                    return self._checkout(method, path.split("/")[2])
                if path.startswith("/connect/onboard/"):
                    return self._onboard(method, path.split("/")[3], dict(parse_qsl(url.query)))
                if path.startswith("/billing_portal/"):
                    return self._portal(method, path.split("/")[2])
                self._json(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": f"Unrecognized request URL ({path})",
                        }
                    },
                )
            except Exception as error:  # the test shows it; the app gets a 500 like an outage
                import traceback

                traceback.print_exc()
                self._json(500, {"error": {"type": "api_error", "message": repr(error)}})

        def _api(self, method: str, path: str, query: str) -> None:
            if not self.headers.get("Authorization", "").endswith(SECRET_KEY) and (
                "Basic" not in self.headers.get("Authorization", "")
            ):
                return self._json(
                    401,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided",
                        }
                    },
                )
            params = parse_form(self._body() if method == "POST" else query)
            account = self.headers.get("Stripe-Account") or None
            key = self.headers.get("Idempotency-Key") or None
            with fake.lock:  # what the app asked, for the tests to look at
                fake.requests.append(
                    {
                        "method": method,
                        "path": path,
                        "params": params,
                        "account": account,
                        "idempotency_key": key,
                    }
                )
            status, body = fake.call(
                method,
                path,
                params,
                account=account,
                key=key,
            )
            if method == "POST":
                with fake.lock:
                    lose, fake.losing = fake.losing > 0, max(fake.losing - 1, 0)
                if lose:
                    self.close_connection = True
                    return
            self._json(status, body)

        def _checkout(self, method: str, session_id: str) -> None:
            with fake.lock:
                session = fake.objects.get(session_id)
            if session is None or session["object"] != "checkout.session":
                return self._html("No encontrado", "<p>Esta sesión no existe.</p>", 404)
            if method == "POST":
                form = dict(parse_qsl(self._body()))
                done = fake._complete(
                    session_id, declined=form.get("declined") == "1", iban=form.get("iban")
                )
                if done["status"] == "complete":
                    return self._redirect(done["success_url"])
                return self._checkout_page(done, refused=True)
            if session["status"] == "complete":
                return self._redirect(session["success_url"])
            self._checkout_page(_public(session), refused=False)

        def _checkout_page(self, session: dict, *, refused: bool) -> None:
            cancel = session.get("cancel_url")
            back = (
                f'<p><a id="cancel" href="{html.escape(cancel)}">Volver</a></p>' if cancel else ""
            )
            note = '<p id="refused" role="alert">Pago rechazado.</p>' if refused else ""
            if session["mode"] == "setup":
                body = (
                    f'{note}<form method="post"><label>IBAN <input name="iban" '
                    f'value="{GOOD_IBAN}"></label>'
                    '<button id="pay" type="submit">Autorizar el adeudo</button></form>'
                )
                return self._html("Domiciliación SEPA", body + back)
            amount = f"{session['amount_total'] / 100:.2f}".replace(".", ",")
            body = (
                f'{note}<p id="amount">{amount} {session["currency"].upper()}</p>'
                '<form method="post"><button id="pay" type="submit">Pagar</button></form>'
                '<form method="post"><input type="hidden" name="declined" value="1">'
                '<button id="pay-declined" type="submit">Pagar con tarjeta rechazada</button>'
                "</form>"
            )
            self._html("Pago con tarjeta", body + back)

        def _onboard(self, method: str, account_id: str, query: dict) -> None:
            if fake._find(account_id, None, "account") is None:
                return self._html("No encontrado", "<p>Esta cuenta no existe.</p>", 404)
            if method == "POST":
                fake.onboard(account_id)
                return self._redirect(query.get("return_url") or "/")
            self._html(
                "Alta en Stripe",
                '<form method="post"><button id="onboard" type="submit">Continuar</button></form>',
            )

        def _portal(self, method: str, session_id: str) -> None:
            with fake.lock:
                session = fake.objects.get(session_id)
            if session is None or session["object"] != "billing_portal.session":
                return self._html("No encontrado", "<p>Esta sesión no existe.</p>", 404)
            account = fake.owner.get(session_id)
            _s, subs = fake.call(
                "GET", "/v1/subscriptions", {"customer": session["customer"]}, account=account
            )
            live = [s for s in subs.get("data", []) if s.get("status") != "canceled"]
            if method == "POST":
                for sub in live:
                    fake.call("DELETE", f"/v1/subscriptions/{sub['id']}", {}, account=account)
                return self._redirect(session["return_url"] or "/")
            back = html.escape(session["return_url"] or "/")
            rows = "".join(f"<li>{html.escape(s['id'])}: {s['status']}</li>" for s in live)
            self._html(
                "Su suscripción",
                f'<ul>{rows}</ul><form method="post"><button id="cancel" type="submit">'
                "Cancelar la suscripción</button></form>"
                f'<p><a id="back" href="{back}">Volver</a></p>',
            )

    return Handler


def localstripe_bin() -> str:
    return str(Path(sys.executable).with_name("localstripe"))


def start() -> StripeFake:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    return StripeFake(localstripe_bin())
