"""Claim letters by email, through real RQ workers and a real SMTP server: the PDF arrives
attached, once, however often the job runs or dies; refusals and failures are on the timeline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue

import letters.compose  # noqa: F401 - WeasyPrint warns once on import: at collection, not in a test
from jobs.queues import LETTERS
from tenants.db import utcnow
from tests.conftest import ROOT, settings_env
from tests.jobs.collections_fixtures import (  # noqa: F401 - fixtures
    LANDLORD,
    RENDER_WARNING,
    RENTER,
    RENTER_EMAIL,
    body,
    madrid,
    pdf_text,
    rent_book,
    sweep_at,
    today,
)

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)


@pytest.fixture
def reminder(rent_book, sweep_at, rows):  # noqa: F811
    """A rent five days late, swept yesterday: the reminder is recorded and its rendering
    queued. Returns (workspace id, letter id)."""
    book = rent_book(today() - timedelta(days=5), guarantor=False)
    result = sweep_at(book.workspace_id, madrid(today() - timedelta(days=1)))
    assert result["letters"] == 1
    (letter,) = rows("SELECT id, kind, status FROM letters")
    assert (letter["kind"], letter["status"]) == ("reminder", "rendering")
    return book.workspace_id, letter["id"]


def _letter(rows, letter_id: int) -> dict:
    return rows("SELECT * FROM letters WHERE id = :i", i=letter_id)[0]


def _events(rows, letter_id: int) -> list[str]:
    return [
        r["kind"]
        for r in rows("SELECT kind FROM case_events WHERE letter_id = :i ORDER BY id", i=letter_id)
    ]


def _emails(rows, letter_id: int) -> list[dict]:
    return rows("SELECT * FROM emails WHERE idempotency_key = :k", k=f"letter:{letter_id}")


def _enqueue_deliver(app, workspace_id: int, letter_id: int, times: int = 1) -> None:
    from jobs.enqueue import enqueue_now
    from jobs.letters import deliver_letter

    with app.app_context():
        for _ in range(times):
            enqueue_now(deliver_letter, workspace_id, letter_id)


def test_a_rendered_letter_arrives_once_with_its_pdf(reminder, inbox, rows, run_worker):
    workspace_id, letter_id = reminder

    run_worker()

    (message,) = inbox.to(RENTER_EMAIL)
    assert message["Subject"] == f"Recordatorio de pago de {LANDLORD}"
    text = pdf_text(message)
    assert RENTER in text and LANDLORD in text
    token = rows("SELECT portal_token FROM cases")[0]["portal_token"]
    assert f"http://localhost/p/{token}" in body(message)
    assert "La carta va adjunta" in body(message)
    letter = _letter(rows, letter_id)
    assert letter["status"] == "sent" and letter["sent_at"] is not None
    assert letter["email_id"] == _emails(rows, letter_id)[0]["id"]
    assert "letter_sent" in _events(rows, letter_id)


def test_delivering_the_same_letter_many_times_at_once_sends_one_email(
    app, reminder, bound_app, inbox, rows, run_workers
):
    from jobs.letters import render_letter

    workspace_id, letter_id = reminder
    render_letter(workspace_id, letter_id)  # in-process: now "sending", delivery enqueued
    assert _letter(rows, letter_id)["status"] == "sending"
    _enqueue_deliver(app, workspace_id, letter_id, times=5)  # RQ runs a job at least once

    run_workers(2)

    assert len(inbox.messages) == 1
    (email,) = _emails(rows, letter_id)
    assert (email["status"], email["attempts"]) == ("sent", 1)
    assert _events(rows, letter_id).count("letter_sent") == 1

    _enqueue_deliver(app, workspace_id, letter_id)  # and once more, later
    run_workers(1)
    assert len(inbox.messages) == 1


def test_a_letter_is_never_rendered_twice(app, reminder, bound_app, rows):
    from jobs.letters import render_letter

    workspace_id, letter_id = reminder
    first = render_letter(workspace_id, letter_id)
    rendered_at = _letter(rows, letter_id)["rendered_at"]

    assert render_letter(workspace_id, letter_id) is None
    letter = _letter(rows, letter_id)
    assert (letter["pdf_sha256"], letter["rendered_at"]) == (first, rendered_at)


@pytest.fixture
def refuse_recipients(inbox, monkeypatch):
    """Make the SMTP server answer RCPT TO with `reply` (e.g. "550 ..." for no such user)."""

    def refuse(reply: str) -> None:
        async def handle_rcpt(server, session, envelope, address, rcpt_options):
            return reply

        monkeypatch.setattr(inbox, "handle_RCPT", handle_rcpt, raising=False)

    return refuse


def test_a_permanent_refusal_bounces_the_letter_without_retrying(
    reminder, inbox, refuse_recipients, rows, run_worker, settings
):
    workspace_id, letter_id = reminder
    refuse_recipients("550 5.1.1 <lucia@example.com>: no such user")

    run_worker()

    assert inbox.messages == []
    letter = _letter(rows, letter_id)
    assert letter["status"] == "bounced"
    assert "550" in letter["error"]
    assert _events(rows, letter_id)[-1] == "letter_bounced"
    (email,) = _emails(rows, letter_id)
    assert (email["status"], email["attempts"]) == ("refused", 1)  # tried once, not retried
    failed = Queue(LETTERS, connection=Redis.from_url(settings["REDIS_URL"])).failed_job_registry
    assert failed.count == 0  # the job ended normally: a bounce is an outcome, not an error


def test_a_temporary_failure_is_on_the_timeline_then_the_retry_sends(
    reminder, inbox, rows, run_worker
):
    workspace_id, letter_id = reminder
    inbox.refuse_next = 1  # "451 Try again later" to the first DATA

    # JOB_RETRY_INTERVALS=0: RQ puts the failed job straight back, the same burst worker retries.
    run_worker()

    assert len(inbox.to(RENTER_EMAIL)) == 1
    events = _events(rows, letter_id)
    assert events.index("letter_failed") < events.index("letter_sent")
    failure = rows(
        "SELECT detail FROM case_events WHERE letter_id = :i AND kind = 'letter_failed'",
        i=letter_id,
    )[0]
    assert "451" in failure["detail"]["error"]
    letter = _letter(rows, letter_id)
    assert (letter["status"], letter["error"]) == ("sent", "")
    (email,) = _emails(rows, letter_id)
    assert (email["status"], email["attempts"]) == ("sent", 2)


@pytest.fixture
def stalled_smtp(inbox, monkeypatch):
    """The first RCPT TO waits until released (a server that hangs mid-conversation)."""
    entered, release = threading.Event(), threading.Event()
    calls = {"n": 0}

    async def handle_rcpt(server, session, envelope, address, rcpt_options):
        calls["n"] += 1
        if calls["n"] == 1:
            entered.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Gone"  # nobody is listening any more
        envelope.rcpt_tos.append(address)
        return "250 OK"

    monkeypatch.setattr(inbox, "handle_RCPT", handle_rcpt, raising=False)
    yield entered
    release.set()  # the stalled server side ends (its client is long gone)


def test_a_worker_killed_in_the_middle_of_a_send_gives_one_email(
    app,
    reminder,
    inbox,
    stalled_smtp,
    rows,
    run_worker,
    settings,
    sweep_at,  # noqa: F811
):
    workspace_id, letter_id = reminder
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "--burst"],
        cwd=ROOT,
        env=settings_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the work horse dies with it
    )
    try:
        assert stalled_smtp.wait(90), "the worker never reached the SMTP server"
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    # The killed transaction held the email's lock; PostgreSQL rolled it back when the
    # connection died: the email is still to send, and nothing says the letter left.
    assert _letter(rows, letter_id)["status"] == "sending"
    (email,) = _emails(rows, letter_id)
    assert (email["status"], email["attempts"]) == ("queued", 0)

    # Redis still holds the dead worker's job as started; the sweep finds the letter stuck in
    # "sending" and asks for its delivery again (a letter sent 30 minutes ago is stuck).
    result = sweep_at(workspace_id, utcnow() + timedelta(minutes=31))
    assert result["requeued"] == 1
    run_worker()

    assert len(inbox.to(RENTER_EMAIL)) == 1
    assert _letter(rows, letter_id)["status"] == "sent"
    assert _events(rows, letter_id).count("letter_sent") == 1
    assert _emails(rows, letter_id)[0]["id"] == email["id"]  # the same email, sent once
    # What no SMTP client can close: a worker killed after the server's "250 OK" to DATA and
    # before our commit. The server has the message, our database does not know it, and the
    # retry sends it again, with the same Message-ID (amparo-<email id>), which is all a mail
    # client can deduplicate on. The window is one network reply to one local commit long.


def test_a_letter_the_server_keeps_deferring_ends_failed_for_a_person_to_see(
    reminder, bound_app, inbox, rows, admin_engine
):
    from sqlalchemy import text

    from jobs.letters import deliver_letter, render_letter
    from jobs.mail import DeliveryFailed
    from jobs.maintenance import MAX_EMAIL_ATTEMPTS

    workspace_id, letter_id = reminder
    render_letter(workspace_id, letter_id)
    inbox.refuse_next = 100

    with pytest.raises(DeliveryFailed):  # RQ will try again
        deliver_letter(workspace_id, letter_id)
    assert _letter(rows, letter_id)["status"] == "sending"
    assert _events(rows, letter_id)[-1] == "letter_failed"

    with admin_engine.begin() as conn:  # as after the retries and the sweep's requeues
        conn.execute(text("UPDATE emails SET attempts = :n"), {"n": MAX_EMAIL_ATTEMPTS - 1})
    assert deliver_letter(workspace_id, letter_id) == "failed"  # no exception: no more retries
    letter = _letter(rows, letter_id)
    assert letter["status"] == "failed" and "451" in letter["error"]
    assert inbox.messages == []


def test_a_letter_whose_rendering_keeps_failing_ends_failed_in_red_and_is_asked_for_no_more(
    reminder,
    bound_app,
    client,
    rows,
    sweep_at,
    tmp_path,
    monkeypatch,  # noqa: F811
):
    from jobs.letters import MAX_RENDER_ATTEMPTS, render_letter
    from tests.conftest import login

    # A real fault, not a stub: the archive's directory cannot be created (a file is in its way).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setitem(bound_app.config, "DOCUMENTS_DIR", str(blocker / "documents"))
    workspace_id, letter_id = reminder

    for _ in range(MAX_RENDER_ATTEMPTS - 1):
        with pytest.raises(OSError):  # RQ will try again
            render_letter(workspace_id, letter_id)
        assert _letter(rows, letter_id)["status"] == "rendering"
    assert render_letter(workspace_id, letter_id) is None  # the last try: an outcome, no retry

    letter = _letter(rows, letter_id)
    assert letter["status"] == "failed" and letter["render_attempts"] == MAX_RENDER_ATTEMPTS
    assert _events(rows, letter_id).count("letter_render_failed") == MAX_RENDER_ATTEMPTS
    # Hours later the sweep does not ask for it again.
    later = sweep_at(workspace_id, madrid(today() + timedelta(days=1)))
    assert later["requeued"] == 0
    assert _letter(rows, letter_id)["status"] == "failed"

    login(client)
    (case,) = rows("SELECT id FROM cases")
    slug = rows("SELECT slug FROM workspaces")[0]["slug"]
    page = client.get(f"/w/{slug}/cases/{case['id']}").get_data(as_text=True)
    assert "list-group-item-danger" in page
    assert "no se volverá a intentar" in page
