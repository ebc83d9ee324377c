"""The debtor portal, `/p/<token>`: the page the QR code and the link of every letter open.

No login: the token printed on the letter is the key, and it shows only that debtor's case.
The page speaks the debtor's language, is never cached or indexed, sends no referrer and sets
no cookie (the forms carry no session: the secret token in the URL is the capability, so they
are CSRF-exempt).

`open_case(token)` is how every portal route reaches its case: it answers the unknown, revoked
and expired pages and the rate limit against guessing, and yields `(case, workspace)` inside the
case's tenant context and the debtor's language. Route modules (imported at the bottom) add
their views to `bp`: page and telling (portal), card (card payments), instalments.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import force_locale
from limits import parse

from tenants import db
from tenants.db import tenant_context, utcnow
from tenants.models import Workspace
from tenants.services.errors import NotFound
from tenants.services.portal import tokens
from web.extensions import limiter

bp = Blueprint("portal", __name__, url_prefix="/p")

PORTAL_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def language_of(case) -> str:
    return case.party.language if case.party.language in ("es", "en") else "es"


def portal_response(body, status: int = 200):
    """A portal answer with the headers every portal page carries."""
    response = make_response(body, status)
    response.headers.update(PORTAL_HEADERS)
    return response


# --- guessing ---------------------------------------------------------------------------------
# Only wrong tokens count (PORTAL_RATE_LIMIT per IP). Once an IP is over the limit every portal
# request from it gets 429, a right token too: answering a right token would tell a guesser
# which of its guesses hit. A debtor's own visits never count, however often they reload.


def _limit_key() -> tuple:
    return parse(current_app.config["PORTAL_RATE_LIMIT"]), "portal-guess", request.remote_addr


def _refuse_if_guessing() -> None:
    limit, *key = _limit_key()
    try:
        allowed = limiter.limiter.test(limit, *key)
    except Exception:  # Redis down: never an error page for a debtor (as RATELIMIT_SWALLOW_ERRORS)
        current_app.logger.warning("portal rate limit not checked", exc_info=True)
        return
    if not allowed:
        abort(portal_response(render_template("portal/gone.html", reason="limited"), 429))


def _count_wrong_token() -> None:
    limit, *key = _limit_key()
    try:
        limiter.limiter.hit(limit, *key)
    except Exception:
        current_app.logger.warning("portal rate limit not counted", exc_info=True)


def _unknown():
    _count_wrong_token()
    abort(portal_response(render_template("portal/gone.html", reason="unknown"), 404))


@bp.errorhandler(413)
def _too_large(_error):
    """More than the documents allowed, all together: a portal page, not the app's (whose
    frame would set a session cookie). Before the token is read, so in both languages."""
    return portal_response(render_template("portal/gone.html", reason="too_large"), 413)


@contextmanager
def open_case(token: str):
    """`(case, workspace)` of the link `token`, in its workspace and its debtor's language; or
    the answer for a link that opens nothing: 429 for an IP guessing, 404 for an unknown link
    (both languages: it names no debtor), 410 for a withdrawn or expired one (the debtor's
    language, the creditor's contact, nothing of the case)."""
    _refuse_if_guessing()
    tenant_id = tokens.tenant_of(token)
    if tenant_id is None:
        _unknown()
    with tenant_context(tenant_id):
        try:
            case, state = tokens.open_case(
                token, now=utcnow(), days_after_close=current_app.config["PORTAL_DAYS_AFTER_CLOSE"]
            )
        except NotFound:
            _unknown()
        workspace = db.session.get(Workspace, tenant_id)
        with force_locale(language_of(case)):
            if state != tokens.OK:
                page = render_template("portal/gone.html", reason=state, creditor=workspace)
                abort(portal_response(page, 410))
            yield case, workspace


# The routes: the page and telling why (portal), paying by card (card-payments), instalment
# plans (instalments).
from web.portal import card, instalments, page, telling  # noqa: E402,F401
