"""Receivables views: importing invoices from a CSV file, as a job with a progress bar.

Upload (the file is stored by its SHA-256) → choose which column is what, with a preview of
the first rows → start: a JobRun and a job that checks every row first and imports nothing
if any row has a problem → a page that follows the job and shows the summary or the problems.
"""

from __future__ import annotations

import json
import re

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import HiddenField, SelectField

from jobs.enqueue import enqueue_after_commit
from jobs.invoice_import import import_invoice_file
from tenants import db
from tenants.models import JobRun
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables import invoice_import
from tenants.storage import DocumentStore
from web.job_runs import describe_failure
from web.labels import INVOICE_IMPORT_FIELD_LABELS
from web.messages import apply_to_form, message_for
from web.permissions import requires
from web.receivables import bp

RUN_KIND = "invoice_import"
UPLOAD_MAX_AGE = 2 * 3600  # seconds between the upload and the start of the import
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose the CSV file to import."))],
        description=_l("Saved from your spreadsheet or invoicing program as CSV."),
        render_kw={"accept": ".csv,text/csv"},
    )


def _mapping_form_class():
    class MappingForm(FlaskForm):
        sha256 = HiddenField()

    for key in invoice_import.FIELDS:
        setattr(
            MappingForm,
            key,
            SelectField(INVOICE_IMPORT_FIELD_LABELS[key], choices=[], validate_choice=False),
        )
    return MappingForm


MappingForm = _mapping_form_class()


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _upload_page(form: UploadForm, status: int = 200):
    return render_template("receivables/import_upload.html", form=form), status


def _mapping_page(form: MappingForm, table: invoice_import.Table, status: int = 200):
    choices = [("", str(_l("— not in the file —")))] + [
        (str(i), name or f"#{i + 1}") for i, name in enumerate(table.headers)
    ]
    for key in invoice_import.FIELDS:
        form[key].choices = choices
    mapping = {
        key: (int(form[key].data) if (form[key].data or "").isdigit() else None)
        for key in invoice_import.FIELDS
    }
    rows = invoice_import.preview(table, mapping)
    shown = [key for key in invoice_import.FIELDS if mapping[key] is not None]
    return render_template(
        "receivables/import_mapping.html",
        form=form,
        rows=rows,
        shown=shown,
        labels=INVOICE_IMPORT_FIELD_LABELS,
        required=invoice_import.REQUIRED,
        count=len(table.rows),
    ), status


def _signer() -> URLSafeTimedSerializer:
    """The hidden field carries the file's SHA-256 signed for this workspace and user: the
    store is shared, so a bare hash would let anyone who knows one import another's file."""
    salt = f"amparo.invoice-import.{g.workspace.id}.{current_user.id}"
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _unsign(token: str) -> str:
    try:
        return str(_signer().loads(token or "", max_age=UPLOAD_MAX_AGE))
    except BadSignature:  # also SignatureExpired
        return ""


def _stored_table(sha256: str) -> invoice_import.Table | None:
    if not _SHA256.fullmatch(sha256 or "") or not _store().exists(sha256):
        return None
    try:
        return invoice_import.read_table(_store().get(sha256))
    except ServiceError:
        return None


@bp.route("/invoices/import", methods=["GET", "POST"])
@requires("invoices.write", also_to_read=True)
def invoice_import_upload():
    form = UploadForm()
    if request.method != "POST":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, 422)
    content = form.file.data.read()
    try:
        table = invoice_import.read_table(content)
    except ServiceError as error:
        apply_to_form(form, error)
        return _upload_page(form, 422)
    sha256 = _store().put(content)
    mapping_form = MappingForm(formdata=None, sha256=_signer().dumps(sha256))
    for key, index in invoice_import.guess_mapping(table.headers).items():
        mapping_form[key].data = "" if index is None else str(index)
    return _mapping_page(mapping_form, table)


@bp.post("/invoices/import/start")
@requires("invoices.write")
def invoice_import_start():
    form = MappingForm()
    sha256 = _unsign(form.sha256.data)
    table = _stored_table(sha256) if form.validate_on_submit() else None
    if table is None:
        upload = UploadForm(formdata=None)
        upload.form_errors.append(message_for(ServiceError("import_expired")))
        return _upload_page(upload, 422)
    mapping = {key: form[key].data for key in invoice_import.FIELDS}
    try:
        mapping = invoice_import.check_mapping(mapping, table.headers)
    except ServiceError as error:
        apply_to_form(form, error)
        return _mapping_page(form, table, 422)
    run = JobRun(kind=RUN_KIND, total=len(table.rows))
    db.session.add(run)
    db.session.flush()
    enqueue_after_commit(import_invoice_file, g.workspace.id, run.id, sha256, json.dumps(mapping))
    return redirect(url_for("ws.receivables.invoice_import_run", run_id=run.id))


def _run(run_id: int) -> JobRun:
    # Any run of this workspace (another workspace's is NotFound): the page only reads it.
    run = db.session.scalar(select(JobRun).where(JobRun.id == run_id))
    if run is None:
        raise NotFound(run_id)
    return run


def _outcome(run: JobRun) -> dict:
    """The run's message read back: the summary, or the problems in the user's language."""
    try:
        data = json.loads(run.message or "{}")
    except ValueError:
        return {"kind": "text", "text": run.message}
    if not isinstance(data, dict):
        return {"kind": "text", "text": run.message}
    if data.get("kind") == "invalid":
        data["problems"] = [
            {
                "row": e["row"],
                "column": e["column"],
                "message": message_for(ServiceError(e["code"], None, **e.get("params", {}))),
            }
            for e in data.get("errors", [])
        ]
        data["summary"] = message_for(
            ServiceError("invoice_import_rows_invalid", None, count=data.get("count", 0))
        )
    return data


@bp.get("/invoices/import/runs/<int:run_id>")
def invoice_import_run(run_id: int):
    run = _run(run_id)
    return render_template(
        "receivables/import_run.html", run=run, outcome=_outcome(run), failure=describe_failure(run)
    )


@bp.get("/invoices/import/runs/<int:run_id>/status")
def invoice_import_status(run_id: int):
    """The progress fragment; htmx polls it until the job has finished."""
    run = _run(run_id)
    return render_template(
        "receivables/_import_progress.html",
        run=run,
        outcome=_outcome(run),
        failure=describe_failure(run),
    )
