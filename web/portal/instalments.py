"""Instalments on the debtor portal: propose a plan, accept the creditor's offer, save a SEPA
Direct Debit mandate once, and pay the next instalment by card (card payments' Checkout).

No session: the forms are CSRF-exempt (the token in the URL is the capability), and bad input
comes back next to its field, in the debtor's language, with nothing changed (422). The panel
(`portal/_instalments.html`) reads its state and forms through `portal_instalments(case)`.
"""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from tenants.clock import today_in_spain
from tenants.models.instalments import OPEN_STATUSES
from tenants.services.collections import instalments as plans
from tenants.services.errors import NotFound, ServiceError
from web.extensions import csrf
from web.fields import DayField, MoneyField
from web.messages import apply_to_form, message_for
from web.portal import bp, open_case
from web.workspaces.forms import REQUIRED

COUNTS = [SelectChoice(n, str(n)) for n in range(plans.MIN_COUNT, plans.MAX_COUNT + 1)]


class PortalForm(FlaskForm):
    class Meta:
        csrf = False  # no session on the portal: no cookie, no CSRF token


class ProposeForm(PortalForm):
    count = SelectField(_l("Number of monthly instalments"), choices=COUNTS, coerce=int, default=3)
    first_due_on = DayField(_l("First instalment on"), validators=[REQUIRED])
    amount_each = MoneyField(
        _l("Amount of each instalment (optional)"),
        description=_l("Leave it empty to divide it equally; the last instalment takes the cents."),
    )
    note = TextAreaField(_l("Anything you want to add (optional)"), validators=[Length(max=500)])


class SepaForm(PortalForm):
    name = StringField(_l("Account holder"), validators=[REQUIRED, Length(max=120)])
    iban = StringField(_l("IBAN"), validators=[REQUIRED, Length(max=42)])
    accepted = BooleanField(_l("I accept the direct debit mandate above"))


class ButtonForm(PortalForm):
    """A button: nothing to fill in."""


def _forms() -> dict:
    made = getattr(g, "portal_instalment_forms", {})
    return {
        "propose": made.get("propose") or ProposeForm(formdata=None, prefix="plan"),
        "sepa": made.get("sepa") or SepaForm(formdata=None, prefix="sepa"),
        "open": made.get("open"),
        "error": made.get("error"),
    }


@bp.app_context_processor
def _portal_panel():
    def portal_instalments(case) -> dict:
        live = plans.live_plan(case.id) if case.status != "closed" else None
        latest = next(iter(plans.plans_of_case(case.id)), None)
        return {
            "live": live,
            "offered": live if live is not None and live.status == "offered" else None,
            "proposed": live if live is not None and live.status == "proposed" else None,
            "running": live if live is not None and live.status == "accepted" else None,
            "rejected": latest if latest is not None and latest.status == "rejected" else None,
            "broken": latest if latest is not None and latest.status == "broken" else None,
            "cancelled": latest if latest is not None and latest.status == "cancelled" else None,
            "next": plans.payable(case.id),
            "forms": _forms(),
            "mandate_reference": plans.mandate_reference(live) if live is not None else "",
            "open_statuses": OPEN_STATUSES,
        }

    return {"portal_instalments": portal_instalments}


def _again(token, case, workspace, name: str, form=None, error: str | None = None):
    from web.portal import page

    g.portal_instalment_forms = {name: form, "open": name, "error": error}
    if hasattr(page, "render_page"):
        return page.render_page(token, case, workspace, 422)
    response = page.case_page(token)  # the page before it could render with a status
    response.status_code = 422
    return response


def _done(token: str, what: str):
    return redirect(
        url_for("portal.case_page", token=token, instalments=what, _anchor="instalments")
    )


@bp.post("/<token>/instalments")
@csrf.exempt
def instalments_propose(token: str):
    with open_case(token) as (case, workspace):
        form = ProposeForm(prefix="plan")
        if form.validate():
            try:
                plans.propose(
                    case,
                    count=form.count.data,
                    first_due_on=form.first_due_on.data,
                    amount_each=(form.amount_each.data or "").strip() or None,
                    note=form.note.data or "",
                    today=today_in_spain(),
                )
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                return _done(token, "plan")
        return _again(token, case, workspace, "propose", form)


@bp.post("/<token>/instalments/<int:plan_id>/accept")
@csrf.exempt
def instalments_accept_offer(token: str, plan_id: int):
    with open_case(token) as (case, workspace):
        try:
            plans.accept_offer(case, plan_id, today=today_in_spain())
        except NotFound:
            error = message_for(ServiceError("instalments_not_open"))
            return _again(token, case, workspace, "offer", error=error)
        except ServiceError as error:
            from web.transaction import refuse

            refuse()
            return _again(token, case, workspace, "offer", error=message_for(error))
        return _done(token, "accepted")


@bp.post("/<token>/instalments/<int:plan_id>/sepa")
@csrf.exempt
def instalments_sepa(token: str, plan_id: int):
    with open_case(token) as (case, workspace):
        form = SepaForm(prefix="sepa")
        if form.validate():
            try:
                plans.save_sepa_mandate(
                    case,
                    plan_id,
                    name=form.name.data,
                    iban=form.iban.data,
                    accepted=bool(form.accepted.data),
                    ip=request.remote_addr or "",
                    user_agent=request.headers.get("User-Agent", ""),
                )
            except NotFound:
                return _again(token, case, workspace, "sepa", form)
            except ServiceError as error:
                apply_to_form(form, error)
            else:
                return _done(token, "sepa")
        return _again(token, case, workspace, "sepa", form)


@bp.post("/<token>/instalments/pay/<int:instalment_id>")
@csrf.exempt
def instalments_pay_card(token: str, instalment_id: int):
    """Pay the next instalment by card: to the creditor's Checkout page."""
    with open_case(token) as (case, workspace):
        row = plans.payable(case.id)
        if row is None or row.id != instalment_id:
            return _again(
                token,
                case,
                workspace,
                "pay",
                error=message_for(ServiceError("instalments_not_running")),
            )
        try:
            from tenants.services.portal.card import start_checkout

            back = url_for("portal.case_page", token=token, _external=True)
            url = start_checkout(
                case.id,
                row.amount,
                purpose=f"instalment:{row.id}:card",
                success_url=f"{back}?instalments=paid#instalments",
                cancel_url=f"{back}#instalments",
                metadata={"instalment_id": str(row.id), "plan_id": str(row.plan_id)},
            )
        except ServiceError as error:
            from web.transaction import refuse

            refuse()
            return _again(token, case, workspace, "pay", error=message_for(error))
        return redirect(url, 303)
