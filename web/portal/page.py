"""The portal page itself: what is owed, the letters received, how to pay, and the options."""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from letters.qr import epc_payload, svg_data_uri
from tenants.clock import today_in_spain
from tenants.models.collections import UNSENT_STATUSES
from tenants.services.collections import claims, letters
from tenants.storage import DocumentStore
from web.portal import bp, open_case, portal_response

# A letter the debtor received: it left (email or post), whatever happened to it after.
SENT_STATUSES = ("sent", "posted", "delivered")
assert not set(SENT_STATUSES) & set(UNSENT_STATUSES)


def sent_letters(case) -> list:
    """The case's letters to the debtor that actually left, newest first (no guarantor's
    copy, nothing still waiting, cancelled or skipped)."""
    return [
        x
        for x in letters.letters_of_case(case.id)
        if x.status in SENT_STATUSES
        and x.copy_of_id is None
        and x.party_id == case.party_id
        and x.pdf_sha256
    ]


def render_page(token: str, case, workspace, status: int = 200, **forms):
    from web.portal import telling

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
        received=sent_letters(case),
        told=request.args.get("told"),
        **telling.forms(**forms),
    )
    return portal_response(html, status)


@bp.get("/<token>")
def case_page(token: str):
    with open_case(token) as (case, workspace):
        return render_page(token, case, workspace)


@bp.get("/<token>/letters/<int:letter_id>.pdf")
def letter_pdf(token: str, letter_id: int):
    with open_case(token) as (case, _workspace):
        letter = next((x for x in sent_letters(case) if x.id == letter_id), None)
        store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
        if letter is None or not store.exists(letter.pdf_sha256):
            abort(portal_response(render_template("portal/gone.html", reason="unknown"), 404))
        response = portal_response(store.get(letter.pdf_sha256))
        response.mimetype = "application/pdf"
        response.headers["Content-Disposition"] = f'attachment; filename="letter-{letter.id}.pdf"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
