"""Settings → Card payments: the workspace's own Stripe account (Connect onboarding and its
status) and the last card payments debtors made on the portal."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tenants.permissions import CREDITORS
from tenants.services.billing import connect, stripe_api
from tenants.services.errors import ServiceError
from tenants.services.portal import card
from web.messages import flash_error
from web.permissions import only_in, requires
from web.workspaces import bp

# What Stripe still asks for (`requirements.currently_due`: "individual.id_number",
# "external_account"…), in the owner's words, by the name's first part.
REQUIREMENT_LABELS = {
    "external_account": _l("the bank account your money is paid out to"),
    "tos_acceptance": _l("accepting Stripe's terms of service"),
    "business_profile": _l("what your business does and its website"),
    "business_type": _l("whether you are a person or a company"),
    "individual": _l("your personal details and identity document"),
    "company": _l("your company's details"),
    "representative": _l("the details of the company's representative"),
    "owners": _l("the company's owners"),
    "directors": _l("the company's directors"),
    "executives": _l("the company's executives"),
}


STATUS_LABELS = {
    "open": _l("not paid yet"),
    "paid": _l("paid"),
    "failed": _l("card refused"),
    "partly_refunded": _l("partly refunded"),
    "refunded": _l("refunded"),
    "disputed": _l("charged back by the bank"),
}


def requirement_labels(names: list[str]) -> list[str]:
    """One line per kind of thing Stripe still needs, in the reader's language."""
    labels = []
    for name in names:
        first = name.split(".")[0]
        label = str(REQUIREMENT_LABELS.get(first, _l("other details Stripe asks for")))
        if label not in labels:
            labels.append(label)
    return labels


def _links() -> dict:
    return {
        "return_url": url_for("ws.card_onboarding_return", _external=True),
        "refresh_url": url_for("ws.card_onboarding_refresh", _external=True),
    }


@bp.get("/settings/card-payments")
@only_in(*CREDITORS)
def card_payments():
    account = connect.workspace_account()
    return render_template(
        "workspaces/card_payments.html",
        account=account,
        status=connect.account_status(account),
        missing=requirement_labels(account.requirements_due) if account else [],
        fee_percent=stripe_api.platform_fee_percent(),
        payments=card.recent_payments(),
        status_labels=STATUS_LABELS,
    )


@bp.post("/settings/card-payments/onboarding")
@requires("stripe_account.manage")
def start_card_onboarding():
    try:
        url = connect.start_onboarding(current_user.user, **_links())
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("ws.card_payments"))
    return redirect(url, code=303)


@bp.get("/settings/card-payments/onboarding/return")
@requires("stripe_account.manage", also_to_read=True)
def card_onboarding_return():
    """Stripe sends the owner back here: read the account's state now, not later."""
    try:
        account = connect.refresh_account()
    except ServiceError as error:
        flash_error(error)
    else:
        if account is not None and account.status == "active":
            flash(_("Your Stripe account is active: debtors can now pay you by card."), "success")
    return redirect(url_for("ws.card_payments"))


@bp.get("/settings/card-payments/onboarding/refresh")
@requires("stripe_account.manage", also_to_read=True)
def card_onboarding_refresh():
    """The onboarding link expired or was used: a new one."""
    try:
        url = connect.start_onboarding(current_user.user, **_links())
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for("ws.card_payments"))
    return redirect(url)
