"""No job fails silently: a job with a JobRun that fails for good says so on its page, in the
viewer's language, with what to do next; a try that fails with tries left says it is retried.

Real RQ workers, a real PostgreSQL whose connections are killed under a running import, and a
real SMTP server that refuses mail."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import ROOT, login, settings_env
from tests.jobs.test_invitations import run_id_of
from tests.receivables.test_invoice_import import _invoice_counts, _start, _upload, invoice_csv

WORKER_NAME = "amparo-test-worker"  # the application_name of the worker's connections
TRIES = 4  # the first try and the job wrapper's three retries


@pytest.fixture
def business_owner(app, create_workspace):
    """A business workspace and its owner, logged in."""
    workspace_id, slug = create_workspace(name="Suministros Ana", kind="business")
    client = app.test_client()
    login(client)
    return workspace_id, slug, client


def _start_import(client, slug: str, content: bytes) -> str:
    response = _upload(client, slug, content)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    started = _start(client, slug, response.get_data(as_text=True))
    assert started.status_code == 302
    return started.location


def _page(client, path: str, lang: str) -> str:
    with client.session_transaction() as session:
        session["lang"] = lang
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _alert(page: str) -> str:
    """The failure box's text, tags and spacing removed."""
    match = re.search(r'<div class="alert[^"]*" data-run-status="\w+">(.*?)</div>', page, re.S)
    assert match, page[:3000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _worker(settings) -> subprocess.Popen:
    """A burst worker whose database connections carry a name, so the test can find them."""
    env = settings_env(settings)
    url = settings["DATABASE_URL"]
    env["AMPARO_DATABASE_URL"] = f"{url}{'&' if '?' in url else '?'}application_name={WORKER_NAME}"
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cut_every_try(settings, admin_engine, client, run_page: str, cut) -> str:
    """Run a worker on the import and `cut(conn, worker)` each of its tries halfway, until RQ
    has no tries left. Returns the page as it was while RQ was to try again."""
    run_id = int(run_page.rstrip("/").rsplit("/", 1)[1])
    worker = _worker(settings)
    cuts, armed, retrying_page = 0, True, None
    try:
        deadline = time.monotonic() + 300
        while worker.poll() is None and time.monotonic() < deadline:
            with admin_engine.connect() as conn:
                status, done, total = conn.execute(
                    text("SELECT status, done, total FROM job_runs WHERE id = :r"), {"r": run_id}
                ).one()
                if status == "retrying":
                    armed = True
                    retrying_page = retrying_page or _page(client, run_page, "es")
                elif armed and status == "running" and 0 < done < total:
                    cut(conn, worker)  # mid-import, between two batches of invoices
                    cuts, armed = cuts + 1, False
            time.sleep(0.05)
        _out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err[-4000:]
    assert cuts == TRIES  # each try was cut, and RQ tried again until it had no tries left
    assert retrying_page is not None
    return retrying_page


def _kill_database_connections(conn, _worker) -> None:
    """Every connection the worker has (the job's and its progress reports') is cut."""
    killed = conn.scalar(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name"
        ),
        {"name": WORKER_NAME},
    )
    assert killed >= 1


def _kill_work_horse(_conn, worker) -> None:
    """SIGKILL the process running the job: the youngest child of the worker (RQ forks one
    per job; its scheduler was forked at the start)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()

    def started(pid: str) -> int:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])

    os.kill(int(max(children, key=started)), signal.SIGKILL)


def test_an_import_whose_database_connection_dies_says_it_failed_and_what_to_do(
    settings, business_owner, admin_engine
):
    workspace_id, slug, client = business_owner
    run_page = _start_import(client, slug, invoice_csv(20_000, clients=2000))
    run_id = int(run_page.rstrip("/").rsplit("/", 1)[1])

    retrying_page = _cut_every_try(
        settings, admin_engine, client, run_page, _kill_database_connections
    )

    # While RQ had tries left, the page said so and kept following the job.
    assert "Interrumpido. Amparo vuelve a intentarlo" in _alert(retrying_page)
    assert "Nuestra base de datos dejó de responder" in _alert(retrying_page)
    assert "hx-get" in retrying_page

    with admin_engine.connect() as conn:
        run = conn.execute(
            text("SELECT status, error_code, finished_at FROM job_runs WHERE id = :r"),
            {"r": run_id},
        ).one()
    assert (run.status, run.error_code) == ("failed", "job_database_unavailable")
    assert run.finished_at is not None

    spanish = _page(client, run_page, "es")
    assert _alert(spanish) == (
        "La importación ha fallado. No se ha importado nada."
        " Nuestra base de datos dejó de responder mientras se hacía."
        " Vuelve a intentarlo dentro de unos minutos: sube de nuevo el mismo archivo."
        f" Si vuelve a pasar, contacta con soporte indicando la referencia JOB-{run_id}."
    )
    assert "hx-get" not in spanish  # failed for good: the page stops polling
    assert f'href="/w/{slug}/invoices/import"' in spanish  # the way to try again
    english = _page(client, run_page, "en")
    assert _alert(english) == (
        "The import failed. Nothing was imported."
        " Our database stopped answering while it ran."
        " Try again in a few minutes: upload the same file again."
        f" If it happens again, contact support quoting the reference JOB-{run_id}."
    )
    # Each try wrote its invoices in one transaction that died with its connection: no
    # invoice, line or client is left behind for the page to hide.
    assert _invoice_counts(admin_engine, workspace_id) == (0, 0, 0)


def test_an_import_whose_worker_process_is_killed_says_it_failed(
    settings, business_owner, admin_engine
):
    workspace_id, slug, client = business_owner
    run_page = _start_import(client, slug, invoice_csv(20_000, clients=2000))

    retrying_page = _cut_every_try(settings, admin_engine, client, run_page, _kill_work_horse)

    assert "El proceso que lo hacía se detuvo de forma inesperada." in _alert(retrying_page)
    assert "Interrumpido. Amparo vuelve a intentarlo" in _alert(retrying_page)
    assert _alert(_page(client, run_page, "en")).startswith(
        "The import failed. Nothing was imported."
        " The process running it stopped unexpectedly."
        " Try again in a few minutes: upload the same file again."
    )
    assert _invoice_counts(admin_engine, workspace_id) == (0, 0, 0)


def test_the_support_address_is_given_when_one_is_configured(app, business_owner, monkeypatch):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import JobRun

    workspace_id, slug, client = business_owner
    with app.app_context(), tenant_context(workspace_id):
        run = JobRun(kind="invoice_import", status="failed", error_code="job_timeout")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    monkeypatch.setitem(app.config, "SUPPORT_EMAIL", "ayuda@amparo.example")
    page = _page(client, f"/w/{slug}/invoices/import/runs/{run_id}", "es")
    assert _alert(page) == (
        "La importación ha fallado. No se ha importado nada."
        " Tardó más del tiempo permitido y se detuvo."
        " Divide el archivo en otros más pequeños e impórtalos de uno en uno."
        f" Si vuelve a pasar, escribe a ayuda@amparo.example indicando la referencia JOB-{run_id}."
    )


def test_an_import_whose_file_is_gone_fails_and_says_to_upload_it_again(
    app, business_owner, run_worker, admin_engine
):
    workspace_id, slug, client = business_owner
    run_page = _start_import(client, slug, invoice_csv(5))
    for stored in Path(app.config["DOCUMENTS_DIR"]).glob("*/*"):
        stored.unlink()  # the document store lost it between the start and the worker

    run_worker()

    spanish = _page(client, run_page, "es")
    assert _alert(spanish) == (
        "La importación ha fallado. No se ha importado nada."
        " El archivo subido ya no se conserva. Vuelve a subir el archivo."
    )  # the file is the problem, not us: no support reference
    assert _alert(_page(client, run_page, "en")) == (
        "The import failed. Nothing was imported."
        " The uploaded file is no longer kept. Upload the file again."
    )
    assert _invoice_counts(admin_engine, workspace_id) == (0, 0, 0)


def test_invitations_the_mail_server_keeps_deferring_fail_when_the_retries_run_out(
    two_tenants, invite, inbox, row, run_worker
):
    a, _b = two_tenants
    run_id = run_id_of(invite(a, "carla@example.com", "dani@example.com"))
    inbox.refuse_next = 1000  # 451 to every try

    run_worker()

    email = row("SELECT status, attempts FROM emails WHERE \"to\" = 'carla@example.com'")
    assert (email["status"], email["attempts"]) == ("failed", TRIES)
    run = row("SELECT status, done, error_code FROM job_runs WHERE id = :i", i=run_id)
    assert (run["status"], run["done"], run["error_code"]) == ("failed", 0, "invitation_not_sent")
    assert row("SELECT count(*) AS n FROM emails WHERE \"to\" = 'dani@example.com'")["n"] == 0

    members = f"/w/{a.slug}/members?run={run_id}"
    assert _alert(_page(a.client, members, "es")) == (
        "El envío de las invitaciones se detuvo tras 0 de 2."
        " Nuestro servidor de correo no aceptó la invitación a carla@example.com."
        " Las invitaciones ya enviadas siguen enviadas. Vuelve a invitar a las demás personas"
        " más tarde."
        f" Si vuelve a pasar, contacta con soporte indicando la referencia JOB-{run_id}."
    )
    fragment = _page(a.client, f"/w/{a.slug}/jobs/{run_id}", "en")
    assert _alert(fragment) == (
        "Sending the invitations stopped after 0 of 2."
        " Our mail server did not take the invitation to carla@example.com."
        " Invitations already sent stay sent. Invite the others again later."
        f" If it happens again, contact support quoting the reference JOB-{run_id}."
    )
    assert "hx-get" not in fragment


def test_an_invitation_the_mail_server_refuses_fails_at_once_and_names_the_address(
    two_tenants, invite, inbox, row, run_worker, monkeypatch
):
    a, _b = two_tenants
    run_id = run_id_of(invite(a, "nadie@example.com"))

    async def refuse_recipient(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"

    # aiosmtpd looks its hooks up on the handler for each new SMTP connection.
    monkeypatch.setattr(inbox, "handle_RCPT", refuse_recipient, raising=False)
    run_worker()

    email = row("SELECT status, attempts FROM emails WHERE \"to\" = 'nadie@example.com'")
    assert (email["status"], email["attempts"]) == ("refused", 1)  # never tried again
    sent_at = row("SELECT sent_at FROM invitations WHERE email = 'nadie@example.com'")["sent_at"]
    assert sent_at is None  # not shown as sent
    assert _alert(_page(a.client, f"/w/{a.slug}/members?run={run_id}", "es")) == (
        "El envío de las invitaciones se detuvo tras 0 de 1."
        " El servidor de correo de nadie@example.com rechazó la invitación: puede que la"
        " dirección esté mal."
        " Revisa la dirección: anula esa invitación aquí abajo e invita a la dirección correcta."
    )
