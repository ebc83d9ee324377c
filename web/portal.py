"""The debtor portal, `/p/<token>`: the page the QR code and the link of every letter open.

No login: the token printed on the letter is the key, and it shows only that debtor's case.
For now it tells what is owed and how to pay by transfer (with the same EPC QR code as the
letter); paying by card, proposing instalments and disputing online come with the Stripe work.
The page speaks the debtor's language, is never cached or indexed, and sends no referrer.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import force_locale

from letters.qr import epc_payload, svg_data_uri
from tenants import db
from tenants.clock import today_in_spain
from tenants.db import tenant_context
from tenants.models import Workspace
from tenants.services.collections import cases, claims, letters
from tenants.services.errors import NotFound

bp = Blueprint("portal", __name__, url_prefix="/p")


@bp.get("/<token>")
def case_page(token: str):
    tenant_id = cases.tenant_of_portal_token(token)
    if tenant_id is None:
        abort(404)
    with tenant_context(tenant_id):
        try:
            case = cases.case_by_portal_token(token)
        except NotFound:
            abort(404)
        workspace = db.session.get(Workspace, tenant_id)
        claim = claims.claim_of_case(case, today_in_spain())
        payload = epc_payload(
            name=claim.payee.beneficiary,
            iban=claim.payee.iban or "",
            amount=claim.total,
            remittance=claim.reference,
        )
        last = next(iter(letters.letters_of_case(case.id)), None)
        with force_locale(case.party.language if case.party.language in ("es", "en") else "es"):
            html = render_template(
                "portal/case.html",
                case=case,
                creditor=workspace,
                claim=claim,
                qr=svg_data_uri(payload) if payload and case.status != "closed" else None,
                last_letter=last,
            )
    return (
        html,
        200,
        {
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
