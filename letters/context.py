"""What a letter says, gathered from the database into the plain dict the templates read.

Built once, when the letter is rendered; the dict is kept on the letter (`Letter.context`) next
to its archived PDF. The contract of the dict is in letters/templates (see the letter base).

What a ladder letter claims (the charges, the interest and the 40 EUR from the formal demand on,
the deadline, the payment reference and account) comes from tenants/services/collections/
claims.py, the answer the debtor portal and the case page show too; this module lays it out.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from tenants.clock import calendar_name, date_in_spain
from tenants.db import current_tenant_id, session
from tenants.models import Case, Charge, Deposit, Lease, Letter, Party, RentUpdate, Workspace
from tenants.services.collections import cases, claims, ladders
from tenants.services.rentals import deposits
from tenants.storage import DocumentStore

NEXT_STEPS = ("claim_2", "formal_demand", "certified_demand", "escalation")
ZERO = Decimal("0.00")


def build_context(
    letter: Letter, now: datetime, *, store: DocumentStore | None = None, base_url: str = ""
) -> dict:
    """The context of `letter` as of `now`. `store` gives the logo, `base_url` the links."""
    today = date_in_spain(now)
    workspace = session.get(Workspace, current_tenant_id())
    recipient = letter.party
    context = {
        "kind": letter.kind,
        "date": today,
        "place": workspace.city or "",
        # Every letter of a case carries the case's one payment reference.
        "reference": (
            claims.payment_reference(letter.case_id)
            if letter.case_id is not None
            else f"AMP-{letter.lease_id or 0}-{letter.id}"
        ),
        "currency": "EUR",
        "creditor": _creditor(workspace, store, base_url),
        "recipient": _party(recipient),
        "is_copy": letter.copy_of_id is not None,
        "debtor": _party(recipient),
        "charges": [],
        "principal": ZERO,
        "interest": None,
        "compensation": ZERO,
        "compensation_count": 0,
        "total": ZERO,
        "payment": None,
        "next_step": None,
        "credit_file": None,
        "lease": None,
        "rent_update": None,
        "settlement": None,
    }
    if letter.case_id is not None:
        _ladder_letter(context, letter, today, base_url)
    elif letter.kind == "rent_update":
        _rent_update(context, letter)
    elif letter.kind == "deposit_settlement":
        _settlement(context, letter, today)
    elif letter.kind == "statement":
        _statement(context, letter, today, workspace, base_url)
    return context


# --- parts ---------------------------------------------------------------------------------


def _party(party: Party) -> dict:
    return {"name": party.name, "nif": party.tax_id or "", "address_lines": party.address_lines}


def _creditor(workspace: Workspace, store: DocumentStore | None, base_url: str) -> dict:
    logo = None
    if workspace.logo_sha256 and store is not None and store.exists(workspace.logo_sha256):
        content = store.get(workspace.logo_sha256)
        mime = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
        logo = f"data:{mime};base64,{base64.b64encode(content).decode()}"
    return {
        "name": workspace.letterhead_name,
        "nif": workspace.tax_id,
        "address_lines": workspace.address_lines,
        "email": workspace.contact_email,
        "phone": workspace.phone,
        "logo": logo,
        "protected": bool(workspace.is_protected),
        "verify_url": None,  # the badge issue adds /verify/<token>
    }


def _charge_row(owed: claims.OwedCharge) -> dict:
    return {
        "description": owed.description,
        "number": owed.number,
        "due_date": owed.due_date,
        "amount": owed.amount,
        "outstanding": owed.outstanding,
        "days_late": owed.days_late,
    }


def _lease_info(lease: Lease | None) -> dict | None:
    if lease is None:
        return None
    return {"address": lease.unit.full_label, "reference": lease.reference}


def _payment(
    *,
    iban: str | None,
    beneficiary: str,
    remittance: str,
    portal_url: str,
    deadline=None,
    days=None,
    calendar=None,
) -> dict:
    return {
        "iban": iban or None,
        "beneficiary": beneficiary,
        "remittance": remittance[:140],
        "deadline": deadline,
        "business_days": days,
        # The holidays the business days skipped, named by language (docs/law.md#deadlines).
        "calendar": calendar_name(calendar) if deadline and days else None,
        "portal_url": portal_url,
    }


def _ladder_letter(context: dict, letter: Letter, today: date, base_url: str) -> None:
    case = session.get(Case, letter.case_id)
    claim = claims.claim_of_case(case, today, letter=letter)
    context["debtor"] = _party(case.party)
    context["charges"] = [_charge_row(c) for c in claim.charges]
    context["principal"] = claim.principal
    if claim.is_demand:
        context["interest"] = _interest_table(claim)
        context["compensation_count"] = claim.compensation_count
        context["compensation"] = claim.compensation
    context["total"] = claim.total
    leases = cases.leases_of(case.id)
    context["lease"] = _lease_info(leases[0] if leases else None)
    context["payment"] = _payment(
        iban=claim.payee.iban,
        beneficiary=claim.payee.beneficiary,
        remittance=claim.reference,
        portal_url=f"{base_url.rstrip('/')}/p/{case.portal_token}",
        deadline=claim.deadline,
        days=claim.business_days,
        calendar=claim.calendar,
    )
    ladder = case.ladder
    following = ladders.step_at(ladder, (letter.step_position or 0) + 1)
    # A letter announces only the firmer steps (the contract: no "claim_1" after a reminder).
    announced = following is not None and following.kind in NEXT_STEPS
    context["next_step"] = following.kind if announced else None
    if claim.is_demand and ladder.credit_file_warning and ladder.credit_file_name:
        context["credit_file"] = {"name": ladder.credit_file_name}


def _interest_table(claim: claims.Claim) -> dict:
    return {
        "regime": claim.regime,
        "from_date": claim.interest_from,
        "rows": [
            {
                "description": segment.charge_label,
                "first_day": segment.first_day,
                "last_day": segment.last_day,
                "days": segment.days,
                "principal": segment.principal,
                "rate": segment.rate,
                "amount": segment.amount,
            }
            for segment in claim.interest_segments
        ],
        "total": claim.interest,
        "missing_rates": claim.missing_rates,
    }


def _rent_update(context: dict, letter: Letter) -> None:
    update = session.scalar(
        select(RentUpdate).where(RentUpdate.id == letter.source.get("rent_update_id"))
    )
    lease = session.get(Lease, letter.lease_id) if letter.lease_id else None
    context["lease"] = _lease_info(lease)
    if update is None:
        return
    pct = None
    if update.old_rent:
        pct = ((update.new_rent - update.old_rent) / update.old_rent * 100).quantize(
            Decimal("0.01")
        )
    context["rent_update"] = {
        "old_rent": update.old_rent,
        "new_rent": update.new_rent,
        "effective_on": update.effective_on,
        "index": update.index,
        "index_month": update.index_month,
        "pct": pct,
    }
    context["total"] = update.new_rent


def _settlement(context: dict, letter: Letter, today: date) -> None:
    deposit = session.scalar(select(Deposit).where(Deposit.id == letter.source.get("deposit_id")))
    lease = session.get(Lease, letter.lease_id) if letter.lease_id else None
    context["lease"] = _lease_info(lease)
    if deposit is None:
        return
    result = deposits.settlement(deposit, today)
    late = result.interest.total if result.interest is not None else ZERO
    context["settlement"] = {
        "deposit": result.held,
        "deductions": [
            {"description": d.description, "amount": d.amount} for d in result.deductions
        ],
        "interest": late,
        "to_return": result.to_return + late,
        "still_owed": result.still_owed,
        "keys_returned_on": deposit.keys_returned_on,
        "deadline": result.deadline,
        "returned_on": result.returned_on,
    }
    context["total"] = result.to_return + late


def _statement(context: dict, letter: Letter, today: date, workspace, base_url: str) -> None:
    lease = session.get(Lease, letter.lease_id) if letter.lease_id else None
    context["lease"] = _lease_info(lease)
    if lease is None:
        return
    rows = session.scalars(
        select(Charge)
        .where(
            Charge.lease_id == lease.id,
            cases.outstanding_clause(),
            Charge.due_date <= today,
        )
        .order_by(Charge.due_date, Charge.id)
    ).all()
    context["charges"] = [_charge_row(claims.owed_charge(c, today)) for c in rows]
    context["principal"] = context["total"] = sum((c.outstanding for c in rows), ZERO)
    context["payment"] = _payment(
        iban=lease.iban or workspace.iban,
        beneficiary=workspace.letterhead_name,
        remittance=lease.reference or context["reference"],
        portal_url="",
    )
