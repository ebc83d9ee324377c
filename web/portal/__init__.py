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

from flask import Blueprint, abort, make_response, render_template
from flask_babel import force_locale

from tenants import db
from tenants.db import tenant_context
from tenants.models import Workspace
from tenants.services.collections import cases
from tenants.services.errors import NotFound

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


def _unknown():
    abort(portal_response(render_template("portal/gone.html", reason="unknown"), 404))


@contextmanager
def open_case(token: str):
    tenant_id = cases.tenant_of_portal_token(token)
    if tenant_id is None:
        _unknown()
    with tenant_context(tenant_id):
        try:
            case = cases.case_by_portal_token(token)
        except NotFound:
            _unknown()
        workspace = db.session.get(Workspace, tenant_id)
        with force_locale(language_of(case)):
            yield case, workspace


from web.portal import page  # noqa: E402,F401 - the routes
from web.portal import card  # noqa: E402,F401 - paying by card
from web.portal import instalments  # noqa: E402,F401 - instalment plans
