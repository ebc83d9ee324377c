"""The law firm's inbox (/w/<firm>/inbox) and one escalation's page, with the firm's actions.

The rows are the creditors'; tenants/services/escalations/inbox.py reads them for the current
firm only and answers NotFound (404) for any other. Opening the page and every download is
written to the creditor's audit log.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from tenants.clock import today_in_spain
from tenants.models import WorkspaceKind
from tenants.models.escalations import CASE_TYPES, FIRM_STATUSES
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import inbox as service
from tenants.services.portal.telling import Upload
from tenants.services.values import parse_money
from tenants.storage import DocumentStore
from web.escalations import bp
from web.fields import DayField, MoneyField
from web.labels import (
    ESCALATION_CASE_TYPE_LABELS,
    ESCALATION_STATUS_LABELS,
    escalation_status_label,
)
from web.messages import apply_to_form, flash_error
from web.permissions import only_in, requires
from web.workspaces.forms import REQUIRED

LAW_FIRM = WorkspaceKind.LAW_FIRM
# What each download is, for the audit log and the file's name.
DOWNLOADS = {
    "dossier": ("dossier_pdf_sha256", "downloaded_dossier", "application/pdf", "dossier.pdf"),
    "zip": ("dossier_zip_sha256", "downloaded_zip", "application/zip", "dossier.zip"),
    "petition": ("petition_sha256", "downloaded_petition", "application/pdf", "petition.pdf"),
}


class ActionForm(FlaskForm):
    """A button: the CSRF token only."""


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(
        _l(
            "I declare that neither I nor my firm has a conflict of interest with the debtor or "
            "the creditor of this case."
        )
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the firm declines"), validators=[REQUIRED, Length(max=service.MAX_REASON)]
    )


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[REQUIRED])
    court = StringField(_l("Court"), validators=[Length(max=service.MAX_COURT)])
    procedure_number = StringField(
        _l("Procedure number"), validators=[Length(max=service.MAX_PROCEDURE)]
    )
    filed_on = DayField(_l("Filed on"), validators=[Optional()])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=service.MAX_TEXT)])


class OutcomeForm(FlaskForm):
    status = SelectField(_l("Outcome"), validators=[REQUIRED])
    recovered_amount = MoneyField(_l("Amount recovered"))
    outcome_on = DayField(_l("On"), validators=[REQUIRED])


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Message"), validators=[REQUIRED, Length(max=service.MAX_TEXT)])


class RequestForm(FlaskForm):
    text = TextAreaField(
        _l("Documents you need"), validators=[REQUIRED, Length(max=service.MAX_TEXT)]
    )
    due_on = DayField(_l("Needed by"), validators=[REQUIRED])


class DeadlineForm(FlaskForm):
    label = StringField(_l("What"), validators=[REQUIRED, Length(max=service.MAX_LABEL)])
    due_on = DayField(_l("Date"), validators=[REQUIRED])


class UploadForm(FlaskForm):
    files = MultipleFileField(
        _l("Files"), description=_l("Up to 3 files: PDF, PNG, JPEG or WebP, 10 MB each.")
    )


FORMS = {
    "accept_form": (AcceptForm, "accept"),
    "decline_form": (DeclineForm, "decline"),
    "status_form": (StatusForm, "status"),
    "outcome_form": (OutcomeForm, "outcome"),
    "message_form": (MessageForm, "message"),
    "request_form": (RequestForm, "request"),
    "deadline_form": (DeadlineForm, "deadline"),
    "upload_form": (UploadForm, "upload"),
}


def _user():
    return current_user.user


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _label(status: str, case_type: str):
    return escalation_status_label(status, case_type)


def _status_choices(escalation) -> list[SelectChoice]:
    """The later steps, outcomes aside (they have their own form)."""
    if escalation.status not in service.ORDER:
        return []
    return [
        SelectChoice(status, _label(status, escalation.case_type))
        for status in service.IN_PROGRESS
        if service.ORDER[status] > service.ORDER[escalation.status]
    ]


def _forms(escalation, given: dict) -> dict:
    forms = {
        name: given.get(name) or form_class(formdata=None, prefix=prefix)
        for name, (form_class, prefix) in FORMS.items()
    }
    forms["status_form"].status.choices = _status_choices(escalation)
    forms["outcome_form"].status.choices = [
        SelectChoice(status, ESCALATION_STATUS_LABELS[status]) for status in service.OUTCOMES
    ]
    if given.get("outcome_form") is None:
        forms["outcome_form"].outcome_on.data = today_in_spain()
    return forms


# --- the inbox ----------------------------------------------------------------------------------


@bp.get("/inbox")
@only_in(LAW_FIRM)
def inbox_list():
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    found = service.inbox(
        show=request.args.get("show", "open"),
        case_type=request.args.get("type", ""),
        search=request.args.get("q", "")[:100],
        page=page,
    )
    return render_template(
        "escalations/inbox_list.html",
        inbox=found,
        waiting=service.waiting_count(),
        shows=[("open", _("In progress")), ("closed", _("Closed"))]
        + [(s, ESCALATION_STATUS_LABELS[s]) for s in FIRM_STATUSES],
        case_types=[(t, ESCALATION_CASE_TYPE_LABELS[t]) for t in CASE_TYPES],
        label=_label,
        type_labels=ESCALATION_CASE_TYPE_LABELS,
    )


@bp.app_context_processor
def _inbox_count():
    def inbox_waiting() -> int:
        """What waits on the firm, for the menu."""
        workspace = getattr(g, "workspace", None)
        if workspace is None or workspace.kind != LAW_FIRM:
            return 0
        return service.waiting_count()

    return {"inbox_waiting": inbox_waiting}


# --- one escalation -----------------------------------------------------------------------------


def render_file(escalation_id: int, status: int = 200, **given):
    escalation = service.get_for_firm(escalation_id)
    file = service.file_of(escalation)
    forms = _forms(escalation, given)
    return render_template(
        "escalations/inbox_detail.html",
        file=file,
        escalation=escalation,
        party=file.case.party,
        offer=file.offer,
        is_offer=escalation.status == "offered",
        hours_left=service.hours_left(escalation),
        label=_label,
        type_labels=ESCALATION_CASE_TYPE_LABELS,
        fee_if_all=service.fee_for(escalation, Decimal(escalation.claimed_amount)),
        action_form=ActionForm(formdata=None),
        event_text=event_text,
        **forms,
    ), status


@bp.get("/inbox/<int:escalation_id>")
@only_in(LAW_FIRM)
def inbox_detail(escalation_id: int):
    service.opened(escalation_id, user=_user())
    return render_file(escalation_id)


def _act(escalation_id: int, form_name: str, action, done: str, anchor: str = ""):
    """Validate the form, run the service and go back to the page (the request commits); or
    show the page again with the error next to the field (422), nothing changed."""
    escalation = service.get_for_firm(escalation_id)  # 404 before anything else
    form_class, prefix = FORMS[form_name]
    form = form_class(prefix=prefix)
    if form_name == "status_form":
        form.status.choices = _status_choices(escalation)
    elif form_name == "outcome_form":
        form.status.choices = [SelectChoice(s, s) for s in service.OUTCOMES]
    if form.validate_on_submit():
        try:
            action(form)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(done, "success")
            if form_name == "decline_form":  # it has left the firm's inbox
                return redirect(url_for(".inbox_list"))
            return redirect(url_for(".inbox_detail", escalation_id=escalation_id, _anchor=anchor))
    return render_file(escalation_id, 422, **{form_name: form})


@bp.post("/inbox/<int:escalation_id>/accept")
@only_in(LAW_FIRM)
@requires("inbox.answer")
def inbox_accept(escalation_id: int):
    return _act(
        escalation_id,
        "accept_form",
        lambda form: service.accept(
            escalation_id, actor=_user(), no_conflict=bool(form.no_conflict.data)
        ),
        _("The case is accepted: the creditor is told, and the file is yours to work."),
    )


@bp.post("/inbox/<int:escalation_id>/decline")
@only_in(LAW_FIRM)
@requires("inbox.answer")
def inbox_decline(escalation_id: int):
    return _act(
        escalation_id,
        "decline_form",
        lambda form: service.decline(escalation_id, actor=_user(), reason=form.reason.data),
        _("The case is declined: it is offered to another firm and leaves your inbox."),
    )


@bp.post("/inbox/<int:escalation_id>/status")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_status(escalation_id: int):
    return _act(
        escalation_id,
        "status_form",
        lambda form: service.move(
            escalation_id,
            status=form.status.data,
            actor=_user(),
            court=form.court.data,
            procedure_number=form.procedure_number.data,
            filed_on=form.filed_on.data,
            note=form.note.data or "",
        ),
        _("Status changed: the creditor is told."),
        "status",
    )


@bp.post("/inbox/<int:escalation_id>/outcome")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_outcome(escalation_id: int):
    def record(form):
        text = (form.recovered_amount.data or "").strip()
        amount = parse_money(text, "recovered_amount", allow_zero=True) if text else Decimal(0)
        service.record_outcome(
            escalation_id,
            status=form.status.data,
            recovered_amount=amount,
            outcome_on=form.outcome_on.data,
            actor=_user(),
        )

    return _act(
        escalation_id,
        "outcome_form",
        record,
        _("The outcome is recorded and the fee computed: the creditor is told."),
        "outcome",
    )


@bp.post("/inbox/<int:escalation_id>/messages")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_message(escalation_id: int):
    return _act(
        escalation_id,
        "message_form",
        lambda form: service.send_message(escalation_id, text=form.text.data, actor=_user()),
        _("Message sent to the creditor."),
        "thread",
    )


@bp.post("/inbox/<int:escalation_id>/requests")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_request(escalation_id: int):
    return _act(
        escalation_id,
        "request_form",
        lambda form: service.request_documents(
            escalation_id, text=form.text.data, due_on=form.due_on.data, actor=_user()
        ),
        _("Request sent: the creditor answers it by uploading the documents."),
        "thread",
    )


@bp.post("/inbox/<int:escalation_id>/deadlines")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_deadline(escalation_id: int):
    return _act(
        escalation_id,
        "deadline_form",
        lambda form: service.add_deadline(
            escalation_id, label=form.label.data, due_on=form.due_on.data, actor=_user()
        ),
        _("Deadline added."),
        "deadlines",
    )


@bp.post("/inbox/<int:escalation_id>/deadlines/<int:deadline_id>/done")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_deadline_done(escalation_id: int, deadline_id: int):
    service.get_for_firm(escalation_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Try again."), "danger")
    else:
        try:
            service.complete_deadline(escalation_id, deadline_id, actor=_user())
        except ServiceError as error:
            flash_error(error)
        else:
            flash(_("Deadline marked as done."), "success")
    return redirect(url_for(".inbox_detail", escalation_id=escalation_id, _anchor="deadlines"))


@bp.post("/inbox/<int:escalation_id>/documents")
@only_in(LAW_FIRM)
@requires("inbox.work")
def inbox_upload(escalation_id: int):
    def upload(form):
        files = request.files.getlist(form.files.name)
        uploads = [Upload(f.filename or "", f.read()) for f in files if f and f.filename]
        service.upload_documents(escalation_id, uploads=uploads, actor=_user(), store=_store())

    return _act(
        escalation_id, "upload_form", upload, _("Files added to the escalation."), "documents"
    )


# --- downloads, each written to the creditor's audit log ------------------------------------------


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ")[:100] or "document"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _dossier_file(escalation_id: int, what: str) -> Response:
    escalation = service.get_for_firm(escalation_id)
    column, action, mimetype, name = DOWNLOADS[what]
    sha256 = getattr(escalation, column)
    store = _store()
    if not sha256 or not store.exists(sha256):
        raise NotFound(escalation_id)
    service.log_access(escalation, action, name, user=_user())
    return _download(store.get(sha256), mimetype, f"{escalation.id}-{name}")


@bp.get("/inbox/<int:escalation_id>/dossier.pdf")
@only_in(LAW_FIRM)
def inbox_dossier(escalation_id: int):
    return _dossier_file(escalation_id, "dossier")


@bp.get("/inbox/<int:escalation_id>/dossier.zip")
@only_in(LAW_FIRM)
def inbox_dossier_zip(escalation_id: int):
    return _dossier_file(escalation_id, "zip")


@bp.get("/inbox/<int:escalation_id>/petition.pdf")
@only_in(LAW_FIRM)
def inbox_petition(escalation_id: int):
    return _dossier_file(escalation_id, "petition")


@bp.get("/inbox/<int:escalation_id>/documents/<int:document_id>")
@only_in(LAW_FIRM)
def inbox_document(escalation_id: int, document_id: int):
    escalation = service.get_for_firm(escalation_id)
    document = service.document_of(escalation, document_id)
    store = _store()
    if not store.exists(document.sha256):
        raise NotFound(document_id)
    service.log_access(escalation, "downloaded_document", document.filename, user=_user())
    return _download(store.get(document.sha256), document.content_type, document.filename)


# --- the timeline in words ----------------------------------------------------------------------

EVENT_TEXT = {
    "offered": _l("Offered to %(firm)s."),
    "accepted": _l("Accepted by %(firm)s, with no conflict of interest declared."),
    "declined": _l("Declined by %(firm)s: %(reason)s"),
    "reassigned": _l("%(firm)s did not answer within 48 hours: offered to the next firm."),
    "unplaced": _l("No firm that fits is left to offer it to."),
    "status": _l("Status: %(status)s."),
    "status+filing": _l("Status: %(status)s, at %(court)s, procedure %(procedure_number)s."),
    "outcome": _l("Closed: %(status)s. Recovered %(recovered_amount)s; fee %(fee_amount)s."),
    "message": _l("A message on the thread."),
    "request": _l("Documents requested, needed by %(due_on)s."),
    "document": _l("Files added: %(files)s."),
    "deadline": _l("Deadline on %(due_on)s: %(label)s"),
    "deadline_done": _l("Deadline done: %(label)s"),
    "withdrawn": _l("Withdrawn by the creditor."),
}


def event_text(event, case_type: str) -> str:
    """One line of the escalation's timeline in the reader's language (a kind written by
    another part of the app that this page does not know yet reads as its kind)."""
    detail = dict(event.detail or {})
    key = event.kind
    if key == "status" and detail.get("court"):
        key = "status+filing"
    template = EVENT_TEXT.get(key)
    if template is None:
        return event.kind.replace("_", " ").capitalize()
    if "status" in detail and detail["status"] in ESCALATION_STATUS_LABELS:
        detail["status"] = str(_label(detail["status"], case_type))
    for name in ("recovered_amount", "fee_amount", "amount"):
        if detail.get(name) is not None:
            detail[name] = format_currency(Decimal(detail[name]), "EUR")
    for name in ("due_on", "filed_on", "outcome_on"):
        if detail.get(name):
            detail[name] = format_date(date.fromisoformat(detail[name]), "medium")
    if isinstance(detail.get("files"), list):
        detail["files"] = ", ".join(detail["files"])
    try:
        return str(template) % detail
    except (KeyError, TypeError, ValueError):
        return event.kind.replace("_", " ").capitalize()
