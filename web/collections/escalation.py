"""Escalation to a lawyer on the case page (issue 14): the form (case type, the firm suggested
by coverage and capacity and the others that fit, each with its fees, the explicit acceptance
of the fees) with what is still missing; then the escalation's panel: the firm, the status
and what it means, the timeline, the thread with the firm, its requests for documents with an
upload each, the documents, the dossier, the fees and outcome, withdrawing before filing, and
the audit log of what the firm's people viewed and downloaded
(`collections/_case_escalation.html`, included by the case page).

A refused form comes back on the case page (422) with its message next to the field; the
panel's forms reach the template through `escalation_panel(case)`, which takes a form a route
left in `g.escalation_forms` (the bound, refused one) over a blank one.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from tenants import db
from tenants.clock import date_in_spain, today_in_spain
from tenants.models import Case, Workspace
from tenants.models.escalations import CASE_TYPES, FILED_STATUSES, Escalation
from tenants.services.collections import cases, claims
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core, creditor, eligibility
from tenants.services.escalations import escalate as escalating
from tenants.storage import DocumentStore
from web.collections import bp
from web.collections.cases import actor, render_case
from web.labels import (
    ESCALATION_CASE_TYPE_LABELS,
    ESCALATION_STATUS_LABELS,
    escalation_status_label,
)
from web.messages import apply_to_form, flash_error
from web.permissions import requires
from web.workspaces.forms import REQUIRED

# What each status means for the creditor, in one line.
STATUS_MEANINGS = {
    "offered": _l("Waiting for the firm's answer until %(until)s."),
    "unplaced": _l(
        "No firm that fits could take the case. The letters stay stopped: withdraw it to decide."
    ),
    "accepted": _l("The firm accepted the case and is preparing it."),
    "demand_sent": _l("The firm sent the debtor a demand of its own."),
    "monitorio_filed": _l("The firm filed the case in court: %(court)s, procedure %(number)s."),
    "opposed": _l("The debtor opposed in court; the firm answers."),
    "hearing": _l("A hearing is set; the firm attends it."),
    "judgment": _l("The court gave its judgment."),
    "enforcement": _l("The firm asks the court to enforce the judgment."),
    "recovered": _l("The firm recovered the debt."),
    "closed_unrecoverable": _l("The firm closed the case: the debt could not be recovered."),
    "withdrawn": _l(
        "You withdrew the case from the firm. The letters stay paused until you decide."
    ),
}
# The escalation's own timeline (core's lines), one sentence per kind.
EVENT_TEXT = {
    "escalated": _l("Escalated as %(case_type)s to %(firm)s for %(amount)s, fees accepted."),
    "offered": _l("Offered to %(firm)s for 48 hours."),
    "accepted": _l("%(firm)s accepted the case and declared no conflict of interest."),
    "declined": _l("%(firm)s declined the case: %(reason)s"),
    "expired": _l("The firm did not answer within 48 hours."),
    "reassigned": _l("Offered to another firm."),
    "unplaced": _l("No firm that fits is left to offer the case to."),
    "status": _l("Status: %(status)s."),
    "outcome": _l(
        "Closed: %(status)s. Recovered %(recovered_amount)s; the firm's fee %(fee_amount)s."
    ),
    "message": _l("A message on the thread."),
    "request": _l("The firm asks for a document."),
    "document": _l("A document was added."),
    "deadline": _l("A date noted: %(label)s, %(due_on)s."),
    "deadline_done": _l("Done: %(label)s."),
    "payment": _l(
        "Payment of %(amount)s received after the escalation (%(method)s). Still owed: %(balance)s."
    ),
    "withdrawn": _l("Withdrawn: %(reason)s"),
    "dossier_ready": _l("The dossier is ready."),
    "dossier_failed": _l("The dossier could not be built."),
}
METHOD_LABELS = {
    "transfer": _l("bank transfer"),
    "direct_debit": _l("direct debit"),
    "cash": _l("cash"),
    "card": _l("card"),
    "other": _l("other"),
    "mixed": _l("several methods"),
}
ACCESS_LABELS = {
    "viewed": _l("viewed the case"),
    "downloaded_dossier": _l("downloaded the dossier (PDF)"),
    "downloaded_zip": _l("downloaded the dossier (ZIP)"),
    "downloaded_petition": _l("downloaded the draft petition"),
    "downloaded_document": _l("downloaded a document"),
}
DOSSIER_LABELS = {
    "pending": _l("Being built"),
    "ready": _l("Ready, signed"),
    "failed": _l("It could not be built; Amparo tries again"),
}
MISSING_TEXT = {
    "plan": _l("Escalating needs the %(plan)s plan."),
    "case_closed": _l("The case is closed."),
    "instalments_running": _l("An instalment plan is running: it must end first."),
    "already_escalated": _l("The case is already with a lawyer."),
    "eviction_needs_lease": _l("An eviction needs a lease: this debt has none."),
    "case_type_invalid": _l("Choose the type of case."),
    "certified_demand_missing": _l(
        "The ladder must first reach the certified demand: none has left in this climb."
    ),
    "certified_demand_not_delivered": _l(
        "For an eviction, the certified demand must have been delivered: upload its "
        "acknowledgement of receipt."
    ),
    "eviction_wait": _l(
        "For an eviction, %(days)s days must pass after the certified demand was delivered "
        "(%(delivered_on)s), so the renter can no longer stop it by paying (LEC art. 22.4): "
        "it can be escalated from %(ready_on)s."
    ),
    "masc_missing": _l(
        "The out-of-court attempt (LO 1/2025) is not on record: a demand must have reached the "
        "debtor (delivered, or sent by email without bouncing), with its archived PDF."
    ),
    "charge_disputed": _l("The charge %(charge)s is disputed: settle the dispute first."),
    "case_disputed": _l("The debtor disputes the debt (the case is held for it): settle it first."),
    "debtor_disputes": _l(
        "The debtor disputed the debt on the portal and nobody answered: look into it and "
        "resume the case first."
    ),
    "amount_below_minimum": _l(
        "The claim, %(amount)s, is below this firm's minimum of %(minimum)s."
    ),
    "firm_not_fitting": _l("This firm does not take this case (its province, type or capacity)."),
    "firm_unknown": _l("Choose one of the firms offered."),
    "no_firm_fits": _l(
        "No partner firm takes this type of case in %(province)s for %(amount)s now."
    ),
}
MISSING_LINKS = {
    "letters": "letters",
    "charges": "charges",
    "actions": "actions",
    "timeline": "portal",
    "instalments": "instalments",
}


class EscalateForm(FlaskForm):
    case_type = SelectField(
        _l("Type of case"),
        choices=[SelectChoice(k, v) for k, v in ESCALATION_CASE_TYPE_LABELS.items()],
        validate_choice=False,  # the service says which type fits
    )
    firm = RadioField(_l("Law firm"), coerce=int, validate_choice=False)
    accept_terms = BooleanField(_l("I accept these fees"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why you withdraw it (the firm is shown it)"), validators=[REQUIRED, Length(max=500)]
    )


class MessageForm(FlaskForm):
    text = TextAreaField(
        _l("Message to the firm"), validators=[REQUIRED, Length(max=creditor.MAX_MESSAGE)]
    )


class UploadForm(FlaskForm):
    file = FileField(
        _l("Document"), description=_l("A PDF, PNG, JPEG or WebP file of at most 10 MB.")
    )


# --- words ------------------------------------------------------------------------------------


def fee_terms(flat_fee, success_percent) -> str:
    """ "150,00 € por caso + 10 % de lo recobrado", plainly."""
    parts = []
    if flat_fee is not None:
        parts.append(_("%(amount)s per case", amount=format_currency(flat_fee, "EUR")))
    if success_percent is not None:
        parts.append(
            _("%(percent)s %% of what is recovered", percent=format_decimal(success_percent))
        )
    return " + ".join(parts) if parts else _("no fee")


def _date(value) -> str:
    if isinstance(value, datetime):
        value = date_in_spain(value)
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, "medium") if value else ""


def _money(value) -> str:
    return format_currency(value, "EUR") if value not in (None, "") else "—"


def status_meaning(escalation: Escalation) -> str:
    template = STATUS_MEANINGS.get(escalation.status)
    if template is None:
        return ""
    until = escalation.offer_expires_at
    return str(template) % {
        "until": format_datetime(until, "short") if until else "—",
        "court": escalation.court or "—",
        "number": escalation.procedure_number or "—",
    }


def event_text(kind: str, detail: dict) -> str:
    """One line of the escalation's timeline (also the case timeline's "escalation" lines)."""
    template = EVENT_TEXT.get(kind)
    if template is None:
        return kind.replace("_", " ")
    params = {k: ("" if v is None else v) for k, v in (detail or {}).items()}
    for name in ("amount", "balance", "recovered_amount", "fee_amount"):
        if name in params:
            params[name] = _money(detail.get(name))
    for name in ("due_on", "received_on"):
        if detail.get(name):
            params[name] = _date(detail[name])
    if "case_type" in params:
        params["case_type"] = ESCALATION_CASE_TYPE_LABELS.get(params["case_type"], "")
    if "status" in params:
        params["status"] = ESCALATION_STATUS_LABELS.get(params["status"], params["status"])
    if "method" in params:
        params["method"] = METHOD_LABELS.get(params["method"], params["method"])
    params.setdefault("firm", _("the firm"))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return kind.replace("_", " ")


def case_event_sentence(detail: dict) -> str:
    """The case timeline's line of an escalation step (core.record mirrors each one)."""
    return _("Lawyer: %(text)s", text=event_text(detail.get("what", ""), detail))


def missing_items(missing: list[eligibility.Missing], case: Case) -> list[dict]:
    items = []
    for item in missing:
        params = dict(item.params)
        for name in ("ready_on", "delivered_on"):
            if name in params:
                params[name] = _date(params[name])
        for name in ("amount", "minimum"):
            if name in params:
                params[name] = _money(params[name])
        if item.code == "plan":
            from web.plans import plan_name

            params["plan"] = plan_name(params["plan"])
        text = str(MISSING_TEXT.get(item.code, item.code)) % params
        if item.link == "plan":
            href = url_for("ws.plan")
        elif item.link in MISSING_LINKS:
            href = url_for(".case_detail", case_id=case.id, _anchor=MISSING_LINKS[item.link])
        else:
            href = None
        items.append({"code": item.code, "text": text, "href": href})
    return items


# --- the panel --------------------------------------------------------------------------------


def _default_type(case: Case) -> str:
    asked = request.values.get("escalate-case_type")
    fitting = eligibility.case_types_for(case)
    if asked in CASE_TYPES:
        return asked
    return "eviction" if "eviction" in fitting else "monitorio"


def _names(workspace_ids: set[int]) -> dict[int, str]:
    if not workspace_ids:
        return {}
    rows = db.session.execute(
        select(Workspace.id, Workspace.name).where(Workspace.id.in_(workspace_ids))
    )
    return dict(rows.all())


def _firm_rows(case: Case, case_type: str, today: date) -> list[dict]:
    amount = claims.claim_of_case(case, today).total
    firms = core.fitting_firms(
        case_type=case_type,
        province=core.province_of_case(case),
        amount=amount,
        any_terms=True,
    )
    names = _names({f.workspace_id for f in firms})
    return [
        {
            "id": firm.workspace_id,
            "name": names.get(firm.workspace_id, ""),
            "terms": fee_terms(firm.flat_fee, firm.success_percent),
            "minimum": firm.min_amount,
            "suggested": index == 0,
        }
        for index, firm in enumerate(firms)
    ]


def escalate_form(case: Case, case_type: str, firms: list[dict]) -> EscalateForm:
    made = getattr(g, "escalation_forms", {}).get("escalate")
    form = made or EscalateForm(
        formdata=None,
        prefix="escalate",
        data={"case_type": case_type, "firm": firms[0]["id"] if firms else None},
    )
    form.firm.choices = [
        SelectChoice(
            f["id"],
            f"{f['name']} · {f['terms']}" + (f" ({_('suggested')})" if f["suggested"] else ""),
        )
        for f in firms
    ]
    return form


@bp.app_context_processor
def _escalation_panel():
    def escalation_panel(case: Case) -> dict:
        today = today_in_spain()
        escalation = core.escalation_of_case(case.id)
        made = getattr(g, "escalation_forms", {})
        result = {
            "escalation": escalation,
            "open": escalation is not None and escalation.is_open,
            "forms": {
                "withdraw": made.get("withdraw") or WithdrawForm(formdata=None, prefix="withdraw"),
                "message": made.get("message") or MessageForm(formdata=None, prefix="message"),
                "upload": made.get("upload") or UploadForm(formdata=None, prefix="upload"),
                "upload_for": made.get("upload_for"),
            },
            "opened": made.get("open"),
            "status_labels": ESCALATION_STATUS_LABELS,
            "status_label": escalation_status_label,
            "type_labels": ESCALATION_CASE_TYPE_LABELS,
            "access_labels": ACCESS_LABELS,
            "dossier_labels": DOSSIER_LABELS,
            "event_text": event_text,
            "fee_terms": fee_terms,
        }
        if escalation is not None:
            result["panel"] = creditor.panel(escalation)
            result["meaning"] = status_meaning(escalation)
            result["firm"] = (
                db.session.get(Workspace, escalation.firm_id) if escalation.firm_id else None
            )
            result["withdrawable"] = escalation.is_open and escalation.status not in FILED_STATUSES
            firm_ids = {a.firm_id for a in result["panel"].access if a.firm_id}
            result["firm_names"] = _names(firm_ids)
        can_escalate = case.status != "closed" and not result["open"]
        result["can_escalate"] = can_escalate
        if can_escalate:
            case_type = _default_type(case)
            firms = _firm_rows(case, case_type, today)
            result["case_type"] = case_type
            result["firms"] = firms
            result["form"] = escalate_form(case, case_type, firms)
            missing = made.get("missing")
            if missing is None:
                form = result["form"]
                missing = eligibility.check(case, case_type, form.firm.data or None, today=today)
            result["missing"] = missing_items(missing, case)
            result["proposed"] = any(
                s.kind == "escalation" and s.position <= case.stage for s in case.ladder.steps
            )
        return result

    return {"escalation_panel": escalation_panel}


def seen(case: Case) -> None:
    """The case page was opened: what the firm flagged for the creditor is seen."""
    escalation = core.escalation_of_case(case.id)
    if escalation is not None:
        creditor.seen_by_creditor(escalation)


# --- the routes -------------------------------------------------------------------------------


def _again(case_id: int, name: str, form, **more):
    g.escalation_forms = {name: form, "open": name, **more}
    return render_case(cases.get_case(case_id), 422)


def _done(case_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".case_detail", case_id=case_id, _anchor="escalation"))


def _escalation(case_id: int) -> Escalation:
    cases.get_case(case_id)  # 404 first
    escalation = core.escalation_of_case(case_id)
    if escalation is None:
        raise NotFound(case_id)
    return escalation


@bp.post("/cases/<int:case_id>/escalate")
@requires("escalations.escalate")
def escalation_create(case_id: int):
    case = cases.get_case(case_id)
    form = EscalateForm(prefix="escalate")
    form.firm.choices = []
    if form.validate_on_submit():
        try:
            escalating.escalate(
                case.id,
                case_type=form.case_type.data or "",
                firm_id=form.firm.data or None,
                accept_terms=bool(form.accept_terms.data),
                actor=actor(),
                today=today_in_spain(),
            )
        except escalating.NotEligible as error:
            apply_to_form(form, error)
            return _again(case_id, "escalate", form, missing=error.missing)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(
                case_id,
                _(
                    "The case is offered to the firm: the letters stop, and you are told of "
                    "its answer."
                ),
            )
    return _again(case_id, "escalate", form)


@bp.post("/cases/<int:case_id>/escalation/withdraw")
@requires("escalations.escalate")
def escalation_withdraw(case_id: int):
    escalation = _escalation(case_id)
    form = WithdrawForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            escalating.withdraw(escalation.id, reason=form.reason.data, actor=actor())
        except ServiceError as error:
            if error.field is None:  # filed or closed meanwhile: the panel shows no form
                flash_error(error)
                return redirect(url_for(".case_detail", case_id=case_id, _anchor="escalation"))
            apply_to_form(form, error)
        else:
            return _done(
                case_id,
                _(
                    "The escalation is withdrawn and the firm told. The case stays paused "
                    "until you resume it."
                ),
            )
    return _again(case_id, "withdraw", form)


@bp.post("/cases/<int:case_id>/escalation/messages")
@requires("escalations.correspond")
def escalation_message(case_id: int):
    escalation = _escalation(case_id)
    form = MessageForm(prefix="message")
    if form.validate_on_submit():
        try:
            creditor.write_message(escalation.id, text=form.text.data, actor=actor())
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(case_id, _("Your message is sent to the firm."))
    return _again(case_id, "message", form)


@bp.post("/cases/<int:case_id>/escalation/documents")
@requires("escalations.correspond")
def escalation_upload(case_id: int):
    escalation = _escalation(case_id)
    request_id = request.form.get("request_id", type=int)
    form = UploadForm(prefix="upload")
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)
        try:
            content = upload.read() if upload else b""
            name = upload.filename if upload else ""
        finally:
            if upload:
                upload.close()
        try:
            creditor.upload_document(
                escalation.id,
                upload=creditor.Upload(name or "", content),
                actor=actor(),
                store=DocumentStore(current_app.config["DOCUMENTS_DIR"]),
                request_id=request_id,
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(case_id, _("The document is sent to the firm."))
    return _again(case_id, "upload", form, upload_for=request_id)


def _file_response(content: bytes, filename: str, content_type: str):
    from flask import Response

    response = Response(content, mimetype=content_type)
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "document"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _stored(sha256: str | None) -> bytes:
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    if not sha256 or not store.exists(sha256):
        abort(404)
    return store.get(sha256)


@bp.get("/cases/<int:case_id>/escalation/documents/<int:document_id>")
def escalation_document(case_id: int, document_id: int):
    escalation = _escalation(case_id)
    document = creditor.get_document(escalation.id, document_id)
    return _file_response(_stored(document.sha256), document.filename, document.content_type)


@bp.get("/cases/<int:case_id>/escalation/dossier.pdf")
def escalation_dossier(case_id: int):
    """The signed dossier as the firm gets it, once the job has built it."""
    escalation = _escalation(case_id)
    content = _stored(escalation.dossier_pdf_sha256)
    return _file_response(content, f"dossier-{escalation.id}.pdf", "application/pdf")
