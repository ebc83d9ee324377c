"""Paying by card from the portal: the button sends the debtor to Stripe Checkout on the
creditor's own account; Stripe sends them back to a page in their language. The payment is
booked by the webhook (tenants/services/portal/card.py), not by these pages: a debtor who
closes the tab after paying is booked all the same.

The form carries no CSRF token (no session on the portal): the secret token in the URL is the
capability, and the worst a forged click does is open a payment page."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from tenants.services.errors import ServiceError
from tenants.services.portal import card
from web.extensions import csrf
from web.messages import message_for
from web.portal import bp, open_case, portal_response
from web.transaction import refuse


@bp.app_template_global()
def card_payment_offer(case, claim):
    """For portal/_pay_card.html: the amount the card button pays, or None (no button)."""
    return card.card_offer(case, claim.total)


@bp.post("/<token>/card")
@csrf.exempt
def pay_by_card(token: str):
    with open_case(token) as (case, workspace):
        try:
            url = card.pay_claim(
                case,
                success_url=url_for("portal.card_paid", token=token, _external=True)
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=url_for("portal.card_cancelled", token=token, _external=True),
            )
        except ServiceError as error:
            refuse()
            html = render_template(
                "portal/card_result.html",
                case=case,
                creditor=workspace,
                token=token,
                outcome="error",
                message=message_for(error),
            )
            return portal_response(html, 503 if error.code == "stripe_unavailable" else 409)
    return redirect(url, code=303)


@bp.get("/<token>/card/paid")
def card_paid(token: str):
    with open_case(token) as (case, workspace):
        payment = card.payment_of_session(case.id, request.args.get("session_id", "")[:255])
        outcome = "booked" if payment is not None and payment.paid_at else "confirming"
        html = render_template(
            "portal/card_result.html",
            case=case,
            creditor=workspace,
            token=token,
            outcome=outcome,
            payment=payment,
        )
    return portal_response(html)


@bp.get("/<token>/card/cancelled")
def card_cancelled(token: str):
    with open_case(token) as (case, workspace):
        html = render_template(
            "portal/card_result.html",
            case=case,
            creditor=workspace,
            token=token,
            outcome="cancelled",
        )
    return portal_response(html)
