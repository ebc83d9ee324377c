"""The portal page itself: what is owed, how to pay, and the options."""

from __future__ import annotations

from flask import render_template

from letters.qr import epc_payload, svg_data_uri
from tenants.clock import today_in_spain
from tenants.services.collections import claims, letters
from web.portal import bp, open_case, portal_response


@bp.get("/<token>")
def case_page(token: str):
    with open_case(token) as (case, workspace):
        claim = claims.claim_of_case(case, today_in_spain())
        payload = epc_payload(
            name=claim.payee.beneficiary,
            iban=claim.payee.iban or "",
            amount=claim.total,
            remittance=claim.reference,
        )
        last = next(iter(letters.letters_of_case(case.id)), None)
        html = render_template(
            "portal/case.html",
            token=token,
            case=case,
            creditor=workspace,
            claim=claim,
            qr=svg_data_uri(payload) if payload and case.status != "closed" else None,
            last_letter=last,
        )
    return portal_response(html)
