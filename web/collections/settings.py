"""Collections settings: the workspace's ladder (its steps, the gaps, the credit-file warning)
and the letterhead the letters are printed on (who signs, where the debtor pays, the logo)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, Optional

from jobs.mail import queue_email
from tenants.db import utcnow
from tenants.models.collections import ANCHORS, CHANNELS, STEP_KINDS
from tenants.services.collections import ladders
from tenants.services.collections import letterhead as letterhead_service
from tenants.services.errors import ServiceError
from tenants.services.platform.workspaces import list_members
from tenants.services.rentals.properties import PROVINCES
from tenants.storage import DocumentStore
from web import transaction
from web.collections import bp
from web.labels import ANCHOR_LABELS, CHANNEL_LABELS, STEP_LABELS
from web.messages import apply_to_form, message_for
from web.permissions import requires
from web.text_input import OneLine

MAX_STEPS = 10
NUMBER = _l("Write a whole number.")


def _number_field(label, **kwargs):
    return IntegerField(
        label,
        validators=[InputRequired(message=NUMBER)],
        render_kw={"inputmode": "numeric"},
        **kwargs,
    )


class StepForm(Form):
    kind = SelectField(
        _l("Step"),
        choices=[
            SelectChoice("", _l("New step…")),
            *[SelectChoice(k, STEP_LABELS[k]) for k in STEP_KINDS],
        ],
        validate_choice=False,  # the service names a wrong choice, next to the field
    )
    delay_days = IntegerField(
        _l("Days"),
        validators=[InputRequired(message=NUMBER)],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    anchor = SelectField(
        _l("Counted"), choices=[SelectChoice(k, ANCHOR_LABELS[k]) for k in ANCHORS]
    )
    channel = SelectField(
        _l("Channel"), choices=[SelectChoice(k, CHANNEL_LABELS[k]) for k in CHANNELS]
    )
    needs_approval = BooleanField(_l("Needs your approval"))
    remove = BooleanField(_l("Remove"))


class LadderForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=80)])
    min_gap_days = _number_field(
        _l("Minimum days between two letters"),
        description=_l("No two contacts closer than this, whatever the steps say."),
    )
    payment_days = _number_field(
        _l("Business days the formal demand gives to pay"),
    )
    credit_file_warning = BooleanField(_l("Warn that the debt may be reported to a credit file"))
    credit_file_name = StringField(
        _l("Name of the credit file"),
        validators=[Length(max=80)],
        description=_l(
            "The warning must name it (LOPDGDD art. 20), for example ASNEF or BADEXCUG."
        ),
    )
    steps = FieldList(FormField(StepForm), min_entries=1, max_entries=MAX_STEPS + 1)


class LetterheadForm(FlaskForm):
    legal_name = StringField(_l("Legal name"), validators=[Length(max=200), OneLine()])
    tax_id = StringField(_l("NIF / CIF"), validators=[Length(max=16)])
    entity_kind = SelectField(
        _l("In law, the creditor is"),
        choices=[
            SelectChoice("", _l("— not said")),
            SelectChoice("person", _l("A natural person (persona física)")),
            SelectChoice("company", _l("A company or other legal person (persona jurídica)")),
        ],
        validators=[Optional()],
        validate_choice=False,
        description=_l(
            "A landlord company's housing leases of up to 7 years cap additional guarantees at "
            "two months of rent, a person's up to 5 years (LAU art. 36.5)."
        ),
    )
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=10)])
    city = StringField(_l("Town or city"), validators=[Length(max=100)])
    province = SelectField(
        _l("Province"),
        choices=[SelectChoice("", "—"), *[SelectChoice(p, p) for p in PROVINCES]],
        validators=[Optional()],
        validate_choice=False,
    )
    contact_email = StringField(_l("Email for replies"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    iban = StringField(
        _l("IBAN the debtor pays to"),
        validators=[Length(max=42)],
        description=_l("Printed on the letters with a payment QR code."),
    )
    signatory_name = StringField(
        _l("Who signs the letters"),
        validators=[Length(max=120), OneLine()],
        description=_l("Their name, printed after «Fdo.:». Left empty, the owner's name."),
    )
    signatory_role = StringField(
        _l("Their role"),
        validators=[Length(max=80), OneLine()],
        description=_l("For example: abogada, administrador, gerente."),
    )
    logo = FileField(_l("Logo (PNG or JPEG, at most 1 MB)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    password = PasswordField(
        _l("Your password (only to change the IBAN)"),
        description=_l("Debtors' money goes to this IBAN: changing it needs your password."),
    )


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _workspace_ladder():
    return ladders.workspace_ladder(g.workspace.kind.value)


# --- the ladder -------------------------------------------------------------------------------


def _ladder_form(ladder) -> LadderForm:
    data = {
        "name": ladder.name,
        "min_gap_days": ladder.min_gap_days,
        "payment_days": ladder.payment_days,
        "credit_file_warning": ladder.credit_file_warning,
        "credit_file_name": ladder.credit_file_name,
        "steps": [
            {
                "kind": s.kind,
                "delay_days": s.delay_days,
                "anchor": s.anchor,
                "channel": s.channel,
                "needs_approval": s.needs_approval,
            }
            for s in ladder.steps
        ],
    }
    form = LadderForm(formdata=None, data=data)
    if len(form.steps) <= MAX_STEPS:
        form.steps.append_entry({"kind": "", "delay_days": None, "anchor": "due"})
    return form


def _apply_ladder_error(form: LadderForm, error: ServiceError) -> None:
    """A step's error ("steps-2-delay_days") next to that step's field; nothing is saved."""
    transaction.refuse()
    field = error.field or ""
    if field.startswith("steps-"):
        parts = field.split("-", 2)
        kept = [entry for entry in form.steps if _kept(entry)]
        try:
            entry = kept[int(parts[1])]
        except (IndexError, ValueError):
            entry = None
        if entry is not None and len(parts) == 3 and hasattr(entry.form, parts[2]):
            target = getattr(entry.form, parts[2])
            target.errors = [*target.errors, message_for(error)]
            return
        error = ServiceError(error.code, None, **error.params)
    apply_to_form(form, error)


def _kept(entry) -> bool:
    """A step row that counts: not ticked for removal, and not the empty row left blank."""
    sub = entry.form
    if sub.remove.data:
        return False
    blank = sub.kind.data in ("", None) and sub.delay_days.raw_data in ([], [""], None)
    return not blank


@bp.route("/settings/ladder", methods=["GET", "POST"])
@requires("ladder.edit")
def ladder_settings():
    ladder = _workspace_ladder()
    if request.method == "GET":
        return render_template("collections/ladder.html", form=_ladder_form(ladder), ladder=ladder)
    form = LadderForm()
    # The blank row for a new step is optional: its number may be empty.
    for entry in form.steps:
        if not _kept(entry):
            entry.form.delay_days.validators = [Optional()]
    status = 422
    if form.validate_on_submit():
        steps = [
            ladders.StepInput(
                kind=entry.form.kind.data,
                delay_days=entry.form.delay_days.data,
                anchor=entry.form.anchor.data,
                channel=entry.form.channel.data,
                needs_approval=bool(entry.form.needs_approval.data),
            )
            for entry in form.steps
            if _kept(entry)
        ]
        try:
            ladders.update_ladder(
                ladder.id,
                actor=current_user.user,
                name=form.name.data or "",
                min_gap_days=form.min_gap_days.data,
                payment_days=form.payment_days.data,
                credit_file_warning=bool(form.credit_file_warning.data),
                credit_file_name=form.credit_file_name.data or "",
                steps=steps,
            )
        except ServiceError as error:
            _apply_ladder_error(form, error)
        else:
            flash(_("The ladder is saved. Cases follow it from their next step."), "success")
            return redirect(url_for(".ladder_settings"))
    return render_template("collections/ladder.html", form=form, ladder=_workspace_ladder()), status


# --- the letterhead ---------------------------------------------------------------------------


def _letterhead_form() -> LetterheadForm:
    ws = g.workspace
    return LetterheadForm(
        formdata=None,
        data={
            "legal_name": ws.legal_name or ws.name,
            "tax_id": ws.tax_id,
            "entity_kind": ws.entity_kind,
            "street": ws.street,
            "postal_code": ws.postal_code,
            "city": ws.city,
            "province": ws.province,
            "contact_email": ws.contact_email,
            "phone": ws.phone,
            "iban": ws.iban,
            "signatory_name": ws.signatory_name,
            "signatory_role": ws.signatory_role,
        },
    )


@bp.route("/settings/letterhead", methods=["GET", "POST"])
@requires("letterhead.edit")
def letterhead_settings():
    if request.method == "GET":
        return render_template("collections/letterhead.html", form=_letterhead_form())
    form = LetterheadForm()
    if form.validate_on_submit():
        try:
            logo_sha256 = None
            upload = form.logo.data
            content = upload.read() if upload else b""
            if content:
                letterhead_service.check_logo(content)
            payee_change = letterhead_service.update_letterhead(
                g.workspace,
                actor=current_user.user,
                password=form.password.data or "",
                legal_name=form.legal_name.data,
                tax_id=form.tax_id.data,
                entity_kind=form.entity_kind.data or "",
                street=form.street.data,
                postal_code=form.postal_code.data,
                city=form.city.data,
                province=form.province.data or "",
                contact_email=form.contact_email.data,
                phone=form.phone.data,
                iban=form.iban.data,
                signatory_name=form.signatory_name.data or "",
                signatory_role=form.signatory_role.data or "",
            )
            if content:  # stored only once everything else is right
                logo_sha256 = _store().put(content)
                g.workspace.logo_sha256 = logo_sha256
            elif form.remove_logo.data:
                letterhead_service.remove_logo(g.workspace)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            if payee_change:
                _tell_owners(payee_change)
            flash(_("The letterhead is saved. New letters carry it."), "success")
            return redirect(url_for(".letterhead_settings"))
    return render_template("collections/letterhead.html", form=form), 422


def _tell_owners(change: letterhead_service.PayeeChange) -> None:
    """Every owner hears of a new payee IBAN, in their language: if it was not them, they can
    act before a debtor pays someone else."""
    stamp = utcnow().isoformat()
    for member in list_members():
        if member.role != "owner":
            continue
        queue_email(
            "payee_changed",
            to=member.user.email,
            language=member.user.language,
            key=f"payee-changed/{g.workspace.id}/{stamp}/{member.user_id}",
            tenant_id=g.workspace.id,
            workspace=g.workspace,
            changed_by=current_user.user,
            old=letterhead_service.mask_iban(change.old),
            new=letterhead_service.mask_iban(change.new),
            link=current_app.config["BASE_URL"].rstrip("/") + url_for(".letterhead_settings"),
        )


@bp.get("/settings/letterhead/logo")
def letterhead_logo():
    sha256 = g.workspace.logo_sha256
    store = _store()
    if not sha256 or not store.exists(sha256):
        abort(404)
    content = store.get(sha256)
    response = Response(content, mimetype=letterhead_service.logo_type(content))
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
