"""Instalment plans on the case page: the debtor's proposal with the creditor's answer (accept,
reject with a reason, counter-propose), an offer of the creditor's own, and the running plan's
schedule (`collections/_case_instalments.html`, included by the case page).

A refused form comes back on the case page (422) with its message next to the field; the
forms of the panel reach the template through `instalments_panel(case)`, which takes a form
a route left in `g.instalment_forms` (the bound, refused one) over a blank one.
"""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from tenants.models.instalments import OPEN_STATUSES
from tenants.services.collections import cases
from tenants.services.collections import instalments as plans
from tenants.services.errors import ServiceError
from web.collections import bp
from web.collections.cases import actor, render_case, today
from web.fields import DayField, MoneyField
from web.messages import apply_to_form
from web.permissions import requires
from web.workspaces.forms import REQUIRED

COUNTS = [SelectChoice(n, str(n)) for n in range(plans.MIN_COUNT, plans.MAX_COUNT + 1)]
INSTALMENT_STATUS_LABELS = {
    "pending": _l("To pay"),
    "paid": _l("Paid"),
    "failed": _l("Debit returned"),
    "missed": _l("Not paid"),
}
AMOUNT_HELP = _l("Leave it empty to divide the debt equally; the last instalment takes the cents.")


class PlanForm(FlaskForm):
    count = SelectField(_l("Number of instalments"), choices=COUNTS, coerce=int, default=3)
    first_due_on = DayField(_l("First instalment on"), validators=[REQUIRED])
    amount_each = MoneyField(_l("Amount of each instalment (optional)"), description=AMOUNT_HELP)


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why (the debtor is shown it)"), validators=[REQUIRED, Length(max=500)]
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Why end it (the debtor is shown it)"), validators=[REQUIRED, Length(max=500)]
    )


class AcceptForm(FlaskForm):
    """A button: the CSRF token only."""


def _forms() -> dict:
    made = getattr(g, "instalment_forms", {})
    return {
        "offer": made.get("offer") or PlanForm(formdata=None, prefix="offer"),
        "counter": made.get("counter") or PlanForm(formdata=None, prefix="counter"),
        "reject": made.get("reject") or RejectForm(formdata=None, prefix="reject"),
        "cancel": made.get("cancel") or CancelForm(formdata=None, prefix="cancel"),
        "accept": AcceptForm(formdata=None),
        "open": made.get("open"),
    }


@bp.app_context_processor
def _instalments_panel():
    def instalments_panel(case) -> dict:
        live = plans.live_plan(case.id) if case.status != "closed" else None
        return {
            "live": live,
            "waiting": live if live is not None and live.status in OPEN_STATUSES else None,
            "running": live if live is not None and live.status == "accepted" else None,
            "past": [p for p in plans.plans_of_case(case.id) if p is not live][:5],
            "forms": _forms(),
            "labels": INSTALMENT_STATUS_LABELS,
            "owed": plans.owed_today(case, today()) if case.status != "closed" else None,
        }

    return {"instalments_panel": instalments_panel}


def _again(case_id: int, name: str, form):
    g.instalment_forms = {name: form, "open": name}
    return render_case(cases.get_case(case_id), 422)


def _done(case_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".case_detail", case_id=case_id, _anchor="instalments"))


@bp.post("/cases/<int:case_id>/instalments/offer")
@requires("instalments.decide")
def instalments_offer(case_id: int):
    cases.get_case(case_id)  # 404 first
    form = PlanForm(prefix="offer")
    if form.validate_on_submit():
        try:
            plans.offer(
                case_id,
                count=form.count.data,
                first_due_on=form.first_due_on.data,
                amount_each=(form.amount_each.data or "").strip() or None,
                actor=actor(),
                today=today(),
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(
                case_id, _("The plan is offered to the debtor: they accept it on their page.")
            )
    return _again(case_id, "offer", form)


def _plan_of_case(case_id: int, plan_id: int):
    cases.get_case(case_id)
    return plans.get_plan(plan_id, case_id)


@bp.post("/cases/<int:case_id>/instalments/<int:plan_id>/accept")
@requires("instalments.decide")
def instalments_accept(case_id: int, plan_id: int):
    _plan_of_case(case_id, plan_id)
    if not AcceptForm().validate_on_submit():
        flash(_("The form expired. Try again."), "danger")
        return redirect(url_for(".case_detail", case_id=case_id))
    try:
        plans.decide(plan_id, decision="accept", actor=actor(), today=today())
    except ServiceError as error:
        from web.messages import flash_error

        flash_error(error)
        return redirect(url_for(".case_detail", case_id=case_id, _anchor="instalments"))
    return _done(case_id, _("The plan is agreed: the letters wait while it is paid on time."))


@bp.post("/cases/<int:case_id>/instalments/<int:plan_id>/reject")
@requires("instalments.decide")
def instalments_reject(case_id: int, plan_id: int):
    _plan_of_case(case_id, plan_id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit():
        try:
            plans.decide(
                plan_id, decision="reject", actor=actor(), today=today(), reason=form.reason.data
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(case_id, _("The plan is rejected: the debtor is told why."))
    return _again(case_id, "reject", form)


@bp.post("/cases/<int:case_id>/instalments/<int:plan_id>/counter")
@requires("instalments.decide")
def instalments_counter(case_id: int, plan_id: int):
    _plan_of_case(case_id, plan_id)
    form = PlanForm(prefix="counter")
    if form.validate_on_submit():
        try:
            plans.decide(
                plan_id,
                decision="counter",
                actor=actor(),
                today=today(),
                count=form.count.data,
                first_due_on=form.first_due_on.data,
                amount_each=(form.amount_each.data or "").strip() or None,
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(
                case_id, _("Your counter-proposal is sent: the debtor accepts it on their page.")
            )
    return _again(case_id, "counter", form)


@bp.post("/cases/<int:case_id>/instalments/<int:plan_id>/cancel")
@requires("instalments.decide")
def instalments_cancel(case_id: int, plan_id: int):
    _plan_of_case(case_id, plan_id)
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            plans.cancel(plan_id, actor=actor(), today=today(), reason=form.reason.data)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            return _done(
                case_id, _("The plan is ended: the debtor is told why, and the letters resume.")
            )
    return _again(case_id, "cancel", form)
