"""Rentals views: bank statements. Upload the CSV the bank exports, review the lease suggested
for each line, and book (or ignore) lines. Nothing is booked until the landlord confirms."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_currency, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import IntegerField
from wtforms.validators import Optional

from tenants.services.errors import ServiceError
from tenants.services.rentals import bank_import
from web.messages import apply_to_form, flash_error, message_for
from web.permissions import requires
from web.rentals import bp

MAX_STATEMENT_MB = 5  # a year of a busy account is well under 1 MB
SHOWN_ROW_ERRORS = 200  # past this, the landlord has the wrong file, not a few typos


class StatementUploadForm(FlaskForm):
    file = FileField(
        _l("Bank statement (CSV)"),
        validators=[
            FileRequired(_l("Choose the CSV file your bank exported.")),
            FileAllowed(
                ["csv", "txt"],
                _l(
                    "Upload the CSV file (.csv or .txt) your bank exports. An Excel file can be "
                    "saved as CSV from the spreadsheet."
                ),
            ),
            FileSize(
                MAX_STATEMENT_MB * 1024 * 1024,
                message=_l("The file is larger than %(mb)s MB.", mb=MAX_STATEMENT_MB),
            ),
        ],
        description=_l(
            "The movements export of your bank, with the columns date (Fecha), amount (Importe) "
            "and concept (Concepto). Nothing is booked until you confirm each payment."
        ),
        render_kw={"accept": ".csv,.txt,text/csv,text/plain"},
    )


class BookLineForm(FlaskForm):
    lease_id = IntegerField(validators=[Optional()])  # empty: the suggested lease


def _statements_page(form: StatementUploadForm, status: int = 200, row_errors=()):
    shown = [
        (e, message_for(ServiceError(e.code, **e.params))) for e in row_errors[:SHOWN_ROW_ERRORS]
    ]
    return render_template(
        "rentals/bank_statements.html",
        form=form,
        statements=bank_import.list_statements(),
        row_errors=shown,
        hidden_errors=max(0, len(row_errors) - SHOWN_ROW_ERRORS),
    ), status


@bp.route("/bank", methods=["GET", "POST"])
@requires("rent_book.write")
def bank():
    form = StatementUploadForm()
    if request.method != "POST":  # GET and HEAD
        return _statements_page(form)
    if not form.validate_on_submit():
        return _statements_page(form, 422)
    upload = form.file.data
    try:
        statement = bank_import.import_statement(upload.filename or "", upload.read())
    except bank_import.StatementInvalid as error:
        apply_to_form(form, error)
        return _statements_page(form, 422, error.errors)
    except ServiceError as error:
        apply_to_form(form, error)
        return _statements_page(form, 422)
    incoming = [line for line in statement.lines if line.amount > 0]
    flash(
        _(
            "%(lines)s incoming payments read: %(exact)s exact and %(fuzzy)s possible matches. "
            "Nothing is booked until you confirm.",
            lines=len(incoming),
            exact=sum(line.match == "exact" for line in incoming),
            fuzzy=sum(line.match == "fuzzy" for line in incoming),
        ),
        "success",
    )
    return redirect(url_for(".bank_statement", statement_id=statement.id))


@bp.get("/bank/<int:statement_id>")
def bank_statement(statement_id: int):
    statement = bank_import.get_statement(statement_id)
    leases = bank_import.bookable_leases()
    return render_template(
        "rentals/bank_statement.html",
        statement=statement,
        leases=leases,
        lease_by_id={lease.id: lease for lease in leases},
        payments=bank_import.payments_of(statement),
    )


def _back_to(statement_id: int, line_id: int | None = None):
    anchor = f"line-{line_id}" if line_id else None
    return redirect(url_for(".bank_statement", statement_id=statement_id, _anchor=anchor))


@bp.post("/bank/lines/<int:line_id>/book")
@requires("rent_book.write")
def bank_book_line(line_id: int):
    statement_id = bank_import.get_line(line_id).statement_id  # another tenant's id: 404
    form = BookLineForm()
    if not form.validate():
        flash(message_for(ServiceError("bank_lease_required")), "danger")
        return _back_to(statement_id, line_id)
    try:
        line = bank_import.book_line(line_id, form.lease_id.data)
    except ServiceError as error:
        flash_error(error)
        return _back_to(statement_id, line_id)
    flash(_("Payment of %(amount)s booked.", amount=format_currency(line.amount, "EUR")), "success")
    return _back_to(statement_id, line_id)


@bp.post("/bank/lines/<int:line_id>/ignore")
@requires("rent_book.write")
def bank_ignore_line(line_id: int):
    statement_id = bank_import.get_line(line_id).statement_id
    try:
        bank_import.ignore_line(line_id)
    except ServiceError as error:
        flash_error(error)
    else:
        flash(_("The line is ignored: it will not be booked."), "success")
    return _back_to(statement_id, line_id)


@bp.post("/bank/<int:statement_id>/book-exact")
@requires("rent_book.write")
def bank_book_exact(statement_id: int):
    try:
        booked = bank_import.book_all_exact(statement_id)
    except ServiceError as error:
        flash_error(error)
        return _back_to(statement_id)
    flash(
        ngettext("%(num)d payment booked.", "%(num)d payments booked.", booked)
        if booked
        else _("There are no exact matches left to book."),
        "success" if booked else "info",
    )
    return _back_to(statement_id)
