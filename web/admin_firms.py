"""/admin/firms, the partner law firms (issue 14.1): the platform admin lists them with their
load and whether they accepted the data-processing agreement, adds a firm with its first
partner, edits its coverage, capacity, minimum and fee terms, and takes it out of the
directory or puts it back. Platform admins only (web/admin.py answers 404 to anyone else)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import Email, Length, Optional

from tenants.models.escalations import CASE_TYPES, LawFirm
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import firms
from tenants.services.rentals.properties import PROVINCES
from tenants.services.values import Percent, column_max
from web.admin import REQUIRED, EmptyForm, bp
from web.fields import MoneyField
from web.labels import ESCALATION_CASE_TYPE_LABELS
from web.messages import apply_to_form, flash_error

PROVINCES_MAX_LENGTH = 2000  # every province, comma-separated, fits


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        pass  # an unknown value is the service's to name (firm_case_type_unknown)


class FirmForm(FlaskForm):
    name = StringField(_l("Name of the firm"), validators=[REQUIRED, Length(max=120)])
    provinces = StringField(
        _l("Provinces"),
        validators=[REQUIRED, Length(max=PROVINCES_MAX_LENGTH)],
        description=_l("Separated by commas, for example: Madrid, Toledo, Guadalajara."),
    )
    case_types = CheckboxesField(
        _l("Types of case"),
        choices=[SelectChoice(kind, ESCALATION_CASE_TYPE_LABELS[kind]) for kind in CASE_TYPES],
    )
    # Text, read by the service: its message says what a capacity is, in the user's language.
    capacity = StringField(
        _l("Capacity"),
        default="20",
        validators=[REQUIRED, Length(max=6)],
        description=_l("How many open escalations the firm takes at once."),
    )
    # Signed: a minus passes the field so the service names it ("cannot be negative").
    min_amount = MoneyField(
        _l("Smallest claim taken (€)"), signed=True, default="0", validators=[Optional()]
    )
    flat_fee = MoneyField(
        _l("Flat fee per case (€, VAT excluded)"), signed=True, validators=[Optional()]
    )
    success_percent = MoneyField(
        _l("Success fee (percentage of what is recovered)"),
        signed=True,
        maximum=Percent(column_max(LawFirm.success_percent)),
        validators=[Optional()],
        description=_l("A flat fee, a percentage, or both."),
    )


class NewFirmForm(FirmForm):
    partner_email = StringField(
        _l("Email of the first partner"),
        validators=[
            REQUIRED,
            Length(max=254),
            Email(message=_l("This is not a valid email address.")),
        ],
        description=_l(
            "Someone with an account joins the firm at once; anyone else is invited by email."
        ),
    )
    partner_name = StringField(_l("Name of the first partner"), validators=[Length(max=120)])


def _terms(form: FirmForm) -> dict:
    return {
        "provinces": form.provinces.data,
        "case_types": form.case_types.data,
        "capacity": form.capacity.data,
        "min_amount": form.min_amount.data,
        "flat_fee": form.flat_fee.data,
        "success_percent": form.success_percent.data,
    }


def _form_page(form: FirmForm, *, row=None, status: int = 200):
    return render_template(
        "admin/firm_form.html",
        form=form,
        row=row,
        provinces=PROVINCES,
        toggle_form=EmptyForm(formdata=None),
    ), status


@bp.get("/firms")
def firm_list():
    return render_template(
        "admin/firms.html",
        rows=firms.list_firms(),
        case_type_labels=ESCALATION_CASE_TYPE_LABELS,
        toggle_form=EmptyForm(formdata=None),
    )


@bp.route("/firms/new", methods=["GET", "POST"])
def firm_new():
    form = NewFirmForm()
    if not form.is_submitted():
        form.case_types.data = list(CASE_TYPES)
    if not form.validate_on_submit():
        return _form_page(form, status=422 if form.is_submitted() else 200)
    try:
        workspace = firms.create_firm(
            form.name.data,
            partner_email=form.partner_email.data,
            partner_name=form.partner_name.data,
            actor=current_user.user,
            **_terms(form),
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return _form_page(form, status=422)
    flash(_("The firm %(name)s is in the directory.", name=workspace.name), "success")
    return redirect(url_for("admin.firm_list"))


def _row(workspace_id: int):
    row = next((r for r in firms.list_firms() if r.workspace.id == workspace_id), None)
    if row is None:
        abort(404)
    return row


@bp.route("/firms/<int:workspace_id>", methods=["GET", "POST"])
def firm_edit(workspace_id: int):
    row = _row(workspace_id)
    form = FirmForm()
    if not form.is_submitted():
        form = FirmForm(
            formdata=None,
            name=row.workspace.name,
            provinces=", ".join(row.firm.provinces or []),
            case_types=list(row.firm.case_types or []),
            capacity=str(row.firm.capacity),
            min_amount=_typed(row.firm.min_amount),
            flat_fee=_typed(row.firm.flat_fee),
            success_percent=_typed(row.firm.success_percent),
        )
        return _form_page(form, row=row)
    if not form.validate():
        return _form_page(form, row=row, status=422)
    try:
        firms.update_firm(
            workspace_id, name=form.name.data, actor=current_user.user, **_terms(form)
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return _form_page(form, row=row, status=422)
    flash(_("The firm's terms are saved."), "success")
    return redirect(url_for("admin.firm_list"))


def _typed(value) -> str:
    """An amount as the form shows it to be typed again: "1234,50" (empty for none)."""
    return "" if value is None else f"{value:f}".replace(".", ",")


@bp.post("/firms/<int:workspace_id>/active")
def firm_toggle(workspace_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        _workspace, firm = firms.get_firm(workspace_id)
        firms.set_active(workspace_id, not firm.active, actor=current_user.user)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("admin.firm_list"))
    if firm.active:
        flash(_("The firm is back in the directory: it receives cases again."), "success")
    else:
        flash(_("The firm is out of the directory: it receives no new cases."), "success")
    return redirect(url_for("admin.firm_list"))
