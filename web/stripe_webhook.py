"""POST /stripe/webhook: Stripe's events for the platform and the Connect accounts.

No session, no cookies, no CSRF token (exempt in create_app): the signature on the raw body is
the only credential (tenants/services/billing/events.py). The answer's status is all Stripe
reads: 2xx taken (handled, a replay, or a type we ignore), 400 refused for good (bad
signature), 503 and 5xx "deliver it again later", with nothing of the try kept (one commit
per request, web/transaction.py).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, request
from flask.sessions import SecureCookieSessionInterface

from tenants.services.billing import events
from tenants.services.billing.stripe_api import StripeUnavailable

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhook", __name__)


class Sessions(SecureCookieSessionInterface):
    """Flask's sessions, except that answers of the blueprints in `cookieless` never touch the
    cookie: no Set-Cookie (a logged-in browser's permanent session would otherwise be refreshed
    on every answer) and no `Vary: Cookie` (the public badge is one image for everyone, which
    a shared cache must be able to keep once). create_app installs it."""

    cookieless = frozenset({bp.name, "badge"})

    def save_session(self, app: Flask, session, response) -> None:
        if request.blueprint in self.cookieless:
            return
        super().save_session(app, session, response)


@bp.post("/stripe/webhook")
def webhook():
    try:
        outcome = events.receive(
            request.get_data(cache=False), request.headers.get("Stripe-Signature", "")
        )
    except events.BadSignature as error:
        log.warning("Stripe webhook refused: %s", error)
        return jsonify(error="bad_signature"), 400
    except StripeUnavailable as error:
        log.warning("Stripe webhook deferred, Stripe did not answer: %s", error)
        return jsonify(error="stripe_unavailable"), 503
    return jsonify(received=True, outcome=outcome), 200
