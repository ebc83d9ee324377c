"""The debtor portal, `/p/<token>`: the page the QR code and the link of every letter open.

No login: the token printed on the letter is the key, and it shows only that debtor's case.
For now it tells what is owed and how to pay by transfer (with the same EPC QR code as the
letter); paying by card, proposing instalments and disputing online come with the Stripe work.
The page speaks the debtor's language, is never cached or indexed, and sends no referrer.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import force_locale

from jobs.rentals import today_in_spain
from letters.qr import epc_payload, svg_data_uri
from tenants import db
from tenants.db import tenant_context
from tenants.models import Workspace
from tenants.services.collections import cases, letters
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
        today = today_in_spain()
        charges = [c for c in cases.open_charges(case.id) if c.due_date < today]
        balance = sum((c.outstanding for c in charges), 0)
        leases = cases.leases_of(case.id)
        iban = (leases[0].iban if leases and leases[0].iban else None) or workspace.iban
        remittance = ", ".join(c.number for c in charges if c.number) or f"AMP-{case.id}"
        payload = epc_payload(
            name=workspace.letterhead_name, iban=iban or "", amount=balance, remittance=remittance
        )
        last = next(iter(letters.letters_of_case(case.id)), None)
        with force_locale(case.party.language if case.party.language in ("es", "en") else "es"):
            html = render_template(
                "portal/case.html",
                case=case,
                creditor=workspace,
                charges=charges if case.status != "closed" else [],
                balance=balance if case.status != "closed" else 0,
                iban=iban,
                remittance=remittance,
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
