"""Settings come from AMPARO_* variables; production refuses to start without the essentials."""

import subprocess
import sys

from tests.conftest import ROOT


def _start(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from web import create_app; create_app(); print('started')"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_names_every_missing_setting():
    result = _start({"AMPARO_ENV": "production", "AMPARO_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "cannot start in production" in message
    for name in ("AMPARO_SECRET_KEY", "AMPARO_DATABASE_URL", "AMPARO_BASE_URL", "AMPARO_SMTP_HOST"):
        assert name in message
    assert "AMPARO_STRIPE_WEBHOOK_SECRET" in message
    assert "AMPARO_SIGNING_CERT" in message and "AMPARO_SIGNING_KEY" in message
    assert "AMPARO_REDIS_URL" not in message  # it was given


def test_production_refuses_the_development_secret_key():
    env = {
        "AMPARO_ENV": "production",
        "AMPARO_SECRET_KEY": "dev-only-secret-not-for-production",
        "AMPARO_DATABASE_URL": "postgresql+psycopg://amparo@db.amparo.example/amparo",
        "AMPARO_REDIS_URL": "redis://127.0.0.1:6379/0",
        "AMPARO_BASE_URL": "https://amparo.example",
        "AMPARO_MAIL_FROM": "Amparo <no-reply@amparo.example>",
        "AMPARO_SMTP_HOST": "smtp.amparo.example",
        "AMPARO_STRIPE_SECRET_KEY": "sk_live_amparo",
        "AMPARO_STRIPE_WEBHOOK_SECRET": "whsec_live_platform",
        "AMPARO_STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_live_connect",
        "AMPARO_SIGNING_CERT": "/etc/amparo/seal.pem",
        "AMPARO_SIGNING_KEY": "/etc/amparo/seal.key",
    }
    result = _start(env)
    assert result.returncode != 0
    assert "AMPARO_SECRET_KEY" in result.stderr
    # Stripe's development secrets are public: refused too, each named.
    dev_stripe = {**env, "AMPARO_SECRET_KEY": "a-real-secret"}
    dev_stripe["AMPARO_STRIPE_WEBHOOK_SECRET"] = "whsec_dev_platform"
    del dev_stripe["AMPARO_STRIPE_SECRET_KEY"]
    result = _start(dev_stripe)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "AMPARO_STRIPE_SECRET_KEY" in message and "AMPARO_STRIPE_WEBHOOK_SECRET" in message
    assert "AMPARO_STRIPE_CONNECT_WEBHOOK_SECRET" not in message
    result = _start({**env, "AMPARO_SECRET_KEY": "a-real-secret"})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    # The development mailbox shows every email with its links: never in production.
    result = _start({**env, "AMPARO_SECRET_KEY": "a-real-secret", "AMPARO_DEV_MAILBOX": "true"})
    assert result.returncode != 0
    assert "AMPARO_DEV_MAILBOX cannot be on in production" in result.stderr


MAILBOX_PROBE = """
from web import create_app
app = create_app()
client = app.test_client()
for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "192.168.1.20", "10.0.0.7", "2001:db8::1"):
    print(address, client.get("/dev/mailbox/", environ_base={"REMOTE_ADDR": address}).status_code)
"""


def test_the_dev_mailbox_answers_only_to_this_machine(settings):
    """Issue 10.11: a demo bound to 0.0.0.0 must not show reset links to the network."""
    from tests.conftest import settings_env

    env = {**settings_env(settings), "AMPARO_SMTP_HOST": "", "AMPARO_DEV_MAILBOX": "true"}
    result = subprocess.run(
        [sys.executable, "-c", MAILBOX_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status = dict(line.split() for line in result.stdout.splitlines())
    assert status == {
        "127.0.0.1": "200",
        "::1": "200",
        "::ffff:127.0.0.1": "200",
        "192.168.1.20": "404",
        "10.0.0.7": "404",
        "2001:db8::1": "404",
    }


def test_production_cookies_are_secure(settings, tmp_path):
    from flask import Config

    from web.config import load_config

    class Stub:
        instance_path = str(tmp_path)

    stub = Stub()
    stub.config = Config(ROOT)
    load_config(
        stub,
        {
            **settings,
            "ENV": "production",
            "BASE_URL": "https://amparo.example",
            "MAIL_FROM": "a@b.example",
            "SECRET_KEY": "s3cret",
            "SIGNING_CERT": "/etc/amparo/seal.pem",
            "SIGNING_KEY": "/etc/amparo/seal.key",
        },
    )
    assert stub.config["SESSION_COOKIE_SECURE"] is True
    assert stub.config["SESSION_COOKIE_HTTPONLY"] is True
    assert stub.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert stub.config["DEV_MAILBOX"] is False


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    from flask import Config

    from web.config import load_config

    class Stub:
        instance_path = str(tmp_path)

    stub = Stub()
    stub.config = Config(ROOT)
    monkeypatch.setenv("AMPARO_SMTP_PORT", "2525")
    monkeypatch.setenv("AMPARO_LOGIN_RATE_LIMIT", "3 per minute")
    load_config(stub, None)
    assert stub.config["SMTP_PORT"] == 2525
    assert stub.config["LOGIN_RATE_LIMIT"] == "3 per minute"
    # The embedded PostgreSQL of `make run`, on its socket under instance/.
    assert stub.config["DATABASE_URL"] == (
        f"postgresql+psycopg://postgres@/amparo?host={tmp_path}/postgres"
    )
    assert stub.config["DEV_MAILBOX"] is True  # no SMTP host: emails go to the dev mailbox
