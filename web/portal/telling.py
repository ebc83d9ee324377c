"""Telling why, on the portal: a promise to pay by a date, or a dispute or explanation with
its reason, what the debtor says and up to 3 documents (issue 12 point 4).

No session: the forms are CSRF-exempt (the secret token in the URL is the capability), checked
like every form, and bad input comes back next to its field in the debtor's language, with
nothing changed.
"""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length

from jobs.portal import REASON_LABELS
from tenants.clock import today_in_spain
from tenants.services.errors import ServiceError
from tenants.services.portal import telling
from tenants.storage import DocumentStore
from web.extensions import csrf
from web.fields import DayField, MoneyField
from web.messages import apply_to_form
from web.portal import bp, open_case
from web.workspaces.forms import REQUIRED

# Three files of up to 10 MB each, and the form around them.
MAX_REQUEST_BYTES = (telling.MAX_ATTACHMENTS + 1) * telling.MAX_ATTACHMENT_BYTES


class PortalForm(FlaskForm):
    class Meta:
        csrf = False  # no session on the portal: no cookie, no CSRF token


class PromiseForm(PortalForm):
    until = DayField(_l("I will pay by"), validators=[REQUIRED])
    amount = MoneyField(
        _l("Amount I will pay (optional)"), description=_l("Leave it empty to pay it all.")
    )
    note = TextAreaField(
        _l("Anything to add (optional)"), validators=[Length(max=telling.MAX_TEXT)]
    )


class ExplainForm(PortalForm):
    reason = RadioField(
        _l("Why have you not paid?"),
        choices=[SelectChoice(k, v) for k, v in REASON_LABELS.items()],
        validate_choice=False,  # the service says "choose one of the options"
    )
    text = TextAreaField(_l("Tell us what happened"), validators=[Length(max=telling.MAX_TEXT)])
    files = MultipleFileField(
        _l("Documents (optional)"),
        description=_l("Up to 3 files: PDF, PNG, JPEG or WebP, 10 MB each."),
    )


def forms(promise_form=None, explain_form=None) -> dict:
    return {
        "promise_form": promise_form or PromiseForm(formdata=None, prefix="promise"),
        "explain_form": explain_form or ExplainForm(formdata=None, prefix="explain"),
    }


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _done(token: str, what: str):
    return redirect(url_for("portal.case_page", token=token, told=what, _anchor="told"), 303)


@bp.post("/<token>/promise")
@csrf.exempt
def promise(token: str):
    from web.portal.page import render_page

    with open_case(token) as (case, workspace):
        form = PromiseForm(prefix="promise")
        if form.validate():
            try:
                telling.promise(
                    case.id,
                    until=form.until.data,
                    amount=(form.amount.data or "").strip() or None,
                    note=form.note.data or "",
                    today=today_in_spain(),
                )
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                return _done(token, "promise")
        return render_page(token, case, workspace, 422, promise_form=form)


def _room_for_documents():
    if request.endpoint == "portal.explain":
        request.max_content_length = MAX_REQUEST_BYTES


# First of the app's hooks: they read the form (text input, CSRF) before a blueprint's own
# hook would run, and the limit must be set before the body is read.
bp.record_once(
    lambda state: state.app.before_request_funcs.setdefault(None, []).insert(
        0, _room_for_documents
    )
)


@bp.post("/<token>/explain")
@csrf.exempt
def explain(token: str):
    from web.portal.page import render_page

    with open_case(token) as (case, workspace):
        form = ExplainForm(prefix="explain")
        if form.validate():
            uploads = []
            for upload in request.files.getlist(form.files.name):
                try:
                    if upload.filename:
                        uploads.append(telling.Upload(upload.filename, upload.read()))
                finally:
                    upload.close()  # a large file is a temporary file: closed, not left to the GC
            try:
                telling.explain(
                    case.id,
                    reason=form.reason.data or "",
                    text=form.text.data or "",
                    uploads=uploads,
                    today=today_in_spain(),
                    store=_store(),
                )
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                return _done(token, "explain")
        return render_page(token, case, workspace, 422, explain_form=form)
