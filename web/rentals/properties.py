"""Rentals views: properties and their units, and whether each unit is let today."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from tenants.clock import today_in_spain
from tenants.services.errors import ServiceError
from tenants.services.rentals import properties as property_service
from web.labels import UNIT_USE_LABELS, choices
from web.messages import apply_to_form
from web.permissions import requires
from web.rentals import bp
from web.text_input import OneLine
from web.workspaces.forms import REQUIRED


class PropertyForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[REQUIRED, Length(max=120), OneLine()],
        description=_l("How you call it, e.g. “Calle Mayor 12”."),
    )
    street = StringField(_l("Street and number"), validators=[REQUIRED, Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[REQUIRED, Length(max=10)])
    city = StringField(_l("Town or city"), validators=[REQUIRED, Length(max=100)])
    # The service names the province in the error ("Choose a Spanish province."), not WTForms.
    province = SelectField(_l("Province"), validators=[REQUIRED], validate_choice=False)


class UnitForm(FlaskForm):
    label = StringField(
        _l("Unit"),
        validators=[REQUIRED, Length(max=60)],
        description=_l("E.g. “2º B”, “Local 1”, “Plaza 14”."),
    )
    use = RadioField(
        _l("Use"),
        choices=choices(UNIT_USE_LABELS),
        default="housing",
        validate_choice=False,  # the service checks it
    )
    cadastral_ref = StringField(
        _l("Cadastral reference (optional)"),
        validators=[Length(max=40)],
        description=_l("20 letters and digits, as on the IBI receipt."),
    )


def _property_form(**kwargs) -> PropertyForm:
    form = PropertyForm(**kwargs)
    form.province.choices = [
        SelectChoice("", _("Choose…")),
        *(SelectChoice(p, p) for p in property_service.PROVINCES),
    ]
    return form


def lease_new_href(unit_id: int) -> str:
    """Where a lease on this unit is created. Built by hand so this page works whether or not
    the leases views are registered yet."""
    return f"{url_for('ws.dashboard')}leases/new?unit_id={unit_id}"


def _list_page(form: PropertyForm, status: int = 200):
    units_of: dict[int, list] = {}
    for unit in property_service.list_units():
        units_of.setdefault(unit.property_id, []).append(unit)
    return render_template(
        "rentals/properties_list.html",
        form=form,
        properties=property_service.list_properties(),
        units_of=units_of,
        occupied=property_service.occupied_unit_ids(today_in_spain()),
        use_labels=UNIT_USE_LABELS,
    ), status


@bp.route("/properties", methods=["GET", "POST"])
@requires("rent_book.write")
def properties_list():
    form = _property_form()
    if request.method != "POST":  # GET or HEAD
        return _list_page(form)
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        prop = property_service.create_property(
            name=form.name.data,
            street=form.street.data,
            postal_code=form.postal_code.data,
            city=form.city.data,
            province=form.province.data,
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return _list_page(form, 422)
    flash(_("The property has been added. Now add its units."), "success")
    return redirect(url_for("ws.rentals.property_detail", property_id=prop.id))


def _detail_page(property_id: int, form: UnitForm, status: int = 200):
    prop = property_service.get_property(property_id)
    return render_template(
        "rentals/properties_detail.html",
        prop=prop,
        form=form,
        occupied=property_service.occupied_unit_ids(today_in_spain()),
        use_labels=UNIT_USE_LABELS,
        lease_new_href=lease_new_href,
    ), status


@bp.get("/properties/<int:property_id>")
def property_detail(property_id: int):
    return _detail_page(property_id, UnitForm())


@bp.post("/properties/<int:property_id>/units")
@requires("rent_book.write")
def unit_add(property_id: int):
    property_service.get_property(property_id)  # 404 before anything else for another tenant's id
    form = UnitForm()
    if not form.validate_on_submit():
        return _detail_page(property_id, form, 422)
    try:
        unit = property_service.add_unit(
            property_id,
            label=form.label.data,
            use=form.use.data,
            cadastral_ref=form.cadastral_ref.data,
        )
    except ServiceError as error:
        apply_to_form(form, error)
        return _detail_page(property_id, form, 422)
    flash(_("Unit %(label)s added.", label=unit.label), "success")
    return redirect(url_for("ws.rentals.property_detail", property_id=property_id))
