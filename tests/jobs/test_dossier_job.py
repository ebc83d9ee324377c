"""The dossier job (docs/law.md#dossier): asked through the outbox after an escalation, a real
worker builds the signed dossier, its ZIP and the petition draft once, stores them and says so
on the escalation; a dossier that cannot be built fails with its reason."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader

from tests.letters.dossier_fixtures import *  # noqa: F403 - the fixtures
from tests.letters.dossier_fixtures import pdf_text

pytestmark = pytest.mark.filterwarnings(
    r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning",
)


@pytest.fixture
def signing_dir(app, monkeypatch, tmp_path):
    """The in-process jobs sign with a development certificate of this test's own."""
    monkeypatch.setitem(app.config, "SIGNING_DEV_DIR", str(tmp_path / "signing"))
    return tmp_path / "signing"


def _escalation(app, tenant_id: int, escalation_id: int) -> dict:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Escalation

    with app.app_context(), tenant_context(tenant_id):
        row = db.session.get(Escalation, escalation_id)
        values = {
            column: getattr(row, column)
            for column in (
                "dossier_state",
                "dossier_pdf_sha256",
                "dossier_zip_sha256",
                "petition_sha256",
                "dossier_pages",
                "dossier_built_at",
                "dossier_error",
            )
        }
        db.session.rollback()
        return values


def _stored(app, sha256: str) -> bytes:
    from tenants.storage import DocumentStore

    return DocumentStore(app.config["DOCUMENTS_DIR"]).get(sha256)


def test_the_outbox_topic_names_the_job():
    from jobs import queues
    from jobs.dossiers import TOPIC, build_dossier
    from jobs.enqueue import outbox_job

    assert TOPIC == "jobs.dossiers:build_dossier"
    assert outbox_job(TOPIC) is build_dossier
    assert build_dossier.queue_name == queues.LETTERS  # where WeasyPrint is warm


def test_the_job_builds_the_dossier_once(app, bound_app, dossier_case, signing_dir):
    from jobs.dossiers import build_dossier
    from letters import signing

    case = dossier_case
    sha256 = build_dossier(case.tenant_id, case.escalation_id)

    row = _escalation(app, case.tenant_id, case.escalation_id)
    assert row["dossier_state"] == "ready" and row["dossier_error"] == ""
    assert row["dossier_pdf_sha256"] == sha256 and row["dossier_built_at"] is not None
    pdf = _stored(app, sha256)
    assert row["dossier_pages"] == len(PdfReader(io.BytesIO(pdf)).pages)
    identity = signing.development_identity(signing_dir)
    assert signing.validate(pdf, identity).ok
    assert signing.validate(_stored(app, row["petition_sha256"]), identity).ok
    archive = zipfile.ZipFile(io.BytesIO(_stored(app, row["dossier_zip_sha256"])))
    assert "index.csv" in archive.namelist() and archive.read("expediente_firmado.pdf") == pdf
    assert "Javier Martín Ruiz" in pdf_text(pdf)

    # Asked again (RQ runs a job at least once, the re-drive asks again): nothing is rebuilt.
    assert build_dossier(case.tenant_id, case.escalation_id) == sha256
    assert _escalation(app, case.tenant_id, case.escalation_id) == row

    # Asked for a rebuild: a new file, signed anew.
    rebuilt = build_dossier(case.tenant_id, case.escalation_id, True)
    again = _escalation(app, case.tenant_id, case.escalation_id)
    assert rebuilt != sha256 and again["dossier_pdf_sha256"] == rebuilt
    assert again["dossier_built_at"] > row["dossier_built_at"]


def test_a_dossier_that_cannot_be_built_fails_with_its_reason(
    app, bound_app, dossier_case, signing_dir
):
    from jobs.dossiers import build_dossier
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Letter

    case = dossier_case
    with app.app_context(), tenant_context(case.tenant_id):
        letter = db.session.get(Letter, case.letter_ids[0])
        letter.pdf_sha256 = "0" * 64  # its PDF is not in the store
        db.session.commit()

    assert build_dossier(case.tenant_id, case.escalation_id) is None  # the last try

    row = _escalation(app, case.tenant_id, case.escalation_id)
    assert row["dossier_state"] == "failed"
    assert "FileNotFoundError" in row["dossier_error"]
    assert row["dossier_pdf_sha256"] is None and row["dossier_pages"] is None


def test_a_worker_builds_it_when_the_escalation_asks(app, dossier_case, run_worker, rows):
    from tenants import db, outbox
    from tenants.db import tenant_context

    case = dossier_case
    with app.app_context(), tenant_context(case.tenant_id):
        outbox.request("jobs.dossiers:build_dossier", case.tenant_id, case.escalation_id)
        db.session.commit()

    run_worker(timeout=240)

    row = _escalation(app, case.tenant_id, case.escalation_id)
    assert row["dossier_state"] == "ready", row["dossier_error"]
    assert row["dossier_pages"] == len(
        PdfReader(io.BytesIO(_stored(app, row["dossier_pdf_sha256"]))).pages
    )
    [item] = rows("SELECT done_at FROM outbox WHERE topic = 'jobs.dossiers:build_dossier'")
    assert item["done_at"] is not None
