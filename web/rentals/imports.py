"""Rentals views: importing a rent book (properties, units, parties, leases) from a CSV file.

Upload → preview (nothing is created) → confirm (everything in one commit, or nothing).
Between preview and confirm the file's text travels in hidden fields, signed with the
SECRET_KEY (itsdangerous) for this workspace and this user and valid for two hours, so the
confirm step imports exactly the file that was previewed and no other.
"""

from __future__ import annotations

from flask import Response, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tenants.clock import today_in_spain
from tenants.services.errors import ServiceError
from tenants.services.rentals import rent_book_import
from web import transaction
from web.labels import (
    IMPORT_ROW_STATUS_LABELS,
    LEASE_USE_LABELS,
    PARTY_ROLE_LABELS,
    PAYMENT_METHOD_LABELS,
    UPDATE_CLAUSE_LABELS,
)
from web.messages import apply_to_form, message_for
from web.permissions import requires
from web.rentals import bp
from web.rentals.leases import eur, warning_messages

PAYLOAD_MAX_AGE = 2 * 60 * 60  # seconds between the preview and the confirmation
# Flask refuses a form field above 500 kB (MAX_FORM_MEMORY_SIZE), before any view runs: the
# signed text is split into several hidden fields of a multipart form.
PAYLOAD_CHUNK = 400_000


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose the CSV file to import."))],
        description=_l("Saved from your spreadsheet as CSV, at most 2 MB."),
        render_kw={"accept": ".csv,text/csv"},
    )


def _language() -> str:
    return "en" if str(get_locale()) == "en" else "es"


def _signer() -> URLSafeTimedSerializer:
    salt = f"rent-book-import/{g.workspace.id}/{current_user.id}"
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


# --- pages ------------------------------------------------------------------------------------


def _upload_page(form: ImportForm, status: int = 200):
    accepted = rent_book_import.ACCEPTED[_language()]
    return render_template("rentals/import_upload.html", form=form, accepted=accepted), status


def _column(result, key: str | None) -> str:
    """The column as the landlord's file names it (or as the template does)."""
    if key is None:
        return ""
    return result.headers.get(key) or rent_book_import.column_title(key, _language())


def _messages(result, errors) -> list[dict]:
    """Each problem in the user's language, with its row and its column."""
    return [
        {
            "row": e.row,
            "column": _column(result, e.column),
            "message": message_for(ServiceError(e.code, e.column, **e.params)),
        }
        for e in errors
    ]


def _preview_page(result, form: ImportForm, payload: str | None = None, status: int = 200):
    rows = [
        {
            "row": row,
            "errors": _messages(result, row.errors),
            "warnings": warning_messages(row.warnings),
        }
        for row in result.rows
    ]
    chunks = [payload[i : i + PAYLOAD_CHUNK] for i in range(0, len(payload or ""), PAYLOAD_CHUNK)]
    return render_template(
        "rentals/import_preview.html",
        result=result,
        rows=rows,
        file_errors=_messages(result, result.file_errors),
        problems=len(result.errors),
        counts=result.count_new(),
        chunks=chunks,
        form=form,
        eur=eur,
        STATUS_LABELS=IMPORT_ROW_STATUS_LABELS,
        ROLE_LABELS=PARTY_ROLE_LABELS,
        USE_LABELS=LEASE_USE_LABELS,
        PAYMENT_METHOD_LABELS=PAYMENT_METHOD_LABELS,
        UPDATE_CLAUSE_LABELS=UPDATE_CLAUSE_LABELS,
    ), status


# --- views ------------------------------------------------------------------------------------


@bp.get("/import/template.csv")
def import_template():
    language = _language()
    filename = "amparo-rent-book.csv" if language == "en" else "amparo-alquileres.csv"
    return Response(
        rent_book_import.template_csv(language),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@requires("rent_book.write", also_to_read=True)
def import_upload():
    form = ImportForm()
    if request.method != "POST":  # GET or HEAD
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, 422)
    try:
        text = rent_book_import.read_upload(form.file.data.read(rent_book_import.MAX_BYTES + 1))
    except ServiceError as error:
        apply_to_form(form, error)
        return _upload_page(form, 422)
    result = rent_book_import.preview_import(text, language=_language(), today=today_in_spain())
    if not result.ok:
        return _preview_page(result, form, status=422)
    return _preview_page(result, form, payload=_signer().dumps(text))


@bp.post("/import/confirm")
@requires("rent_book.write")
def import_confirm():
    try:
        text = _signer().loads("".join(request.form.getlist("payload")), max_age=PAYLOAD_MAX_AGE)
    except BadSignature:  # altered, expired, for another workspace or user, or missing
        text = None
    if not isinstance(text, str):
        form = ImportForm(formdata=None)
        form.form_errors.append(message_for(ServiceError("import_expired")))
        return _upload_page(form, 422)
    result = rent_book_import.apply_import(text, language=_language(), today=today_in_spain())
    if not result.applied:  # the rent book changed since the preview: show why
        transaction.refuse()
        return _preview_page(result, ImportForm(formdata=None), status=422)
    return render_template(
        "rentals/import_done.html",
        counts=result.count_new(),
        properties=[r.property for r in result.rows if r.property.status == "new"],
        leases=[r for r in result.rows if r.lease is not None],
    )
