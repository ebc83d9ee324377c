"""Languages: Spanish first, English second. A choice is kept in the session and on the user."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import format_currency, format_decimal, get_locale
from flask_login import current_user

from web.extensions import babel

LANGUAGES = {"es": "Español", "en": "English"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated:
        return current_user.language
    return "es"


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.user.language = lang  # letters and emails follow the user's choice
    return redirect(safe_next(request.form.get("next") or request.referrer))


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes home."""
    if target:
        parts = urlsplit(target)
        if (
            (not parts.netloc or parts.netloc == request.host)
            and parts.path.startswith("/")
            and not parts.path.startswith("//")
        ):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("home.index")


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    # Numbers as the reader writes them: "1.234,56 €" in Spanish, "€1,234.56" in English.
    app.jinja_env.filters["money"] = lambda value, currency="EUR": format_currency(value, currency)
    app.jinja_env.filters["format_decimal"] = format_decimal
    from web.messages import activity_label

    app.jinja_env.globals["activity_label"] = activity_label
    from web.labels import EMAIL_STATUS_LABELS, ROLE_NAMES

    # A stored value is never shown as it is stored ("owner", "stored"): these give its words.
    app.jinja_env.filters["role_name"] = lambda role: ROLE_NAMES.get(role, role)
    app.jinja_env.filters["email_status"] = lambda s: EMAIL_STATUS_LABELS.get(s, s)
