"""The dossier job: build an escalation's signed dossier, its ZIP and the petition draft once.

The escalation service asks for it after its commit, with
``outbox.request("jobs.dossiers:build_dossier", tenant_id, escalation_id)``; a rebuild (after a
document was added, or a failure) passes ``rebuild=True`` as a third argument. RQ runs a job at
least once and the outbox re-drive asks again for work that did not finish, so the job checks
the escalation first: a dossier already `ready` is not built again unless a rebuild is asked.

The building (WeasyPrint, pypdf, pyHanko: seconds) runs without a lock on the escalation, so
the firm and the creditor can go on working on it; the result is written under the row's lock,
and a job that finds a dossier made meanwhile by another keeps that one.
docs/law.md#dossier
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from jobs import signing
from jobs.queues import LETTERS
from jobs.runtime import job, last_try
from tenants import db
from tenants.db import utcnow
from tenants.models import Escalation
from tenants.storage import DocumentStore

log = logging.getLogger("amparo.jobs")

TOPIC = "jobs.dossiers:build_dossier"  # what the escalation service asks the outbox for
BUILD_TIMEOUT = 600  # a case with many letters and attachments: still seconds, rarely more
MAX_ERROR = 2000


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _escalation(escalation_id: int, *, lock: bool = False) -> Escalation | None:
    query = select(Escalation).where(Escalation.id == escalation_id)
    if lock:
        query = query.with_for_update(of=Escalation)
    return db.session.scalar(query)


@job(LETTERS, timeout=BUILD_TIMEOUT)
def build_dossier(tenant_id: int, escalation_id: int, rebuild: bool = False) -> str | None:
    """Build and store the dossier of `escalation_id`; returns its PDF's SHA-256 (None when
    there is no such escalation, or when it failed for good).

    A failure is retried by RQ; on the last try the escalation's dossier is `failed`, with the
    reason in `dossier_error`."""
    escalation = _escalation(escalation_id)
    if escalation is None:
        return None
    if escalation.dossier_state == "ready" and not rebuild:
        return escalation.dossier_pdf_sha256
    # Imported here: WeasyPrint and pyHanko load only in the workers that build.
    from letters import dossier

    started = utcnow()
    store = _store()
    try:
        built = dossier.build(escalation, store=store, signer=signing.identity(), now=started)
        for content in (built.pdf, built.zip, built.petition):
            store.put(content)
    except Exception as exc:
        db.session.rollback()
        final = last_try()
        log.warning("dossier of escalation %s failed (final: %s): %r", escalation_id, final, exc)
        if final:
            escalation = _escalation(escalation_id, lock=True)
            if escalation is not None and escalation.dossier_state != "ready":
                escalation.dossier_state = "failed"
                escalation.dossier_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
                db.session.commit()
            return None
        raise  # RQ tries again
    escalation = _escalation(escalation_id, lock=True)
    if escalation is None:
        return None
    if escalation.dossier_state == "ready" and not rebuild:
        return escalation.dossier_pdf_sha256  # another job finished first: keep its files
    escalation.dossier_state = "ready"
    escalation.dossier_pdf_sha256 = built.pdf_sha256
    escalation.dossier_zip_sha256 = built.zip_sha256
    escalation.petition_sha256 = built.petition_sha256
    escalation.dossier_pages = built.pages
    escalation.dossier_built_at = started
    escalation.dossier_error = ""
    return built.pdf_sha256
