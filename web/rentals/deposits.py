"""Rentals views: the deposit (fianza) panel of the lease page and its actions (LAU art. 36):
lodgement with the regional body, deductions, the keys, the settlement and the return."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length

from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables import payments
from tenants.services.rentals import deposits, leases
from web.fields import DayField, MoneyField
from web.labels import DEDUCTION_KIND_LABELS, REGION_LABELS, choices
from web.messages import flash_error
from web.permissions import requires
from web.rentals import bp
from web.rentals.leases import REQUIRED, act_on_lease, lease_section, warning_messages


class LodgementForm(FlaskForm):
    region = SelectField(
        _l("Region"),
        choices=[SelectChoice("", _l("Choose the region")), *choices(REGION_LABELS)],
    )
    reference = StringField(_l("Lodgement reference"), validators=[REQUIRED, Length(max=60)])
    lodged_on = DayField(_l("Lodged on"), validators=[REQUIRED])


class DeductionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices(DEDUCTION_KIND_LABELS, ("damages", "other")))
    description = StringField(_l("Description"), validators=[REQUIRED, Length(max=200)])
    amount = MoneyField(_l("Amount (EUR)"), validators=[REQUIRED])


class KeysForm(FlaskForm):
    keys_returned_on = DayField(_l("Keys returned on"), validators=[REQUIRED])


class ReturnForm(FlaskForm):
    returned_on = DayField(_l("Returned on"), validators=[REQUIRED])
    returned_amount = MoneyField(
        _l("Amount returned (EUR)"),
        validators=[REQUIRED],
        description=_l("The balance, plus the interest if it is returned late."),
    )


FORMS = {
    "lodgement_form": (LodgementForm, "lodgement"),
    "deduction_form": (DeductionForm, "deduction"),
    "keys_form": (KeysForm, "keys"),
    "return_form": (ReturnForm, "return"),
}


@lease_section
def deposit_panel(lease, today: date, forms: dict) -> dict:
    """The deposit section of the lease page: held vs legal, lodgement, deductions, settlement."""
    deposit = leases.deposit_of(lease.id)
    if deposit is None:
        return {"deposit": None}
    context = {
        name: forms.get(name) or form_class(formdata=None, prefix=prefix)
        for name, (form_class, prefix) in FORMS.items()
    }
    settlement = deposits.settlement(deposit, today)
    if context["lodgement_form"].region.data is None and deposit.region:
        context["lodgement_form"].region.data = deposit.region
    if context["return_form"].returned_amount.data is None:
        owed = settlement.to_return + (settlement.interest.total if settlement.interest else 0)
        context["return_form"].returned_amount.data = f"{owed:.2f}"
    context["return_form"].returned_on.data = context["return_form"].returned_on.data or today
    return {
        **context,
        "deposit": deposit,
        "deposit_warnings": warning_messages(deposits.deposit_warnings(lease, deposit)),
        # Why a guarantee above two months of rent is not questioned (LAU art. 36.5).
        "guarantee_note": warning_messages(filter(None, [deposits.guarantee_note(lease, deposit)])),
        "lodgement_body": deposits.LODGEMENT_BODIES[deposit.region][0] if deposit.region else "",
        "lodgement_deadline": deposits.lodgement_deadline(lease, deposit),
        "settlement": settlement,
        # Rent the deposit did not cover: still claimable from the renters and guarantors.
        "rent_still_owed": max(payments.balance_on(lease.id, date.max), Decimal("0")),
        "deduction_labels": DEDUCTION_KIND_LABELS,
    }


def _deposit(lease_id: int):
    """The lease (404 if it is not this workspace's) and its deposit."""
    lease = leases.get_lease(lease_id)
    deposit = leases.deposit_of(lease.id)
    if deposit is None:
        raise NotFound(lease_id)
    return lease, deposit


def _act(lease, form_name: str, action, done: str):
    form_class, prefix = FORMS[form_name]
    return act_on_lease(lease, form_name, form_class(prefix=prefix), action, done, "deposit")


def _back(lease) -> str:
    return url_for(".lease_detail", lease_id=lease.id, _anchor="deposit")


@bp.post("/leases/<int:lease_id>/deposit/lodgement")
@requires("rent_book.write")
def deposit_lodgement(lease_id: int):
    lease, deposit = _deposit(lease_id)
    return _act(
        lease,
        "lodgement_form",
        lambda form: deposits.record_lodgement(
            deposit.id,
            region=form.region.data,
            reference=form.reference.data,
            lodged_on=form.lodged_on.data,
        ),
        _("The lodgement of the deposit has been recorded."),
    )


@bp.post("/leases/<int:lease_id>/deposit/deductions")
@requires("rent_book.write")
def deposit_deduction(lease_id: int):
    lease, deposit = _deposit(lease_id)
    return _act(
        lease,
        "deduction_form",
        lambda form: deposits.add_deduction(
            deposit.id,
            kind=form.kind.data,
            description=form.description.data,
            amount=form.amount.data,
        ),
        _("The deduction has been added."),
    )


@bp.post("/leases/<int:lease_id>/deposit/unpaid-rent")
@requires("rent_book.write")
def deposit_take_unpaid_rent(lease_id: int):
    lease, deposit = _deposit(lease_id)
    try:
        deduction = deposits.take_unpaid_rent(deposit.id, lease)
    except ServiceError as error:
        flash_error(error)
        return redirect(_back(lease))
    if deduction is None:
        flash(_("There is no unpaid rent to take from the deposit."), "info")
    else:
        flash(_("The unpaid rent has been taken from the deposit."), "success")
    return redirect(_back(lease))


@bp.post("/leases/<int:lease_id>/deposit/keys")
@requires("rent_book.write")
def deposit_keys(lease_id: int):
    lease, deposit = _deposit(lease_id)
    return _act(
        lease,
        "keys_form",
        lambda form: deposits.record_keys_returned(
            deposit.id, keys_returned_on=form.keys_returned_on.data
        ),
        _("The day the keys came back has been recorded."),
    )


@bp.post("/leases/<int:lease_id>/deposit/return")
@requires("rent_book.write")
def deposit_return(lease_id: int):
    lease, deposit = _deposit(lease_id)
    return _act(
        lease,
        "return_form",
        lambda form: deposits.settle(
            deposit.id,
            returned_on=form.returned_on.data,
            returned_amount=form.returned_amount.data,
        ),
        _("The return of the deposit has been recorded."),
    )
