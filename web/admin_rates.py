"""/admin/rates, the interest rates: the platform admin corrects or adds a legal-interest or
Ley 3/2004 rate with its BOE reference, and marks rates and index values verified (who and
when are recorded). Unverified ones are listed first (docs/law.md#rates-as-data)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from tenants.models import InterestRate
from tenants.services import rates as rate_service
from tenants.services.errors import NotFound, ServiceError
from web.admin import REQUIRED, EmptyForm, IndexValueForm, bp
from web.fields import DayField
from web.messages import apply_to_form, flash_error
from web.rate_labels import INDEX_LABELS, RATE_KIND_LABELS, percent, rate_period


class InterestRateForm(FlaskForm):
    """Shown with the prefix "rate-" beside the index form; CSRFProtect checks the page's token."""

    class Meta:
        csrf = False

    rate_id = HiddenField()
    kind = SelectField(
        _l("Rate"),
        choices=[SelectChoice(k, v) for k, v in RATE_KIND_LABELS.items()],
        validators=[REQUIRED],
    )
    valid_from = DayField(_l("From"), validators=[REQUIRED])
    valid_to = DayField(_l("To (inclusive)"), validators=[REQUIRED])
    rate = StringField(
        _l("Rate (% per year)"),
        validators=[REQUIRED, Length(max=12)],
        description=_l("As the BOE publishes it, e.g. 10,15."),
    )
    boe_reference = StringField(
        _l("BOE reference"),
        validators=[Length(max=40)],
        description=_l(
            "The identifier of the resolution or law that publishes it, e.g. BOE-A-2025-13217."
        ),
    )
    source = StringField(_l("Source"), validators=[Length(max=200)])


def page(*, rate_form=None, index_form=None, status: int = 200):
    return render_template(
        "admin/rates.html",
        form=index_form or IndexValueForm(formdata=None),
        values=rate_service.list_index_values(),
        **interest_context(rate_form),
    ), status


def interest_context(rate_form=None) -> dict:
    """What /admin/rates shows of the interest rates (web/admin.py renders the page too)."""
    if rate_form is None:
        rate_form = InterestRateForm(formdata=None, prefix="rate")
        _prefill(rate_form, request.args.get("edit", type=int))
    return {
        "rate_form": rate_form,
        "interest_rates": rate_service.list_interest_rates(),
        "verify_form": EmptyForm(formdata=None),
        "rate_kind_labels": RATE_KIND_LABELS,
        "index_labels": INDEX_LABELS,
        "rate_period": rate_period,
        "percent": percent,
    }


def _prefill(form: InterestRateForm, rate_id: int | None) -> None:
    from tenants import db

    row = db.session.get(InterestRate, rate_id) if rate_id else None
    if row is None:
        return
    form.rate_id.data = str(row.id)
    form.kind.data = row.kind
    form.valid_from.data, form.valid_to.data = row.valid_from, row.valid_to
    form.rate.data = percent(row.rate).replace("\u00a0%", "")
    form.boe_reference.data = row.boe_reference
    form.source.data = row.source


@bp.post("/rates/interest")
def interest_rate_save():
    form = InterestRateForm(prefix="rate")
    if not form.validate_on_submit():
        return page(rate_form=form, status=422)
    rate_id = None
    if form.rate_id.data:
        try:
            rate_id = int(form.rate_id.data)
        except ValueError:
            rate_id = None
    try:
        rate_service.save_interest_rate(
            kind=form.kind.data,
            valid_from=form.valid_from.data,
            valid_to=form.valid_to.data,
            rate=form.rate.data,
            boe_reference=form.boe_reference.data,
            source=form.source.data,
            rate_id=rate_id,
        )
    except NotFound:
        abort(404)
    except ServiceError as error:
        apply_to_form(form, error)
        return page(rate_form=form, status=422)
    flash(_("The rate has been saved. Check it against the BOE, then mark it verified."), "success")
    return redirect(url_for("admin.rates"))


@bp.post("/rates/interest/<int:rate_id>/verify")
def interest_rate_verify(rate_id: int):
    try:
        rate_service.verify_interest_rate(rate_id, current_user)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("admin.rates", edit=rate_id))
    flash(_("The rate is marked verified."), "success")
    return redirect(url_for("admin.rates"))


@bp.post("/rates/index/<int:value_id>/verify")
def index_value_verify(value_id: int):
    try:
        rate_service.verify_index_value(value_id, current_user)
    except NotFound:
        abort(404)
    flash(_("The value is marked verified."), "success")
    return redirect(url_for("admin.rates"))
