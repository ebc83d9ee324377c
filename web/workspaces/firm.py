"""A law firm's own settings (issue 14.1): Settings → Firm profile shows its coverage, capacity
and fee terms as the platform admin keeps them (read-only here); Settings → Data-processing
agreement shows the agreement (GDPR art. 28) in the reader's language, its version, who
accepted it and when, and lets a partner accept it (docs/law.md#gdpr-28-law-firms)."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import Length

from tenants.db import current_tenant_id
from tenants.models import WorkspaceKind
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core, firms
from web.labels import ESCALATION_CASE_TYPE_LABELS
from web.messages import apply_to_form
from web.permissions import only_in, requires
from web.workspaces import bp

LAW_FIRM = WorkspaceKind.LAW_FIRM


class DpaForm(FlaskForm):
    version = HiddenField(validators=[Length(max=16)])
    agree = BooleanField(
        _l(
            "I have read the agreement and, on behalf of the firm, accept it: for each case it "
            "accepts, the firm processes the debtors' data as processor of the creditor."
        )
    )


def _profile():
    try:
        return firms.firm_profile()
    except NotFound:
        return None  # a law firm the admin has not put in the directory (an old workspace)


def _dpa_page(form: DpaForm, status: int = 200):
    return render_template(
        "escalations/firm_dpa.html",
        form=form,
        profile=_profile(),
        version=core.DPA_VERSION,
        dpa_text=f"escalations/dpa_{core.DPA_VERSION}.html",
    ), status


@bp.get("/settings/firm")
@only_in(LAW_FIRM)
def firm_profile():
    return render_template(
        "escalations/firm_profile.html",
        profile=_profile(),
        case_type_labels=ESCALATION_CASE_TYPE_LABELS,
        admin_email=current_app.config.get("SUPPORT_EMAIL") or "",
    )


@bp.get("/settings/dpa")
@only_in(LAW_FIRM)
def firm_dpa():
    return _dpa_page(DpaForm(formdata=None, version=core.DPA_VERSION))


@bp.post("/settings/dpa")
@requires("firm.dpa")
def accept_dpa():
    form = DpaForm()
    if not form.validate_on_submit():
        return _dpa_page(form, 422)
    try:
        firms.accept_dpa(current_user.user, version=form.version.data, agreed=form.agree.data)
    except NotFound:
        form.form_errors.append(_("The platform has not added this firm to its directory yet."))
        return _dpa_page(form, 422)
    except ServiceError as error:
        apply_to_form(form, error)
        return _dpa_page(form, 422)
    flash(
        _("The firm has accepted the agreement. Creditors can now escalate cases to it."),
        "success",
    )
    return redirect(url_for("ws.firm_dpa"))


@bp.app_context_processor
def _firm_banner():
    def firm_needs_dpa() -> bool:
        """For the law firm's dashboard: no case arrives until the agreement is accepted."""
        workspace = getattr(g, "workspace", None)
        if workspace is None or workspace.kind != LAW_FIRM:
            return False
        current_tenant_id()  # the firm's own tenant is set
        return firms.needs_dpa()

    return {"firm_needs_dpa": firm_needs_dpa}
