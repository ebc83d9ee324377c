"""Importing invoices from a stored CSV file, with progress for the page that waits for it."""

from __future__ import annotations

import json
import time

from flask import current_app

from jobs.progress import report_progress
from jobs.queues import DEFAULT
from jobs.runtime import job
from tenants import db
from tenants.services.errors import ServiceError
from tenants.services.receivables import invoice_import
from tenants.storage import DocumentStore


def result_message(kind: str, **data) -> str:
    """What JobRun.message holds for the result page: JSON with a kind."""
    return json.dumps({"kind": kind, **data}, default=str)


@job(DEFAULT, timeout=1800, with_run=True)
def import_invoice_file(tenant_id: int, run_id: int, sha256: str, mapping_json: str) -> None:
    """Import the file; rows with problems import nothing and are listed in the run's message.

    Safe to run twice: invoices are upserted by number and clients found by NIF/CIF. Every
    invoice is written in one transaction, so a try that fails leaves none of them behind.
    """
    started = time.perf_counter()
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    if not store.exists(sha256):
        raise ServiceError("import_file_missing")  # it will not come back: no retry
    try:
        table = invoice_import.read_table(store.get(sha256))
        result = invoice_import.import_invoices(
            table,
            json.loads(mapping_json),
            lambda done, total: report_progress(run_id, done=done, total=total),
        )
    except invoice_import.ImportInvalid as invalid:
        db.session.rollback()
        errors = [e.as_dict() for e in invalid.errors]
        report_progress(
            run_id,
            done=0,
            status="failed",
            message=result_message("invalid", count=invalid.count, errors=errors),
        )
        return  # the file is wrong: trying again would not help
    db.session.commit()  # the invoices exist before the page says "done"
    report_progress(
        run_id,
        done=result.total,
        total=result.total,
        status="done",
        message=result_message(
            "done", seconds=round(time.perf_counter() - started, 2), **result.as_dict()
        ),
    )
