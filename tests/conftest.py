"""Shared fixtures: a real PostgreSQL (the server on 127.0.0.1:5432, else the embedded one), real
Redis, a real SMTP server (aiosmtpd), the app, clients, users and two tenants.

The database is migrated once per run with the project's Alembic migrations, then emptied
after every test (TRUNCATE on PostgreSQL), because real workers and browsers in other
processes must see committed rows.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from sqlalchemy import create_engine, text

from tests import stripe_fake as fake_api

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
PG_ADMIN = os.environ.get("AMPARO_TEST_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres")
REDIS_URL = os.environ.get("AMPARO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- database ---------------------------------------------------------------------------------


def _answers(admin: str) -> bool:
    try:
        psycopg.connect(f"{admin} dbname=postgres connect_timeout=3").close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.fixture(scope="session")
def pg_admin(tmp_root) -> str:
    """libpq parameters of a PostgreSQL superuser connection: the server at AMPARO_TEST_PG_ADMIN
    (127.0.0.1:5432 by default) when it answers, else the embedded server `make run` uses,
    started for this run, so the suite passes on a machine with no PostgreSQL installed."""
    if _answers(PG_ADMIN):
        yield PG_ADMIN
        return
    from tenants import local_postgres

    data_dir = tmp_root / "postgres"
    url = local_postgres.start(data_dir)
    socket_dir = url.rsplit("host=", 1)[1]
    try:
        yield f"host={socket_dir} user=postgres"
    finally:
        local_postgres.stop(data_dir)


def _database_url(pg_admin: str) -> str:
    wanted = os.environ.get("AMPARO_TEST_DATABASE_URL")
    if wanted:
        return wanted
    name = f"amparo_test_{os.getpid()}"
    with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url(pg_admin, name)


def admin_url(pg_admin: str, database: str) -> str:
    """The SQLAlchemy URL of `database` on the server `pg_admin` points at (TCP or socket)."""
    params = dict(p.split("=", 1) for p in pg_admin.split())
    user, host = params.get("user", "postgres"), params.get("host", "127.0.0.1")
    if host.startswith("/"):
        return f"postgresql+psycopg://{user}@/{database}?host={host}"
    return f"postgresql+psycopg://{user}@{host}:{params.get('port', '5432')}/{database}"


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="amparo-tests-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def database_url(pg_admin):
    from tenants import migrate

    url = _database_url(pg_admin)
    migrate.upgrade(url, "amparo_app")
    yield url
    if not os.environ.get("AMPARO_TEST_DATABASE_URL"):
        name = url.split("?")[0].rsplit("/", 1)[1]
        with psycopg.connect(f"{pg_admin} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def admin_engine(database_url):
    """A connection as the owner (no RLS), for emptying tables and checking from outside."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _empty_tables(engine) -> None:
    """Back to a freshly migrated database: no rows but the reference data the migrations seed
    (legal and late-payment rates, IPC/IRAV values), put back as migrations 0002, 0004 and
    0011 write it."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from tenants.db import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        with Operations.context(MigrationContext.configure(conn)):
            _migration("0002")._seed_rates()
            _migration("0004")._seed_rates()
            _migration("0011")._seed_rates()
            _migration("0018")._seed_plans()


def _migration(revision: str):
    path = next((ROOT / "tenants" / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"amparo_migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Inbox:
    """What a real SMTP server (aiosmtpd) received, and a switch to refuse mail for a while."""

    messages: list = field(default_factory=list)
    refuse_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        import email
        from email import policy

        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link(self, address: str, path_fragment: str) -> str:
        """The last link in the last email to `address` whose URL contains `path_fragment`."""
        for message in reversed(self.to(address)):
            found = re.findall(r"https?://\S+", self.body(message))
            found = [u for u in found if path_fragment in u]
            if found:
                return found[-1]
        raise AssertionError(f"no email to {address} with a link containing {path_fragment!r}")


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server):
    _controller, box = smtp_server
    with box.lock:
        box.messages.clear()
        box.refuse_next = 0
    return box


# --- the app ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings(database_url, smtp_server, tmp_root, stripe_server) -> dict:
    controller, _inbox = smtp_server
    return {
        "ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "DB_APP_ROLE": "amparo_app",
        "REDIS_URL": REDIS_URL,
        "BASE_URL": "http://localhost",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": controller.port,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 5,
        "JOB_RETRY_INTERVALS": "0",
        "DOCUMENTS_DIR": str(tmp_root / "documents"),
        "LOG_LEVEL": "WARNING",
        "STRIPE_SECRET_KEY": fake_api.SECRET_KEY,
        "STRIPE_API_BASE": stripe_server.url,
        "STRIPE_WEBHOOK_SECRET": fake_api.PLATFORM_SECRET,
        "STRIPE_CONNECT_WEBHOOK_SECRET": fake_api.CONNECT_SECRET,
    }


def settings_env(settings: dict) -> dict:
    """The same settings as AMPARO_* variables, for worker and server subprocesses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    for key, value in settings.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[f"AMPARO_{key}"] = str(value)
    env["FLASK_APP"] = "wsgi"
    return env


@pytest.fixture(scope="session")
def app(settings):
    from web import create_app

    app = create_app({**settings, "TESTING": True})
    yield app
    from tenants.db import SessionFactory

    SessionFactory.kw["bind"].dispose()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Argon2id at minimal cost inside the test process: hashing is not what most tests test,
    and the real cost would dominate the suite. Workers and servers started as subprocesses
    keep the real parameters."""
    from argon2 import PasswordHasher

    from tenants.services.platform import secrets

    monkeypatch.setattr(
        secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(autouse=True)
def _clean_state(request, admin_engine, settings):
    """Every test starts with empty tables, an empty Redis database and no documents."""
    Redis.from_url(REDIS_URL).flushdb()
    yield
    from tenants import db

    db.session.remove()
    _empty_tables(admin_engine)
    shutil.rmtree(settings["DOCUMENTS_DIR"], ignore_errors=True)


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    from tenants import db

    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_client(app):
    return app.test_client


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token of the session."""
    token = csrf_token(client, token_from or "/login")
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


# --- people and workspaces ---------------------------------------------------------------------


@pytest.fixture
def create_user(app):
    from tenants import db
    from tenants.services.platform import accounts

    def create(
        email="ana@example.com", name="Ana Pérez", password=PASSWORD, verified=True, language="es"
    ):
        with app.app_context():
            user = accounts.create_user(
                name=name, email=email, password=password, verified=verified, language=language
            )
            db.session.commit()
            return user.id

    return create


@pytest.fixture
def create_workspace(app, create_user):
    from tenants import db
    from tenants.models import User, WorkspaceKind
    from tenants.services.platform import workspaces as ws_service

    def create(name="Pisos Ana", kind="landlord", owner_email="ana@example.com", slug=None):
        with app.app_context():
            from tenants.services.platform.accounts import find_user_by_email

            owner = find_user_by_email(owner_email)
            if owner is None:
                owner = db.session.get(User, create_user(email=owner_email))
            workspace = ws_service.create_workspace(
                name=name, kind=WorkspaceKind(kind), owner=owner, slug=slug
            )
            db.session.commit()
            return workspace.id, workspace.slug

    return create


# --- what a page shows: Spanish (the default language), HTML-escaped ---------------------


@pytest.fixture
def es(app):
    """A UI text as the page shows it."""
    from flask_babel import force_locale, gettext
    from markupsafe import escape

    def translate(msgid: str, **params) -> str:
        with app.test_request_context(), force_locale("es"):
            return str(escape(gettext(msgid, **params)))

    return translate


@pytest.fixture
def message(app):
    """A service error (ServiceError code) as the page shows it."""
    from flask_babel import force_locale
    from markupsafe import escape

    from tenants.services.errors import ServiceError
    from web.messages import message_for

    def text_of(code: str, **params) -> str:
        with app.test_request_context(), force_locale("es"):
            return str(escape(message_for(ServiceError(code, **params))))

    return text_of


@pytest.fixture
def money(app):
    """An amount as the page shows it, e.g. "9,16 €"."""
    from decimal import Decimal

    from flask_babel import force_locale, format_currency
    from markupsafe import escape

    def fmt(value) -> str:
        with app.test_request_context(), force_locale("es"):
            return str(escape(format_currency(Decimal(value), "EUR")))

    return fmt


@pytest.fixture
def rows(admin_engine):
    """Rows as dicts, read from outside the app (as the owner: no tenant scoping, no RLS)."""

    def query(statement: str, **params) -> list[dict]:
        with admin_engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(statement), params)]

    return query


def login(client, email="ana@example.com", password=PASSWORD, *, two_factor=True):
    """Log in as a person would. A law firm's member must use two-factor sign-in, so unless
    `two_factor=False` the helper enrols them first if needed (as if they had done it on
    /account/two-factor) and types the code their app shows after the password."""
    if two_factor:
        _enrol_if_required(client.application, email)
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    if two_factor and response.headers["Location"].endswith("/login/two-factor"):
        code = totp_code(client.application, email)
        response = post_form(client, "/login/two-factor", {"code": code}, token_from="/login")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def _enrol_if_required(app, email: str) -> None:
    from tenants.services.platform import accounts, two_factor

    with app.app_context():
        user = accounts.find_user_by_email(email)
        must = user is not None and two_factor.is_law_firm_member(user)
    if must:
        enrol_two_factor(app, email)


def enrol_two_factor(app, email: str) -> str:
    """Two-factor sign-in on for this person (as if done on /account/two-factor); returns the
    base32 secret their authenticator app holds. A browser test signs a lawyer in with
    `totp_code(app, email)` after the password."""
    import pyotp

    from tenants import db
    from tenants.services.platform import accounts, two_factor

    with app.app_context():
        user = accounts.find_user_by_email(email)
        if not two_factor.is_enabled(user):
            two_factor.enrol_with_secret(user, pyotp.random_base32())
            db.session.commit()
        return user.totp_secret


def totp_code(app, email: str) -> str:
    """The code the person's authenticator app shows now. Tests log the same person in many
    times within 30 seconds, where a real person would wait for the next code: the step last
    used is forgotten so that this code is accepted (tests/platform/test_two_factor.py shows
    that a code is otherwise refused the second time)."""
    from tenants import db
    from tenants.services.platform import accounts, two_factor

    with app.app_context():
        user = accounts.find_user_by_email(email)
        user.totp_last_step = None
        db.session.commit()
        return two_factor.current_code(user)


@dataclass
class Tenant:
    id: int
    slug: str
    email: str
    client: object


@pytest.fixture
def two_tenants(app, create_workspace):
    """Workspaces A and B, each with its own owner logged in on its own client."""
    tenants = []
    for name, email in (("Pisos Ana", "ana@example.com"), ("Locales Bea", "bea@example.com")):
        workspace_id, slug = create_workspace(name=name, owner_email=email)
        c = app.test_client()
        login(c, email)
        tenants.append(Tenant(workspace_id, slug, email, c))
    return tenants


# --- Stripe (a fake of its API: tests/stripe_fake.py) -------------------------------------------


@pytest.fixture(scope="session")
def stripe_server():
    """The fake of Stripe's API (tests/stripe_fake.py), at the settings' STRIPE_API_BASE. Its
    idle thread is all a session that never calls Stripe pays: localstripe starts on the
    first call that needs it."""
    fake = fake_api.start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_fake(stripe_server):
    """The fake, emptied for this test: `.url`, `.deliver_to(url_or_test_client)` (where it
    POSTs the signed events of what happens; give a test client of its own, it is used from
    the fake's threads), `.complete_checkout(session_id)`, `.onboard(account_id)`,
    `.fail_next_payment()`, `.dispute(payment_intent_id)`, `.renew(subscription_id,
    paid=False)`, `.set_state(id, **fields)`, `.wait_for(event_type, **fields)`, `.events`
    sent, `.requests` the app made. The failing SEPA IBAN is stripe_fake.FAILING_IBAN."""
    stripe_server.reset()
    yield stripe_server
    stripe_server.reset()


@pytest.fixture
def signed_event():
    """Deliver a webhook event to the app as Stripe would: `signed_event(client, event_dict,
    secret=..., timestamp=...)` POSTs it to /stripe/webhook, signed (the platform's secret
    unless told), and returns the response. Events are made with stripe_fake.event(...)."""

    def send(client, event: dict, *, secret: str | None = None, timestamp: int | None = None):
        if secret is None:
            account = event.get("account")
            secret = fake_api.CONNECT_SECRET if account else fake_api.PLATFORM_SECRET
        payload = fake_api.encode(event)
        return client.post(
            "/stripe/webhook",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": fake_api.signature(payload, secret, timestamp)},
        )

    return send


# --- workers ----------------------------------------------------------------------------------


@pytest.fixture
def run_worker(settings):
    """Run a real RQ worker in burst mode, in its own process, until the queues are empty."""

    def run(timeout: int = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "worker", "--burst"],
            cwd=ROOT,
            env=settings_env(settings),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        return result

    return run
