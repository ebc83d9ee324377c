"""Settings: defaults, then AMPARO_* environment variables, then the overrides passed in.

Every setting is listed in the README. In production (AMPARO_ENV=production) the settings in
REQUIRED_IN_PRODUCTION must be given; the app refuses to start without them.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from tenants import local_postgres

ENV_PREFIX = "AMPARO"
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "BASE_URL",
    "MAIL_FROM",
    "SMTP_HOST",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    # The certificate that signs certified demands and dossiers (letters/signing.py): without
    # it, no certified demand could be sent, so production does not start.
    "SIGNING_CERT",
    "SIGNING_KEY",
)
DEV_SECRET_KEY = "dev-only-secret-not-for-production"  # noqa: S105 - refused in production
# Stripe's development defaults are public: a webhook secret anyone knows signs forged events.
DEV_STRIPE = {
    "STRIPE_SECRET_KEY": "sk_test_amparo_dev",
    "STRIPE_WEBHOOK_SECRET": "whsec_dev_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_dev_connect",
}


class ConfigError(RuntimeError):
    pass


def defaults(instance_path: str) -> dict:
    return {
        "ENV": "development",
        "SECRET_KEY": DEV_SECRET_KEY,
        # The embedded server `make run` starts (tenants/local_postgres.py), so `flask …`
        # commands reach the demo's database while it runs.
        "DATABASE_URL": local_postgres.url_for(Path(instance_path) / "postgres"),
        "DOCUMENTS_DIR": str(Path(instance_path) / "documents"),
        "DB_APP_ROLE": "amparo_app",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "BASE_URL": "http://127.0.0.1:5000",
        "MAIL_FROM": "Amparo <no-reply@amparo.localhost>",
        "SUPPORT_EMAIL": "",  # shown where something failed on our side; none: "contact support"
        "SMTP_HOST": "",
        "SMTP_PORT": 587,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": True,
        "SMTP_SSL": False,
        "SMTP_TIMEOUT": 30,
        "DEV_MAILBOX": None,  # None: on when not in production and no SMTP_HOST
        "JOB_RETRY_INTERVALS": "10,60,300",
        "LOGIN_RATE_LIMIT": "10 per 15 minutes",  # failed log-ins per address and IP
        "LOGIN_IP_RATE_LIMIT": "20 per 15 minutes",  # failed log-ins per IP, any address
        # The debtor portal: wrong links per IP (guessing), and how long a closed case's page
        # stays open after it closed.
        "PORTAL_RATE_LIMIT": "10 per minute",
        "PORTAL_DAYS_AFTER_CLOSE": 90,
        # Outbox work not done this many seconds after its commit is enqueued again, checked
        # every OUTBOX_REDRIVE_EVERY seconds by cron (jobs/maintenance.py redrive_outbox).
        "OUTBOX_REDRIVE_AFTER": 120,
        "OUTBOX_REDRIVE_EVERY": 60,
        # How often an idle worker wakes to check on Redis and on its scheduler process.
        "WORKER_CHECK_SECONDS": 20,
        # Stripe (tenants/services/billing/stripe_api.py). The dev defaults reach nothing real:
        # tests point STRIPE_API_BASE at their fake (tests/stripe_fake.py).
        **DEV_STRIPE,
        "STRIPE_API_BASE": "https://api.stripe.com",
        "STRIPE_PLATFORM_FEE_PERCENT": "0",  # the platform's fee on each card payment, in %
        # PAdES signatures on certified demands and dossiers (letters/signing.py): the PEM
        # paths of the certificate and its key (optionally encrypted). Unset outside
        # production: a self-signed development certificate made once in SIGNING_DEV_DIR.
        "SIGNING_CERT": "",
        "SIGNING_KEY": "",
        "SIGNING_KEY_PASSWORD": "",
        "SIGNING_DEV_DIR": str(Path(instance_path) / "signing"),
        "DEMO_PASSWORD": "amparo-demo",
        "LOG_LEVEL": "INFO",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    }


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.update(defaults(app.instance_path))
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.update(overrides or {})
    config = app.config

    production = config["ENV"] == "production"
    if production:
        # Development defaults do not count: production must say where everything is.
        given = {k.removeprefix(f"{ENV_PREFIX}_") for k in os.environ} | set(overrides or {})
        missing = [
            k
            for k in REQUIRED_IN_PRODUCTION
            if k not in given
            or not config.get(k)
            or (k == "SECRET_KEY" and config[k] == DEV_SECRET_KEY)
            or config[k] == DEV_STRIPE.get(k)
        ]
        if missing:
            names = ", ".join(f"{ENV_PREFIX}_{k}" for k in missing)
            raise ConfigError(
                f"Amparo cannot start in production without these settings: {names}. "
                "See the Configuration section of the README."
            )
    if config["DEV_MAILBOX"] is None:
        config["DEV_MAILBOX"] = not production and not config["SMTP_HOST"]
    elif production and config["DEV_MAILBOX"]:
        raise ConfigError(
            f"{ENV_PREFIX}_DEV_MAILBOX cannot be on in production: it would show every email "
            "sent, with its sign-in and reset links, on a web page."
        )

    https = str(config["BASE_URL"]).startswith("https://")
    config.update(
        SESSION_COOKIE_NAME="amparo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production or https,
        PERMANENT_SESSION_LIFETIME=14 * 24 * 3600,
        PREFERRED_URL_SCHEME="https" if https else "http",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        RATELIMIT_STORAGE_URI=config["REDIS_URL"],
        # Redis down: limits are counted in this process's memory until it answers again, so
        # an outage weakens rate limiting but never answers a log-in with an error.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 2, "socket_timeout": 2},
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=True,
        BABEL_DEFAULT_LOCALE="es",
        BABEL_DEFAULT_TIMEZONE="Europe/Madrid",
    )
