"""Collections views for the letters themselves: the approval queue (preview, approve, skip,
note, approve several at once), the tray of paper letters (one PDF to print them all, marking
them posted with their tracking numbers) and the acknowledgements of receipt."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Length

from tenants import db
from tenants.models import Letter
from tenants.services.collections import letters as letter_service
from tenants.services.errors import ServiceError
from tenants.storage import DocumentStore, check_pdf
from web import transaction
from web.collections import bp
from web.collections.cases import ActionForm, actor, render_case, today
from web.fields import DayField
from web.labels import CHANNEL_LABELS, LETTER_KIND_LABELS, STEP_LABELS
from web.messages import apply_to_form, flash_error, message_for
from web.permissions import requires
from web.rate_labels import unverified_reason
from web.workspaces.forms import REQUIRED

# The PDF preview is shown in a frame of our own pages, and nothing else may frame it.
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"


class LetterNoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=500)])


class PostedForm(FlaskForm):
    posted_on = DayField(_l("Posted on"), validators=[REQUIRED])


class AckForm(FlaskForm):
    file = FileField(_l("Acknowledgement of receipt (PDF)"))
    delivered_on = DayField(_l("Delivered on"), validators=[REQUIRED])


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _document(sha256: str | None) -> bytes:
    store = _store()
    if not sha256 or not store.exists(sha256):
        abort(404)
    return store.get(sha256)


def _pdf_response(content: bytes, filename: str, disposition: str = "inline") -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if disposition == "inline":
        response.headers["Content-Security-Policy"] = PDF_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _filename(letter: Letter, what: str) -> str:
    return f"{what}-{letter.kind}-{letter.id}.pdf"


# --- documents --------------------------------------------------------------------------------


@bp.get("/cases/letters/<int:letter_id>/pdf")
def letter_pdf(letter_id: int):
    """The letter as rendered (inline, so it previews in the page)."""
    letter = letter_service.get_letter(letter_id)
    return _pdf_response(_document(letter.pdf_sha256), _filename(letter, "letter"))


@bp.get("/cases/letters/<int:letter_id>/acknowledgement")
def letter_acknowledgement(letter_id: int):
    letter = letter_service.get_letter(letter_id)
    return _pdf_response(
        _document(letter.acknowledgement_sha256), _filename(letter, "acknowledgement")
    )


# --- the approval queue -----------------------------------------------------------------------


def _queue_rows() -> list[dict]:
    waiting = letter_service.approval_queue()
    copies = letter_service.copies_by_letter([letter.id for letter in waiting])
    return [
        {
            "letter": letter,
            "copies": copies.get(letter.id, []),
            "unverified": _unverified_reason(letter),
        }
        for letter in waiting
    ]


def _unverified_reason(letter) -> str | None:
    """Why a letter waits although its step needs no approval: its interest uses a rate not
    yet verified (docs/law.md#rates-as-data)."""
    rates = letter_service.unverified_rates(letter)
    return unverified_reason(rates) if rates else None


@bp.get("/cases/approvals")
def approvals():
    return render_template(
        "collections/approvals.html",
        rows=_queue_rows(),
        note_form=LetterNoteForm(formdata=None),
        action_form=ActionForm(formdata=None),
        kind_labels=LETTER_KIND_LABELS,
        step_labels=STEP_LABELS,
        channel_labels=CHANNEL_LABELS,
    )


def _letter_action(letter_id: int, action, done: str):
    letter_service.get_letter(letter_id)  # 404 before anything else
    form = LetterNoteForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for(".approvals"))
    try:
        action((form.note.data or "").strip())
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for(".approvals", _anchor=f"letter-{letter_id}"))
    flash(done, "success")
    return redirect(_back_to())


def _back_to() -> str:
    """Back where the form was: the approvals (default) or a case page."""
    case_id = request.form.get("case_id", type=int)
    if case_id:
        return url_for(".case_detail", case_id=case_id)
    return url_for(".approvals")


@bp.post("/cases/letters/<int:letter_id>/approve")
@requires("letters.approve")
def letter_approve(letter_id: int):
    return _letter_action(
        letter_id,
        lambda note: letter_service.approve(letter_id, actor(), note),
        _("The letter is approved and on its way."),
    )


@bp.post("/cases/letters/<int:letter_id>/skip")
@requires("letters.approve")
def letter_skip(letter_id: int):
    return _letter_action(
        letter_id,
        lambda note: letter_service.skip(letter_id, actor(), note),
        _("The letter is skipped: it will not be sent."),
    )


@bp.post("/cases/letters/<int:letter_id>/note")
@requires("cases.work")
def letter_note(letter_id: int):
    return _letter_action(
        letter_id,
        lambda note: letter_service.add_letter_note(letter_id, actor(), note),
        _("The note is saved."),
    )


def _selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("letter_ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


@bp.post("/cases/approvals/approve")
@requires("letters.approve")
def approve_selected():
    form = ActionForm()
    ids = _selected_ids()
    if not form.validate_on_submit():
        abort(400)
    if not ids:
        flash(message_for(ServiceError("nothing_selected")), "danger")
        return redirect(url_for(".approvals"))
    done = letter_service.approve_many(ids, actor())
    if done:
        flash(ngettext("%(num)s letter approved.", "%(num)s letters approved.", done), "success")
    if done < len(ids):
        flash(
            ngettext(
                "%(num)s letter was no longer waiting and was left alone.",
                "%(num)s letters were no longer waiting and were left alone.",
                len(ids) - done,
            ),
            "warning",
        )
    return redirect(url_for(".approvals"))


# --- the tray of paper letters ----------------------------------------------------------------


def _posted_letters() -> list[Letter]:
    """Paper letters posted whose acknowledgement of receipt has not come back yet."""
    return list(
        db.session.scalars(
            select(Letter)
            .where(Letter.status == "posted", Letter.channel == "certified")
            .order_by(Letter.posted_on, Letter.id)
        )
    )


def render_tray(status: int = 200, posted_form=None, errors=None, ack_form=None, ack_id=None):
    on_day = today()
    posted = _posted_letters()
    return render_template(
        "collections/postal_tray.html",
        letters=letter_service.postal_tray(),
        posted=posted,
        posted_form=posted_form or PostedForm(formdata=None, data={"posted_on": on_day}),
        errors=errors or {},
        selected=set(_selected_ids()) if request.method == "POST" else set(),
        tracking={k: v for k, v in request.form.items() if k.startswith("tracking-")},
        ack_forms={
            x.id: ack_form
            if ack_id == x.id
            else AckForm(formdata=None, prefix=f"ack-{x.id}", data={"delivered_on": on_day})
            for x in posted
        },
        kind_labels=LETTER_KIND_LABELS,
        channel_labels=CHANNEL_LABELS,
    ), status


@bp.get("/cases/to-post")
def postal_tray():
    return render_tray()


@bp.get("/cases/to-post/letters.pdf")
def postal_tray_pdf():
    """Every letter of the tray in one PDF, in the tray's order, to print at once."""
    letters = letter_service.postal_tray()
    store = _store()
    writer = PdfWriter()
    count = 0
    for letter in letters:
        if not letter.pdf_sha256 or not store.exists(letter.pdf_sha256):
            continue
        try:
            reader = PdfReader(io.BytesIO(store.get(letter.pdf_sha256)))
            writer.append(reader)
        except PdfReadError:
            current_app.logger.warning("letter %s: stored PDF unreadable", letter.id)
            continue
        if len(reader.pages) % 2:
            # Printed on both sides, every letter must start on a new sheet.
            writer.add_blank_page()
        count += 1
    if not count:
        flash(_("There are no letters to print."), "info")
        return redirect(url_for(".postal_tray"))
    out = io.BytesIO()
    writer.write(out)
    writer.close()
    filename = f"letters-to-post-{today().isoformat()}.pdf"
    return _pdf_response(out.getvalue(), filename, "attachment")


@bp.post("/cases/to-post/posted")
@requires("cases.work")
def postal_tray_posted():
    form = PostedForm()
    ids = _selected_ids()
    if not form.validate_on_submit():
        return render_tray(422, posted_form=form)
    tracking = {}
    for letter_id in ids:
        tracking[letter_id] = request.form.get(f"tracking-{letter_id}", "")
    try:
        done = letter_service.mark_posted(
            ids, posted_on=form.posted_on.data, tracking=tracking, actor=actor(), today=today()
        )
    except ServiceError as error:
        transaction.refuse()
        errors = {}
        if error.field and error.field.startswith("tracking-"):
            errors[error.field] = message_for(error)
        else:
            apply_to_form(form, error)
        return render_tray(422, posted_form=form, errors=errors)
    flash(
        ngettext("%(num)s letter marked as posted.", "%(num)s letters marked as posted.", done),
        "success",
    )
    return redirect(url_for(".postal_tray"))


@bp.post("/cases/letters/<int:letter_id>/acknowledgement")
@requires("cases.work")
def letter_acknowledgement_upload(letter_id: int):
    """The signed acknowledgement of receipt of a posted letter (a PDF scan)."""
    letter = letter_service.get_letter(letter_id)
    form = AckForm(prefix=f"ack-{letter_id}")
    from_case = request.form.get("case_id", type=int) == letter.case_id and letter.case_id

    def show_again():
        if from_case:
            return render_case(letter.case, 422, ack_form=form, ack_letter_id=letter_id)
        return render_tray(422, ack_form=form, ack_id=letter_id)

    if not form.validate_on_submit():
        return show_again()
    upload = form.file.data
    content = upload.read() if upload else b""
    try:
        if not content:
            raise ServiceError("required", "file")
        check_pdf(content)
        if letter.status not in ("posted", "delivered"):
            raise ServiceError("letter_not_posted")
        sha256 = _store().put(content)
        letter_service.record_acknowledgement(
            letter_id,
            sha256=sha256,
            delivered_on=form.delivered_on.data,
            actor=actor(),
            today=today(),
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return show_again()
    flash(_("The acknowledgement of receipt is kept with the letter."), "success")
    if from_case:
        return redirect(url_for(".case_detail", case_id=letter.case_id, _anchor="letters"))
    return redirect(url_for(".postal_tray"))
