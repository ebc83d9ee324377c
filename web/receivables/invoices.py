"""Receivables views: invoices of a business workspace, their payments, credit notes, disputes,
the PDF issued, and what Spanish law lets the business claim on a given date."""

from __future__ import annotations

from datetime import date

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
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from tenants import db
from tenants.clock import today_in_spain
from tenants.models import Charge, Party
from tenants.models.ledger import PAYMENT_METHODS
from tenants.services.errors import ServiceError
from tenants.services.receivables import invoices as invoice_service
from tenants.services.receivables import late_payment
from tenants.services.rentals import parties as party_service
from tenants.storage import DocumentStore, check_pdf
from web.fields import DayField, MoneyField, read_day
from web.labels import (
    INVOICE_STATUS_FILTERS,
    INVOICE_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    REGIME_LABELS,
)
from web.messages import apply_to_form, warning_text
from web.permissions import requires
from web.receivables import bp
from web.workspaces.forms import REQUIRED

PAGE_SIZE = 50
CLIENT_CHOICES_LIMIT = 1000


class InvoiceForm(FlaskForm):
    # Most checks are the service's (its messages, next to the field).
    party_id = SelectField(_l("Client"), validate_choice=False)
    number = StringField(_l("Invoice number"), validators=[Length(max=40)])
    issue_date = DayField(_l("Issue date"), validators=[Optional()])
    due_date = DayField(_l("Due date"), validators=[Optional()])
    base = MoneyField(_l("Taxable base"))
    vat = MoneyField(_l("VAT"))
    total = MoneyField(_l("Total"))
    currency = StringField(_l("Currency"), default="EUR", validators=[Length(max=3)])
    description = StringField(_l("Description"), validators=[Length(max=200)])
    file = FileField(_l("The invoice as issued (PDF, optional)"))


class PaymentForm(FlaskForm):
    received_on = DayField(_l("Date received"), validators=[REQUIRED])
    amount = MoneyField(_l("Amount"))
    method = SelectField(
        _l("Method"),
        choices=[SelectChoice(m, PAYMENT_METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        validate_choice=False,
    )
    reference = StringField(_l("Reference"), validators=[Length(max=140)])


class CreditNoteForm(FlaskForm):
    number = StringField(_l("Credit note number"), validators=[Length(max=40)])
    issue_date = DayField(_l("Date"), validators=[REQUIRED])
    amount = MoneyField(_l("Amount"))


class DisputeForm(FlaskForm):
    reason = TextAreaField(_l("What the client disputes"), validators=[Length(max=500)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("The invoice as issued (PDF)"))


class ActionForm(FlaskForm):
    """A button: the CSRF token only."""


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _client_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(str(p.id), p.name)
        for p in party_service.list_parties(limit=CLIENT_CHOICES_LIMIT)
    ]


def _invoice_form(**kwargs) -> InvoiceForm:
    form = InvoiceForm(**kwargs)
    form.party_id.choices = _client_choices()
    return form


def _input(form: InvoiceForm) -> invoice_service.InvoiceInput:
    try:
        party_id = int(form.party_id.data or "")
    except ValueError:
        raise ServiceError("required", "party_id") from None
    return invoice_service.InvoiceInput(
        party_id=party_id,
        number=form.number.data or "",
        issue_date=form.issue_date.data,
        due_date=form.due_date.data,
        total=(form.total.data or "").strip(),
        base=(form.base.data or "").strip() or None,
        vat=(form.vat.data or "").strip() or None,
        currency=(form.currency.data or "").strip() or "EUR",
        description=form.description.data or "",
    )


def _upload(file_field) -> tuple[bytes, str] | None:
    """(content, file name) of an uploaded file, None when no file was chosen."""
    upload = file_field.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    content = upload.read()
    check_pdf(content)
    return content, upload.filename


def _attach(invoice_id: int, upload: tuple[bytes, str]) -> None:
    content, filename = upload
    sha256 = _store().put(content)
    invoice_service.attach_document(invoice_id, sha256=sha256, filename=filename)


def _date_arg(name: str) -> date | None:
    """A day from the query string, within DayField's bounds; None if it is not one."""
    try:
        return read_day(request.args.get(name, ""), name)
    except ValueError:
        return None


def _days_overdue(invoice: Charge, today: date) -> int:
    if invoice.outstanding <= 0 or invoice.written_off_at is not None:
        return 0
    return max((today - invoice.due_date).days, 0)


# --- list, new, edit --------------------------------------------------------------------------


@bp.get("/invoices")
def invoice_list():
    today = today_in_spain()
    status = request.args.get("status", "")
    status = status if status in INVOICE_STATUS_FILTERS else ""
    client = request.args.get("client", "")
    party_id = int(client) if client.isdigit() else None
    page = request.args.get("page", "1")
    page = min(max(int(page), 1), 100_000) if page.isdigit() and len(page) < 7 else 1
    found = invoice_service.list_invoices(
        party_id=party_id,
        status=status or None,
        today=today,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    has_next = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    ids = {i.party_id for i in found if i.party_id}
    names = {}
    if ids:
        names = {
            pid: name
            for pid, name in db.session.execute(
                select(Party.id, Party.name).where(Party.id.in_(ids))
            )
        }
    return render_template(
        "receivables/invoice_list.html",
        invoices=[(i, names.get(i.party_id, "—"), _days_overdue(i, today)) for i in found],
        status=status,
        client=str(party_id or ""),
        clients=_client_choices(),
        page=page,
        has_next=has_next,
        status_filters=INVOICE_STATUS_FILTERS,
        status_labels=INVOICE_STATUS_LABELS,
    )


@bp.route("/invoices/new", methods=["GET", "POST"])
@requires("invoices.write")
def invoice_new():
    form = _invoice_form()
    if request.method != "POST":
        if request.args.get("client", "").isdigit():
            form.party_id.data = request.args["client"]
        return render_template("receivables/invoice_new.html", form=form)
    if form.validate_on_submit():
        try:
            upload = _upload(form.file)  # checked first: a bad file creates nothing
            invoice = invoice_service.create_invoice(_input(form))
            if upload is not None:
                _attach(invoice.id, upload)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(_("Invoice %(number)s has been added.", number=invoice.number), "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice.id))
    return render_template("receivables/invoice_new.html", form=form), 422


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires("invoices.write")
def invoice_edit(invoice_id: int):
    invoice = invoice_service.get_invoice(invoice_id)  # 404 for another tenant's id
    if request.method != "POST":
        form = _invoice_form(
            data={
                "party_id": str(invoice.party_id or ""),
                "number": invoice.number,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "base": "" if invoice.base is None else str(invoice.base),
                "vat": "" if invoice.vat is None else str(invoice.vat),
                "total": str(invoice.amount),
                "currency": invoice.currency,
                "description": invoice.description,
            }
        )
        return render_template("receivables/invoice_edit.html", form=form, invoice=invoice)
    form = _invoice_form()
    if form.validate_on_submit():
        try:
            invoice_service.update_invoice(invoice_id, _input(form))
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(_("The changes have been saved."), "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice_id))
    return render_template("receivables/invoice_edit.html", form=form, invoice=invoice), 422


# --- the invoice's page -----------------------------------------------------------------------


def _credit_notes(invoice_id: int) -> list[Charge]:
    return list(
        db.session.scalars(
            select(Charge)
            .where(Charge.kind == "credit_note", Charge.credits_charge_id == invoice_id)
            .order_by(Charge.issue_date, Charge.id)
        )
    )


def _detail_page(invoice: Charge, status: int = 200, **forms):
    today = today_in_spain()
    as_of = _date_arg("as_of") or today
    demand = _date_arg("demand")
    debtor = invoice_service.debtor_of(invoice)
    claim = late_payment.claim(invoice, debtor, as_of, demand) if debtor is not None else None
    payment_form = forms.get("payment_form") or PaymentForm(
        formdata=None, data={"received_on": today, "amount": str(invoice.outstanding)}
    )
    return render_template(
        "receivables/invoice_detail.html",
        invoice=invoice,
        debtor=debtor,
        today=today,
        days_overdue=_days_overdue(invoice, today),
        warnings=[warning_text(c, p) for c, p in invoice_service.invoice_warnings(invoice)],
        payments=invoice_service.payments_of(invoice.id),
        credit_notes=_credit_notes(invoice.id),
        claim=claim,
        claim_notes=[warning_text(code, {}) for code in (claim.notes if claim else [])],
        as_of=as_of,
        demand=demand,
        status_labels=INVOICE_STATUS_LABELS,
        regime_labels=REGIME_LABELS,
        payment_form=payment_form,
        credit_form=forms.get("credit_form") or CreditNoteForm(formdata=None, prefix="credit"),
        dispute_form=forms.get("dispute_form") or DisputeForm(formdata=None),
        attachment_form=forms.get("attachment_form") or AttachmentForm(formdata=None),
        action_form=ActionForm(formdata=None),
    ), status


@bp.get("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    return _detail_page(invoice_service.get_invoice(invoice_id))


@bp.get("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice = invoice_service.get_invoice(invoice_id)
    if not invoice.attachment_sha256:
        abort(404)
    store = _store()
    if not store.exists(invoice.attachment_sha256):
        abort(404)
    filename = (invoice.attachment_name or f"{invoice.number}.pdf").replace('"', "")
    response = Response(store.get(invoice.attachment_sha256), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _action(invoice_id: int, form_name: str, form: FlaskForm, act, done: str):
    """Validate `form`, run `act()` and go back to the invoice (the request commits); or show
    the page with the error next to the field (422), nothing changed."""
    invoice = invoice_service.get_invoice(invoice_id)  # 404 before anything else
    if form.validate_on_submit():
        try:
            act()
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(done, "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice_id))
    invoice = invoice_service.get_invoice(invoice_id)
    return _detail_page(invoice, 422, **{form_name: form})


@bp.post("/invoices/<int:invoice_id>/payments")
@requires("invoices.write")
def invoice_payment(invoice_id: int):
    form = PaymentForm()

    def act():
        invoice_service.record_invoice_payment(
            invoice_id,
            received_on=form.received_on.data,
            amount=form.amount.data or "",
            method=form.method.data or "transfer",
            reference=form.reference.data or "",
        )

    return _action(invoice_id, "payment_form", form, act, _("The payment has been recorded."))


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@requires("invoices.write")
def invoice_credit_note(invoice_id: int):
    form = CreditNoteForm(prefix="credit")  # its fields do not clash with the payment's

    def act():
        invoice_service.create_credit_note(
            invoice_id,
            number=form.number.data or "",
            issue_date=form.issue_date.data,
            amount=form.amount.data or "",
        )

    return _action(invoice_id, "credit_form", form, act, _("The credit note has been added."))


@bp.post("/invoices/<int:invoice_id>/dispute")
@requires("invoices.write")
def invoice_dispute(invoice_id: int):
    form = DisputeForm()

    def act():
        invoice_service.set_disputed(invoice_id, form.reason.data or "")

    return _action(invoice_id, "dispute_form", form, act, _("The invoice is marked as disputed."))


@bp.post("/invoices/<int:invoice_id>/undispute")
@requires("invoices.write")
def invoice_undispute(invoice_id: int):
    return _action(
        invoice_id,
        "action_form",
        ActionForm(),
        lambda: invoice_service.set_disputed(invoice_id, None),
        _("The dispute is settled."),
    )


@bp.post("/invoices/<int:invoice_id>/write-off")
@requires("invoices.write")
def invoice_write_off(invoice_id: int):
    return _action(
        invoice_id,
        "action_form",
        ActionForm(),
        lambda: invoice_service.write_off(invoice_id),
        _("The invoice has been written off."),
    )


@bp.post("/invoices/<int:invoice_id>/attachment")
@requires("invoices.write")
def invoice_attachment(invoice_id: int):
    form = AttachmentForm()

    def act():
        upload = _upload(form.file)
        if upload is None:
            raise ServiceError("required", "file")
        _attach(invoice_id, upload)

    return _action(invoice_id, "attachment_form", form, act, _("The PDF has been attached."))
