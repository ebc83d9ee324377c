"""Platform administration: the reference data every workspace shares (IPC/IRAV values, and
the interest rates in web/admin_rates.py).

Only platform admins (`flask admin create`) get in; anyone else gets a 404, as if the page did
not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from tenants.models import RentIndexValue
from tenants.services import rates as rate_service
from tenants.services.errors import ServiceError
from tenants.services.values import Percent, column_max
from web.fields import DayField, MoneyField
from web.messages import apply_to_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
REQUIRED = InputRequired(message=_l("This field is required."))


class EmptyForm(FlaskForm):
    """The CSRF token of a button-only form (mark verified, activate a firm): CSRFProtect checks
    it on every POST."""


class IndexValueForm(FlaskForm):
    index = SelectField(
        _l("Index"),
        choices=[SelectChoice("irav", "IRAV"), SelectChoice("ipc", "IPC")],
        validators=[REQUIRED],
    )
    month = DayField(
        _l("Month"),
        validators=[REQUIRED],
        description=_l("Any day of the month the value refers to."),
    )
    value = MoneyField(
        _l("Annual variation (%)"),
        signed=True,
        maximum=Percent(column_max(RentIndexValue.value)),
        validators=[REQUIRED],
        description=_l("As INE publishes it, e.g. 2,19 or -0,3."),
    )
    source = StringField(_l("Source"), default="INE", validators=[Length(max=200)])


@bp.before_request
def _platform_admins_only():
    if not (current_user.is_authenticated and current_user.is_platform_admin):
        abort(404)


@bp.route("/rates", methods=["GET", "POST"])
def rates():
    form = IndexValueForm()
    status = 200
    if form.validate_on_submit():
        try:
            rate_service.save_index_value(
                form.index.data,
                form.month.data,
                form.value.data,
                (form.source.data or "INE").strip()[:200],
            )
        except ServiceError as error:
            apply_to_form(form, error)
            status = 422
        else:
            flash(_("The value has been saved."), "success")
            return redirect(url_for("admin.rates"))
    elif form.errors:
        status = 422
    return render_template(
        "admin/rates.html",
        form=form,
        values=rate_service.list_index_values(),
        **admin_rates.interest_context(),
    ), status


from web import admin_firms, admin_rates  # noqa: E402, F401 - their routes join this blueprint
