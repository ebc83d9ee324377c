"""The plan page (workspace settings, owner only) and the 402 page of a refusal for the plan.

A service refuses what the workspace's plan does not allow with PlanRequired
(tenants/services/billing/plans.py); wherever it is raised in a page, the person gets a 402
page saying what needs which plan, with a link to the plan page (the API answers a JSON
problem naming the plan, web/api). Subscribing goes through Stripe Checkout and managing the
subscription through the Stripe Customer Portal (tenants/services/billing/subscriptions.py).
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from tenants.clock import date_in_spain
from tenants.db import utcnow
from tenants.models import WorkspaceKind
from tenants.services.billing import plans
from tenants.services.billing.plans import PlanRequired
from tenants.services.errors import ServiceError
from web.permissions import requires
from web.workspaces import bp

FEATURE_WORDS = {
    "ladder": _l("Claim letters and demands beyond the email reminder"),
    "paper_letters": _l("Paper letters (postal and certified)"),
    "badge": _l("The “Protegido por Amparo” badge"),
    "escalation": _l("Escalation to partner lawyers"),
    "api": _l("The API"),
    "members": _l("Inviting more people to the workspace"),
    "leases": _l("More leases running"),
    "invoices": _l("More invoices still owed"),
}
STATUS_WORDS = {
    "trialing": _l("trial"),
    "active": _l("active"),
    "past_due": _l("payment failed"),
    "suspended": _l("suspended"),
    "canceled": _l("canceled"),
}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "es"


def plan_name(code: str) -> str:
    """A plan's name in the reader's language (the names are data)."""
    try:
        return plans.get_plan(code).name(_language())
    except ServiceError:
        return code


def plan_words(params: dict) -> dict:
    """The parameters of a plan message or activity line, in words."""
    words = dict(params)
    if "plan" in words:
        words["plan"] = plan_name(words["plan"])
    if "feature" in words:
        words["feature"] = str(FEATURE_WORDS.get(words["feature"], words["feature"]))
    if "status" in words:
        words["status"] = str(STATUS_WORDS.get(words["status"], words["status"]))
    return words


@bp.app_errorhandler(PlanRequired)
def plan_required_page(exc: PlanRequired):
    """402: what needs which plan, and where to get it. Nothing was changed (4xx rolls back)."""
    from web.errors import _roll_back
    from web.messages import message_for

    _roll_back()
    workspace = getattr(g, "workspace", None)
    return render_template(
        "plans/required.html",
        message=message_for(exc),
        plan=plan_name(exc.needed_plan),
        plan_url=url_for("ws.plan") if workspace is not None else None,
    ), 402


class SubscribeForm(FlaskForm):
    plan = HiddenField(validators=[DataRequired(), Length(max=32)])


class PortalForm(FlaskForm):
    """A button: the CSRF token only."""


def _usage() -> list[dict]:
    kinds = ["leases"] if g.workspace.kind == WorkspaceKind.LANDLORD else ["invoices"]
    return [
        {"kind": kind, "used": plans.usage(kind), "limit": plans.limit_of(kind)} for kind in kinds
    ]


@bp.get("/settings/plan")
@requires("plan.manage", also_to_read=True)
def plan():
    sub = plans.subscription()
    now = utcnow()
    in_force = plans.plan_in_force(now)
    trial_days = None
    if sub is not None and sub.status == "trialing" and sub.trial_ends_at is not None:
        trial_days = max(0, (date_in_spain(sub.trial_ends_at) - date_in_spain(now)).days)
    return render_template(
        "plans/plan.html",
        sub=sub,
        plan=in_force,
        status=STATUS_WORDS.get(sub.status, sub.status) if sub else STATUS_WORDS["active"],
        trial_text=(
            ngettext(
                "%(num)s day left in the trial.", "%(num)s days left in the trial.", trial_days
            )
            if trial_days is not None
            else None
        ),
        grace_on=date_in_spain(sub.grace_ends_at) if sub and sub.grace_ends_at else None,
        period_end=(
            date_in_spain(sub.current_period_end) if sub and sub.current_period_end else None
        ),
        usage=_usage(),
        all_plans=plans.all_plans(),
        features=list(plans.FEATURES),
        feature_words=FEATURE_WORDS,
        language=_language(),
        form=SubscribeForm(),
        portal_form=PortalForm(),
    )


@bp.post("/settings/plan/subscribe")
@requires("plan.manage")
def plan_subscribe():
    from tenants.services.billing import subscriptions
    from web.messages import flash_error

    form = SubscribeForm()
    if not form.validate_on_submit():
        flash(_("Choose a plan."), "danger")
        return redirect(url_for("ws.plan"))
    try:
        target = subscriptions.start_checkout(
            form.plan.data,
            email=g.member.user.email,
            success_url=url_for("ws.plan_done", _external=True)
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=url_for("ws.plan", _external=True),
        )
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("ws.plan"))
    return redirect(target, 303)


@bp.get("/settings/plan/done")
@requires("plan.manage", also_to_read=True)
def plan_done():
    """Back from Checkout: the subscription is read from Stripe at once (the webhook says the
    same again later, and changes nothing then)."""
    from tenants.services.billing import subscriptions

    session_id = (request.args.get("session_id") or "")[:200]
    try:
        subscriptions.checkout_returned(session_id)
    except ServiceError:
        pass  # the webhook will tell; the page says it is on its way
    flash(_("Thank you: your subscription is being activated."), "success")
    return redirect(url_for("ws.plan"))


@bp.post("/settings/plan/portal")
@requires("plan.manage")
def plan_portal():
    from tenants.services.billing import subscriptions
    from web.messages import flash_error

    if not PortalForm().validate_on_submit():
        return redirect(url_for("ws.plan"))
    try:
        target = subscriptions.portal_url(return_url=url_for("ws.plan", _external=True))
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("ws.plan"))
    return redirect(target, 303)


@bp.app_context_processor
def _plan_helpers():
    return {"plan_needed": plan_needed, "case_waiting_for_plan": case_waiting_for_plan}


def case_waiting_for_plan(case) -> str:
    """The plan an open case waits for (its last step was refused by the sweep), or ""."""
    from sqlalchemy import select

    from tenants import db
    from tenants.models import CaseEvent

    if case.status != "open" or case.next_action_at is not None:
        return ""
    last = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc()).limit(1)
    )
    if last is None or last.kind != "needs_plan":
        return ""
    return plan_name((last.detail or {}).get("plan", ""))


def plan_needed(what: str) -> str:
    """For a gated button: the name of the plan `what` (a feature, or a limit already reached)
    needs, or "" when the workspace's plan allows it."""
    if getattr(g, "workspace", None) is None:
        return ""
    if what in plans.LIMITS:
        limit = plans.limit_of(what)
        if limit is None or plans.usage(what) < limit:
            return ""
        return plan_name(plans.needed_for_limit(what, limit + 1))
    return "" if plans.has(what) else plan_name(plans.needed_for(what))
