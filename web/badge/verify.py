"""`/verify/<token>`: the page that proves a badge, for whoever holds the invoice or saw it.

It reads the database (never the cache: this page must be right, and is seen far less than the
image) and shows only what the creditor publishes by embedding the badge: its name, a masked
tax id, since when, the protection state and what protection means; for an invoice badge the
invoice's number, date and amount. Never the debtor, never what is owed or paid.

A stamped invoice's link carries its amount (`?amount=1234.56`, as VERI*FACTU's QR carries the
amount to the tax agency): an amount that is not the registered one says plainly that the
invoice may have been altered.

Spanish unless `?lang=en` or the browser asks for English (Accept-Language): the reader is
anyone, often with no account, and `?lang=` lets the creditor link to its debtor's language.
Not indexed (`noindex`): each page is reached from its badge or its QR, which is the point of
checking it; an index would only list invoices' numbers and amounts that the creditor showed to
one debtor, and let anyone browse who is a client.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import make_response, render_template, request
from flask_babel import force_locale

from letters import badge_art
from tenants.services.badge import lookup
from web.badge import bp

LANGUAGES = ("es", "en")
VERIFY_HEADERS = {
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
MAX_AMOUNT_CHARS = 32


def page_language() -> str:
    chosen = request.args.get("lang", "")
    chosen = chosen.strip().lower().replace("_", "-").split("-", 1)[0]
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="es")


def amount_in_link(raw: str | None) -> tuple[bool, Decimal | None]:
    """(an amount was given, the amount) of `?amount=`: "1234.56" or "1234,56"; a given value
    that is not an amount is (True, None), which differs from any registered amount."""
    if raw is None:
        return False, None
    text = raw.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not text or len(text) > MAX_AMOUNT_CHARS:
        return True, None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return True, None
    return True, amount if amount.is_finite() else None


@bp.get("/verify/<path:token>")
def verify(token: str):
    language = page_language()
    badge = lookup.public_badge(token)
    tampered = False
    link_amount = None
    invoice = badge["invoice"] if badge else None
    if invoice is not None:
        given, link_amount = amount_in_link(request.args.get("amount"))
        tampered = given and link_amount != invoice["amount"]
    art = badge_art.data_uri(
        state=badge["state"] if badge else None,
        name=badge["name"] if badge else "",
        language=language,
    )
    with force_locale(language):
        html = render_template(
            "badge/verify.html",
            badge=badge,
            invoice=invoice,
            tampered=tampered,
            link_amount=link_amount,
            art=art,
            language=language,
            token=token if badge else None,
        )
    response = make_response(html, 200 if badge else 404)
    response.headers.update(VERIFY_HEADERS)
    return response
