"""Rentals views: parties (people and companies), searched, created, edited, with their leases."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Length

from tenants import db
from tenants.models import Lease, LeaseParty
from tenants.permissions import CREDITORS
from tenants.services.errors import ServiceError
from tenants.services.rentals import parties as party_service
from tenants.services.rentals.archive import party_in_use
from tenants.services.rentals.properties import PROVINCES, normalise_province
from web.labels import (
    LANGUAGE_LABELS,
    PARTY_KIND_LABELS,
    PARTY_ROLE_LABELS,
    PARTY_STATUS_LABELS,
    choices,
)
from web.messages import apply_to_form
from web.permissions import only_in, requires
from web.rentals import bp
from web.text_input import OneLine
from web.workspaces.forms import REQUIRED

SEARCH_LIMIT = 200


class PartyForm(FlaskForm):
    # Choices are checked by the service (its messages), so a missing one keeps its default.
    kind = RadioField(
        _l("Kind"), choices=choices(PARTY_KIND_LABELS), default="person", validate_choice=False
    )
    name = StringField(
        _l("Full name or company name"), validators=[REQUIRED, Length(max=200), OneLine()]
    )
    tax_id = StringField(
        _l("NIF, NIE or CIF"),
        validators=[Length(max=20)],
        description=_l("A CIF makes it a company."),
    )
    is_business = BooleanField(
        _l("Business client"),
        description=_l(
            "A company or a self-employed professional: late payment law (Ley 3/2004) applies. "
            "A CIF makes it a business."
        ),
    )
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Length(max=32)])
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=10)])
    city = StringField(_l("Town or city"), validators=[Length(max=100)])
    province = SelectField(_l("Province"), validate_choice=False)
    language = RadioField(
        _l("Writes to them in"),
        choices=choices(LANGUAGE_LABELS),
        default="es",
        validate_choice=False,
    )
    form_of_address = SelectField(
        _l("Form of address"),
        choices=[
            SelectChoice("", _l("— not said (named in full)")),
            SelectChoice("sr", _l("Sr. (Mr)")),
            SelectChoice("sra", _l("Sra. (Ms)")),
        ],
        default="",
        validate_choice=False,
        description=_l("For a person: letters greet them «Estimada Sra. Gómez Ruiz:»."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])


def _party_form(**kwargs) -> PartyForm:
    form = PartyForm(**kwargs)
    form.province.choices = [SelectChoice("", "—"), *(SelectChoice(p, p) for p in PROVINCES)]
    return form


def _save(form: PartyForm, party_id: int | None = None):
    """The party created or updated from a valid form, or None with the error on the form."""
    data = {name: form[name].data for name in party_service.PARTY_FIELDS}
    try:
        if data["province"]:
            data["province"] = normalise_province(data["province"])
        if party_id is None:
            return party_service.create_party(**data)
        return party_service.update_party(party_id, **data)
    except ServiceError as error:
        apply_to_form(form, error)
        return None


def leases_of(party_id: int) -> list[tuple[Lease, str]]:
    """(lease, role) for every lease the party is on, newest first."""
    rows = db.session.execute(
        select(Lease, LeaseParty.role)
        .join(LeaseParty, LeaseParty.lease_id == Lease.id)
        .where(LeaseParty.party_id == party_id)
        .order_by(Lease.start_date.desc(), Lease.id.desc())
    )
    return [(lease, role) for lease, role in rows]


def lease_href(lease_id: int) -> str:
    """A lease's page, built by hand so this page works whether or not the leases views are
    registered yet."""
    return f"{url_for('ws.dashboard')}leases/{lease_id}"


@bp.route("/parties", methods=["GET", "POST"])
@only_in(*CREDITORS)
@requires("parties.write")
def parties_list():
    if request.method == "POST":
        return party_new()
    search = request.args.get("q", "").strip()[:100]
    archived = request.args.get("archived") == "1"
    found = party_service.list_parties(search, limit=SEARCH_LIMIT, archived=archived)
    return render_template(
        "rentals/parties_list.html",
        parties=found,
        search=search,
        archived=archived,
        truncated=len(found) == SEARCH_LIMIT,
        kind_labels=PARTY_KIND_LABELS,
    )


@bp.route("/parties/new", methods=["GET", "POST"])
@only_in(*CREDITORS)
@requires("parties.write")
def party_new():
    form = _party_form()
    if form.validate_on_submit():
        party = _save(form)
        if party is not None:
            flash(_("%(name)s has been added.", name=party.name), "success")
            return redirect(url_for("ws.rentals.party_detail", party_id=party.id))
    status = 422 if request.method == "POST" else 200
    return render_template("rentals/parties_new.html", form=form), status


@bp.route("/parties/<int:party_id>", methods=["GET", "POST"])
@only_in(*CREDITORS)
@requires("parties.write")
def party_detail(party_id: int):
    party = party_service.get_party(party_id)  # 404 for another tenant's id, before any change
    form = _party_form(obj=party)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _save(form, party_id) is not None:
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("ws.rentals.party_detail", party_id=party_id))
        status = 422
    return render_template(
        "rentals/parties_detail.html",
        party=party,
        form=form,
        leases=leases_of(party_id),
        in_use=party_in_use(party_id),
        lease_href=lease_href,
        kind_labels=PARTY_KIND_LABELS,
        language_labels=LANGUAGE_LABELS,
        role_labels=PARTY_ROLE_LABELS,
        status_labels=PARTY_STATUS_LABELS,
    ), status
