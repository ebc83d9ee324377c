"""Rentals views: correcting properties, units and leases; deleting what nothing depends on,
archiving and restoring the rest; the page of archived records; ending a lease after seeing
which charges it removes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from tenants.permissions import CREDITORS
from tenants.services.errors import ServiceError
from tenants.services.rentals import archive, lease_changes, leases
from tenants.services.rentals import parties as party_service
from tenants.services.rentals import properties as property_service
from web.fields import DayField, MoneyField
from web.labels import (
    PAYMENT_METHOD_LABELS,
    UNIT_USE_LABELS,
    UPDATE_CLAUSE_LABELS,
    choices,
)
from web.messages import apply_to_form, flash_error, show_on_form
from web.permissions import only_in, requires
from web.rentals import bp
from web.rentals.leases import LABELS, REQUIRED, EndLeaseForm, eur, render_lease
from web.rentals.properties import PropertyForm, UnitForm, _property_form

# --- properties and units ---------------------------------------------------------------------


@bp.route("/properties/<int:property_id>/edit", methods=["GET", "POST"])
@requires("rent_book.write", also_to_read=True)
def property_edit(property_id: int):
    prop = property_service.get_property(property_id)
    form: PropertyForm = _property_form(obj=prop)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                property_service.update_property(
                    prop.id,
                    name=form.name.data,
                    street=form.street.data,
                    postal_code=form.postal_code.data,
                    city=form.city.data,
                    province=form.province.data,
                )
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                flash(_("The changes have been saved."), "success")
                return redirect(url_for(".property_detail", property_id=prop.id))
        return _property_edit_page(prop, form, 422)
    return _property_edit_page(prop, form)


def _property_edit_page(prop, form, status: int = 200):
    return render_template(
        "rentals/property_edit.html",
        prop=prop,
        form=form,
        in_use=archive.property_in_use(prop.id),
    ), status


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("rent_book.write", also_to_read=True)
def unit_edit(unit_id: int):
    unit = property_service.get_unit(unit_id)
    form = UnitForm(obj=unit)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                property_service.update_unit(
                    unit.id,
                    label=form.label.data,
                    use=form.use.data,
                    cadastral_ref=form.cadastral_ref.data,
                )
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                flash(_("The changes have been saved."), "success")
                return redirect(url_for(".property_detail", property_id=unit.property_id))
    return render_template(
        "rentals/unit_edit.html", unit=unit, form=form, in_use=archive.unit_in_use(unit.id)
    ), status


# --- leases -----------------------------------------------------------------------------------


class LeaseChangesForm(FlaskForm):
    """What may change on a signed lease (the rent: through rent updates)."""

    end_date = DayField(
        _l("Agreed end"), validators=[Optional()], description=_l("Empty for an open term.")
    )
    due_day = IntegerField(
        _l("Due day"),
        validators=[REQUIRED],
        render_kw={"min": 1, "max": 31},
        description=_l(
            "1 to 31; 31 means the last day of every month. Charges already made keep their "
            "due date; the next ones follow."
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
    reference = StringField(_l("Reference (optional)"), validators=[Length(max=40)])
    update_clause = SelectField(_l("Yearly rent update"), choices=choices(UPDATE_CLAUSE_LABELS))
    update_fixed_pct = MoneyField(
        _l("Fixed update (%)"),
        maximum=lease_changes.MAX_FIXED_PCT,
        description=_l("Only for a fixed percentage, for example 2,5."),
    )


@bp.route("/leases/<int:lease_id>/edit", methods=["GET", "POST"])
@requires("rent_book.write", also_to_read=True)
def lease_edit(lease_id: int):
    lease = leases.get_lease(lease_id)
    form = LeaseChangesForm(obj=lease)
    if request.method != "POST" and lease.update_fixed_pct is not None:
        form.update_fixed_pct.data = f"{lease.update_fixed_pct:.2f}".replace(".", ",")
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            changes = lease_changes.LeaseChanges(
                end_date=form.end_date.data,
                due_day=form.due_day.data,
                payment_method=form.payment_method.data,
                iban=form.iban.data,
                reference=form.reference.data,
                update_clause=form.update_clause.data,
                update_fixed_pct=form.update_fixed_pct.data,
            )
            try:
                lease_changes.update_lease(lease.id, changes)
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                flash(_("The changes have been saved."), "success")
                return redirect(url_for(".lease_detail", lease_id=lease.id))
    return render_template(
        "rentals/lease_edit.html",
        lease=lease,
        form=form,
        lease_open=lease.status in leases.OPEN_STATUSES,
        in_use=archive.lease_in_use(lease.id),
        labels=LABELS,
        eur=eur,
    ), status


@bp.get("/leases/<int:lease_id>/end")
@requires("rent_book.write", also_to_read=True)
def lease_end_review(lease_id: int):
    """Before a lease ends: the charges ending it removes and cuts, what stays owed, and the
    button that ends it (POST to lease_end)."""
    lease = leases.get_lease(lease_id)
    form = EndLeaseForm(request.args, prefix="end", meta={"csrf": False})
    if not form.validate():
        return render_lease(lease, 422, end_form=form)
    try:
        preview = lease_changes.end_preview(lease.id, form.ended_on.data)
    except ServiceError as error:
        if error.field is None:  # the lease has ended already: its page has no end form
            flash_error(error)
            return redirect(url_for(".lease_detail", lease_id=lease.id))
        show_on_form(form, error)
        return render_lease(lease, 422, end_form=form)
    early = lease.end_date is not None and form.ended_on.data < lease.end_date
    return render_template(
        "rentals/lease_end_review.html",
        lease=lease,
        preview=preview,
        early=early,
        ended_on=form.ended_on.data,
        keys_returned_on=form.keys_returned_on.data,
        confirm_form=EndLeaseForm(formdata=None, prefix="end"),
        labels=LABELS,
        eur=eur,
    )


# --- delete, archive, restore -----------------------------------------------------------------


def _remove(action, object_id: int, done: str, gone_to: str, back: str):
    """Run a delete or archive; on refusal, say why on the page it came from, nothing changed."""
    try:
        action(object_id)
    except ServiceError as error:
        flash_error(error)
        return redirect(back)
    flash(done, "success")
    return redirect(gone_to)


def _property_back(property_id: int) -> str:
    return url_for(".property_detail", property_id=property_id)


@bp.post("/properties/<int:property_id>/delete")
@requires("rent_book.archive")
def property_delete(property_id: int):
    property_service.get_property(property_id)
    return _remove(
        archive.delete_property,
        property_id,
        _("The property has been deleted."),
        url_for(".properties_list"),
        _property_back(property_id),
    )


@bp.post("/properties/<int:property_id>/archive")
@requires("rent_book.archive")
def property_archive(property_id: int):
    return _remove(
        archive.archive_property,
        property_id,
        _("The property has been archived: it is on the archive page, where you can restore it."),
        url_for(".properties_list"),
        _property_back(property_id),
    )


@bp.post("/units/<int:unit_id>/delete")
@requires("rent_book.archive")
def unit_delete(unit_id: int):
    unit = property_service.get_unit(unit_id)
    back = _property_back(unit.property_id)
    return _remove(archive.delete_unit, unit_id, _("The unit has been deleted."), back, back)


@bp.post("/units/<int:unit_id>/archive")
@requires("rent_book.archive")
def unit_archive(unit_id: int):
    unit = property_service.get_unit(unit_id)
    back = _property_back(unit.property_id)
    return _remove(
        archive.archive_unit,
        unit_id,
        _("The unit has been archived: it is no longer offered for new leases."),
        back,
        back,
    )


@bp.post("/leases/<int:lease_id>/delete")
@requires("rent_book.archive")
def lease_delete(lease_id: int):
    leases.get_lease(lease_id)
    return _remove(
        archive.delete_lease,
        lease_id,
        _("The lease has been deleted."),
        url_for(".lease_list"),
        url_for(".lease_detail", lease_id=lease_id),
    )


@bp.post("/leases/<int:lease_id>/archive")
@requires("rent_book.archive")
def lease_archive(lease_id: int):
    return _remove(
        archive.archive_lease,
        lease_id,
        _("The lease has been archived: it is on the archive page, where you can restore it."),
        url_for(".lease_list"),
        url_for(".lease_detail", lease_id=lease_id),
    )


@bp.post("/parties/<int:party_id>/delete")
@only_in(*CREDITORS)
@requires("parties.archive")
def party_delete(party_id: int):
    party_service.get_party(party_id)
    return _remove(
        archive.delete_party,
        party_id,
        _("They have been deleted."),
        url_for(".parties_list"),
        url_for(".party_detail", party_id=party_id),
    )


@bp.post("/parties/<int:party_id>/archive")
@only_in(*CREDITORS)
@requires("parties.archive")
def party_archive(party_id: int):
    return _remove(
        archive.archive_party,
        party_id,
        _("They have been archived: no longer offered on new leases or invoices."),
        url_for(".parties_list"),
        url_for(".party_detail", party_id=party_id),
    )


def _restore(kind: str, object_id: int, back: str):
    archive.restore(kind, object_id)
    flash(_("Restored: it is back in the lists."), "success")
    return redirect(back)


@bp.post("/properties/<int:property_id>/restore")
@requires("rent_book.archive")
def property_restore(property_id: int):
    return _restore("property", property_id, _property_back(property_id))


@bp.post("/units/<int:unit_id>/restore")
@requires("rent_book.archive")
def unit_restore(unit_id: int):
    unit = property_service.get_unit(unit_id)
    return _restore("unit", unit_id, _property_back(unit.property_id))


@bp.post("/leases/<int:lease_id>/restore")
@requires("rent_book.archive")
def lease_restore(lease_id: int):
    return _restore("lease", lease_id, url_for(".lease_detail", lease_id=lease_id))


@bp.post("/parties/<int:party_id>/restore")
@only_in(*CREDITORS)
@requires("parties.archive")
def party_restore(party_id: int):
    return _restore("party", party_id, url_for(".party_detail", party_id=party_id))


@bp.get("/archive")
def archived():
    """What has been put away, to look up or restore."""
    return render_template(
        "rentals/archived.html",
        properties=property_service.list_properties(archived=True),
        units=property_service.list_units(archived=True),
        leases=archive.archived_leases(),
        parties=party_service.list_parties(archived=True, limit=1000),
        use_labels=UNIT_USE_LABELS,
        labels=LABELS,
    )
