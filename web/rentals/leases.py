"""Rentals views: leases, their charges, payments and ledger, and the yearly rent updates.

The lease page gathers everything about one lease; other areas add sections to it (the deposit
panel, web/rentals/deposits.py) through `lease_section`, so this module imports none of them.
Its letters (rent update notices, deposit settlements, statements of account) are listed with
the words the collections pages use for them (web/collections/cases.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, Optional

from tenants.clock import today_in_spain
from tenants.models import Lease
from tenants.services.collections import letters as letter_service
from tenants.services.errors import ServiceError
from tenants.services.receivables import payments
from tenants.services.rentals import charges, deposits, leases, rent_updates
from tenants.services.rentals.parties import list_parties
from tenants.services.rentals.properties import list_units
from tenants.services.values import Percent, column_max
from web.fields import DayField, MoneyField
from web.labels import (
    CHANNEL_LABELS,
    CHARGE_STATUS_LABELS,
    GUARANTEE_KIND_LABELS,
    INDEX_LABELS,
    LEASE_STATUS_LABELS,
    LEASE_USE_LABELS,
    LETTER_KIND_LABELS,
    LETTER_STATUS_LABELS,
    LINE_KIND_LABELS,
    PAYMENT_METHOD_LABELS,
    REGION_LABELS,
    UPDATE_CLAUSE_LABELS,
    choices,
)
from web.messages import apply_to_form, flash_error, warning_text
from web.permissions import requires
from web.rentals import bp

REQUIRED = InputRequired(message=_l("This field is required."))
MAX_PARTIES_OFFERED = 5000  # a landlord with 300 units has a few hundred people at most
EXTRA_ROWS = 3


def today() -> date:
    """Rent periods and deadlines follow the Spanish calendar."""
    return today_in_spain()


def eur(amount) -> str:
    return format_currency(amount, "EUR")


def pct(value) -> str:
    return format_decimal(value, format="0.00##")


def warning_messages(warnings: list[tuple[str, dict]]) -> list[str]:
    """The warnings' text, amounts written the way the reader writes them (web/messages.py)."""
    return [warning_text(code, params) for code, params in warnings]


# --- forms ------------------------------------------------------------------------------------


class ExtraForm(Form):
    """One recurring amount billed with the rent."""

    kind = SelectField(
        _l("Kind"), choices=choices(LINE_KIND_LABELS, leases.EXTRA_KINDS), default="community"
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=120)])
    amount = MoneyField(_l("Amount (EUR)"))


class LeaseForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[REQUIRED])
    renter_ids = SelectMultipleField(
        _l("Renters"),
        coerce=int,
        description=_l("Hold Ctrl (⌘ on a Mac) to choose more than one."),
    )
    guarantor_ids = SelectMultipleField(_l("Guarantors"), coerce=int)
    start_date = DayField(_l("Start"), validators=[REQUIRED])
    end_date = DayField(
        _l("End"), validators=[Optional()], description=_l("Leave it empty for an open term.")
    )
    signed_on = DayField(
        _l("Signed on"),
        validators=[Optional()],
        description=_l("Housing leases signed from 25 May 2023 are updated by the IRAV index."),
    )
    billed_from = DayField(
        _l("Charge rent from"),
        validators=[Optional()],
        description=_l(
            "For a lease that is already running: the first day Amparo charges rent. Empty: "
            "from the start."
        ),
    )
    reference = StringField(_l("Reference (optional)"), validators=[Length(max=40)])
    use = SelectField(
        _l("Use"),
        choices=[SelectChoice("", _l("The unit's use")), *choices(LEASE_USE_LABELS)],
        validators=[Optional()],
    )
    rent = MoneyField(_l("Monthly rent (EUR)"), validators=[REQUIRED], maximum=leases.MAX_RENT)
    due_day = IntegerField(
        _l("Due day"),
        default=1,
        validators=[REQUIRED],
        render_kw={"min": 1, "max": 31},
        description=_l(
            "The day of the month the rent is due, 1 to 31. 31 means the last day of every "
            "month (30 April, 28 or 29 February)."
        ),
    )
    payment_method = SelectField(
        _l("Payment method"), choices=choices(PAYMENT_METHOD_LABELS, leases.PAYMENT_METHODS)
    )
    iban = StringField(
        _l("IBAN"),
        validators=[Length(max=42)],
        description=_l("Required for a transfer or a direct debit: the account the rent goes to."),
    )
    update_clause = SelectField(_l("Yearly rent update"), choices=choices(UPDATE_CLAUSE_LABELS))
    update_fixed_pct = MoneyField(
        _l("Fixed update (%)"),
        maximum=Percent(column_max(Lease.update_fixed_pct)),
        description=_l("Only for a fixed percentage, for example 2,5."),
    )
    extras = FieldList(FormField(ExtraForm), min_entries=EXTRA_ROWS, max_entries=EXTRA_ROWS)
    deposit_amount = MoneyField(
        _l("Deposit (fianza, EUR)"),
        description=_l(
            "Prefilled with the legal amount: 1 month of rent for housing, 2 months for other "
            "uses (LAU art. 36.1). You may change it; left empty, the legal amount is held."
        ),
    )
    guarantee_kind = SelectField(_l("Additional guarantee"), choices=choices(GUARANTEE_KIND_LABELS))
    guarantee_amount = MoneyField(
        _l("Additional guarantee (EUR)"),
        description=_l("For housing, at most 2 months of rent (LAU art. 36.5)."),
    )
    deposit_region = SelectField(
        _l("Where the deposit is lodged"),
        choices=[SelectChoice("", _l("Not decided yet")), *choices(REGION_LABELS)],
        validators=[Optional()],
    )


class PaymentForm(FlaskForm):
    received_on = DayField(_l("Date received"), validators=[REQUIRED])
    amount = MoneyField(
        _l("Amount (EUR)"),
        validators=[REQUIRED],
        description=_l("For example 850 or 850,50."),
    )
    method = SelectField(_l("Method"), choices=choices(PAYMENT_METHOD_LABELS))
    reference = StringField(_l("Reference"), validators=[Length(max=140)])


class OtherChargeForm(FlaskForm):
    description = StringField(_l("What for"), validators=[REQUIRED, Length(max=200)])
    amount = MoneyField(_l("Amount (EUR)"), validators=[REQUIRED])
    due_date = DayField(_l("Due on"), validators=[REQUIRED])


class EndLeaseForm(FlaskForm):
    ended_on = DayField(_l("Ended on"), validators=[REQUIRED])
    keys_returned_on = DayField(
        _l("Keys returned on"),
        validators=[Optional()],
        description=_l("Leave it empty if the keys have not come back yet."),
    )


class StatementForm(FlaskForm):
    """The button that sends the renters a statement of account (no fields: today's)."""


class BalanceForm(FlaskForm):
    class Meta:
        csrf = False  # a GET query: ?on=YYYY-MM-DD

    on = DayField(_l("Balance on"), validators=[REQUIRED])


# --- leases -----------------------------------------------------------------------------------


@bp.get("/leases")
def lease_list():
    status = request.args.get("status", "")
    if status not in LEASE_STATUS_LABELS:
        status = ""
    found = leases.list_leases(status or None)
    return render_template(
        "rentals/lease_list.html",
        leases=found,
        balances=payments.balances_on([lease.id for lease in found], today()),
        status=status,
        STATUS_LABELS=LEASE_STATUS_LABELS,
        eur=eur,
    )


def _lease_form() -> LeaseForm:
    form = LeaseForm()
    form.unit_id.choices = [
        SelectChoice(
            unit.id,
            unit.choice_label,
            render_kw={"data-use": unit.use},
            optgroup=unit.property.name,
        )
        for unit in list_units()
    ]
    people = [SelectChoice(p.id, p.name) for p in list_parties(limit=MAX_PARTIES_OFFERED)]
    form.renter_ids.choices = people
    form.guarantor_ids.choices = list(people)
    return form


def _lease_form_page(form: LeaseForm, status: int = 200):
    if not form.deposit_amount.data:
        form.deposit_amount.data = _legal_deposit_hint(form)
    return render_template("rentals/lease_new.html", form=form), status


def _legal_deposit_hint(form: LeaseForm) -> str | None:
    """The legal deposit for what the form says so far, to prefill the field."""
    units = {choice.value: choice.render_kw["data-use"] for choice in form.unit_id.choices}
    use = form.use.data or units.get(form.unit_id.data)
    try:
        rent = payments.parse_amount(form.rent.data)
    except ServiceError:
        return None
    if use is None:
        return None
    return format_decimal(deposits.legal_amount(rent, use), format="0.00")


def _lease_input(form: LeaseForm) -> leases.LeaseInput:
    extras = []
    for entry in form.extras:
        row = entry.form
        if not (row.amount.data or "").strip() and not (row.description.data or "").strip():
            continue
        try:
            amount = payments.parse_amount(row.amount.data)
        except ServiceError as error:
            error.field = entry.name  # the row: its amount shows the message
            raise
        extras.append((row.kind.data, row.description.data, amount))
    return leases.LeaseInput(
        unit_id=form.unit_id.data,
        renter_ids=form.renter_ids.data or [],
        guarantor_ids=form.guarantor_ids.data or [],
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        signed_on=form.signed_on.data,
        billed_from=form.billed_from.data,
        reference=form.reference.data,
        use=form.use.data or None,
        rent=form.rent.data,
        due_day=form.due_day.data,
        payment_method=form.payment_method.data,
        iban=form.iban.data,
        update_clause=form.update_clause.data,
        update_fixed_pct=form.update_fixed_pct.data,
        extras=extras,
        deposit_amount=(form.deposit_amount.data or "").strip() or None,
        guarantee_kind=form.guarantee_kind.data,
        guarantee_amount=form.guarantee_amount.data,
        deposit_region=form.deposit_region.data or None,
    )


def _apply_lease_error(form: LeaseForm, error: ServiceError) -> None:
    """Like apply_to_form, but an extra charge's error goes next to that row's amount."""
    for entry in form.extras:
        if error.field == entry.name:
            apply_to_form(entry.form, ServiceError(error.code, "amount", **error.params))
            return
    apply_to_form(form, error)


@bp.route("/leases/new", methods=["GET", "POST"])
@requires("rent_book.write")
def lease_new():
    form = _lease_form()
    if request.method != "POST":  # GET or HEAD
        unit_id = request.args.get("unit_id", type=int)
        if unit_id in {choice.value for choice in form.unit_id.choices}:
            form.unit_id.data = unit_id
        return _lease_form_page(form)
    if not form.validate_on_submit():
        return _lease_form_page(form, 422)
    try:
        lease = leases.create_lease(_lease_input(form))
    except ServiceError as error:
        _apply_lease_error(form, error)
        return _lease_form_page(form, 422)
    flash(_("The lease has been saved."), "success")
    return redirect(url_for(".lease_detail", lease_id=lease.id))


# --- the lease page ---------------------------------------------------------------------------

# Builders of extra sections of the lease page: f(lease, today, forms) -> template context.
_sections: list[Callable[[object, date, dict], dict]] = []


def lease_section(builder):
    """Register a section of the lease page (its template is included by lease_detail.html)."""
    _sections.append(builder)
    return builder


def render_lease(lease, status: int = 200, **forms):
    """The lease page; `forms` replaces blank forms by submitted ones showing their errors."""
    on_day = today()
    payment_form = forms.get("payment_form") or PaymentForm(formdata=None, prefix="payment")
    if payment_form.received_on.data is None:
        payment_form.received_on.data = on_day
    balance_form = BalanceForm(request.args if "on" in request.args else None)
    balance_date = None
    if "on" in request.args:
        if balance_form.validate():
            balance_date = balance_form.on.data
        else:
            status = 422
    deposit_codes = {code for code, _params in _deposit_warnings(lease)}
    context = {
        "lease": lease,
        "lease_open": lease.status in leases.OPEN_STATUSES,
        "warnings": warning_messages(
            [w for w in leases.lease_warnings(lease) if w[0] not in deposit_codes]
        ),
        "charges": charges.charges_of_lease(lease.id),
        "ledger": payments.ledger(lease.id, until=balance_date),
        "balance_today": payments.balance_on(lease.id, on_day),
        "credit": payments.credit(lease.id),
        "balance_form": balance_form,
        "balance_date": balance_date,
        "balance_on_date": (
            payments.balance_on(lease.id, balance_date) if balance_date is not None else None
        ),
        "payment_form": payment_form,
        "end_form": forms.get("end_form") or EndLeaseForm(formdata=None, prefix="end"),
        "charge_form": forms.get("charge_form") or OtherChargeForm(formdata=None, prefix="charge"),
        "letters": letter_service.letters_of_lease(lease.id),
        "statement_form": forms.get("statement_form")
        or StatementForm(formdata=None, prefix="statement"),
        "today": on_day,
        "eur": eur,
        "pct": pct,
        "labels": LABELS,
    }
    for build in _sections:
        context.update(build(lease, on_day, forms))
    return render_template("rentals/lease_detail.html", **context), status


def _deposit_warnings(lease) -> list[tuple[str, dict]]:
    deposit = leases.deposit_of(lease.id)
    return deposits.deposit_warnings(lease, deposit) if deposit is not None else []


LABELS = {
    "status": LEASE_STATUS_LABELS,
    "use": LEASE_USE_LABELS,
    "payment_method": PAYMENT_METHOD_LABELS,
    "update_clause": UPDATE_CLAUSE_LABELS,
    "line_kind": LINE_KIND_LABELS,
    "charge_status": CHARGE_STATUS_LABELS,
    "guarantee_kind": GUARANTEE_KIND_LABELS,
    "region": REGION_LABELS,
    "index": INDEX_LABELS,
    "letter_kind": LETTER_KIND_LABELS,
    "letter_status": LETTER_STATUS_LABELS,
    "channel": CHANNEL_LABELS,
}


@bp.get("/leases/<int:lease_id>")
def lease_detail(lease_id: int):
    return render_lease(leases.get_lease(lease_id))


def act_on_lease(lease, form_name: str, form, action, done: str, anchor: str | None = None):
    """A form posted from the lease page: validate it, run the service action and go back to the
    lease (the request commits); or show the page again with the errors next to the fields (422),
    nothing changed."""
    if not form.validate_on_submit():
        return render_lease(lease, 422, **{form_name: form})
    try:
        action(form)
    except ServiceError as error:
        apply_to_form(form, error)
        return render_lease(lease, 422, **{form_name: form})
    flash(done, "success")
    return redirect(url_for(".lease_detail", lease_id=lease.id, _anchor=anchor))


@bp.post("/leases/<int:lease_id>/payments")
@requires("rent_book.write")
def lease_record_payment(lease_id: int):
    lease = leases.get_lease(lease_id)
    return act_on_lease(
        lease,
        "payment_form",
        PaymentForm(prefix="payment"),
        lambda form: payments.record_payment(
            lease_id=lease.id,
            received_on=form.received_on.data,
            amount=form.amount.data,
            method=form.method.data,
            reference=form.reference.data,
        ),
        _("The payment has been recorded."),
    )


@bp.post("/leases/<int:lease_id>/charges")
@requires("rent_book.write")
def lease_generate_charges(lease_id: int):
    """What the daily job does, now: useful right after adding a lease."""
    lease = leases.get_lease(lease_id)
    created = charges.catch_up_rent_charges(today())
    payments.apply_credits()
    if created:
        flash(_("%(n)s new charges up to today.", n=created), "success")
    else:
        flash(_("The charges were already up to date."), "info")
    return redirect(url_for(".lease_detail", lease_id=lease.id))


@bp.post("/leases/<int:lease_id>/charges/other")
@requires("rent_book.write")
def lease_add_charge(lease_id: int):
    lease = leases.get_lease(lease_id)
    return act_on_lease(
        lease,
        "charge_form",
        OtherChargeForm(prefix="charge"),
        lambda form: charges.add_other_charge(
            lease.id,
            description=form.description.data,
            amount=form.amount.data,
            due_date=form.due_date.data,
        ),
        _("The charge has been added."),
    )


@bp.post("/leases/<int:lease_id>/end")
@requires("rent_book.write")
def lease_end(lease_id: int):
    lease = leases.get_lease(lease_id)
    return act_on_lease(
        lease,
        "end_form",
        EndLeaseForm(prefix="end"),
        lambda form: leases.end_lease(
            lease.id, ended_on=form.ended_on.data, keys_returned_on=form.keys_returned_on.data
        ),
        _("The lease has ended."),
    )


@bp.post("/leases/<int:lease_id>/statement")
@requires("rent_book.write")
def lease_send_statement(lease_id: int):
    """A statement of account to each renter, by the letters' usual way (at most one a day)."""
    lease = leases.get_lease(lease_id)
    return act_on_lease(
        lease,
        "statement_form",
        StatementForm(prefix="statement"),
        lambda _form: letter_service.send_statement(lease.id, today()),
        _("The statement of account is being prepared; it goes to the renters in a few minutes."),
        anchor="letters",
    )


# --- rent updates -----------------------------------------------------------------------------


@bp.get("/rent-updates")
def rent_updates_list():
    pending = rent_updates.pending_updates()
    return render_template(
        "rentals/lease_rent_updates.html",
        updates=[(update, leases.get_lease(update.lease_id)) for update in pending],
        eur=eur,
        pct=pct,
        labels=LABELS,
    )


def _decide(update_id: int, confirm: bool):
    try:
        update = rent_updates.decide_update(update_id, confirm=confirm)
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for(".rent_updates_list"))
    if confirm:
        flash(_("The new rent of %(rent)s applies.", rent=eur(update.new_rent)), "success")
    else:
        flash(_("The rent update has been dismissed."), "success")
    return redirect(url_for(".rent_updates_list"))


@bp.post("/rent-updates/<int:update_id>/confirm")
@requires("rent_book.write")
def rent_update_confirm(update_id: int):
    return _decide(update_id, confirm=True)


@bp.post("/rent-updates/<int:update_id>/dismiss")
@requires("rent_book.write")
def rent_update_dismiss(update_id: int):
    return _decide(update_id, confirm=False)


@bp.app_context_processor
def _rent_book_navigation():
    """For the navigation bar: whether rent updates wait for the landlord's decision."""

    def pending_rent_update_count() -> int:
        if getattr(g, "workspace", None) is None:
            return 0
        return len(rent_updates.pending_updates())

    return {"pending_rent_update_count": pending_rent_update_count}
