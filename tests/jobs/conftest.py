"""Fixtures for the job tests: what sits in the RQ queues, rows read from outside the app,
invitations posted through the web, and several burst workers at once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import text

from tests.conftest import ROOT, post_form, settings_env


@pytest.fixture
def queued(settings):
    """How many jobs wait in each queue (all queues when called with no name)."""
    from jobs import queues

    connection = Redis.from_url(settings["REDIS_URL"])

    def count(*names: str) -> int:
        return sum(Queue(n, connection=connection).count for n in names or queues.ALL)

    yield count
    connection.close()


@pytest.fixture
def row(admin_engine):
    """One row of a query run as the database owner, outside the app (no tenant scoping)."""

    def fetch(sql: str, **params):
        with admin_engine.connect() as conn:
            return conn.execute(text(sql), params).mappings().one()

    return fetch


@pytest.fixture
def invite():
    """Invite `addresses` to a tenant's workspace as managers; returns the POST response."""

    def post(tenant, *addresses: str):
        members = f"/w/{tenant.slug}/members"
        return post_form(
            tenant.client,
            members,
            {"emails": "\n".join(addresses), "role": "manager"},
            token_from=members,
        )

    return post


@pytest.fixture
def bound_app(app, monkeypatch):
    """The app jobs run in when called in-process, as `flask worker` binds it."""
    from jobs import runtime

    monkeypatch.setattr(runtime, "_bound_app", app)
    return app


@pytest.fixture
def record_email(app):
    """An email recorded (and committed) for delivery; returns its id."""
    from tenants import db
    from tenants.services.platform.mail import record_email as record

    def create(key="test:1", to="someone@example.com", subject="Hola"):
        with app.app_context():
            email = record(key=key, to=to, subject=subject, text="Un mensaje.\n")
            db.session.commit()
            return email.id

    return create


@pytest.fixture
def run_workers(settings):
    """Start `n` real burst workers at the same time and wait for all of them."""

    def run(n: int, timeout: int = 120) -> None:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "flask", "worker", "--burst"],
                cwd=ROOT,
                env=settings_env(settings),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(n)
        ]
        try:
            for proc in procs:
                _out, err = proc.communicate(timeout=timeout)
                assert proc.returncode == 0, err[-4000:]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    return run
