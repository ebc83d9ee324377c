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

from sqlalchemy import or_, select

from tenants.clock import calendar_name, date_in_spain
from tenants.db import current_tenant_id, session
from tenants.models import (
    Case,
    Charge,
    Deposit,
    Lease,
    LeaseParty,
    Letter,
    Member,
    Party,
    RentUpdate,
    User,
    Workspace,
)
from tenants.services.badge import issuance
from tenants.services.billing import plans
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
        "channel": letter.channel,
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
        "earlier_letters": [],
        "invoice_files": [],
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
    return {
        "name": party.name,
        "kind": party.kind,  # a company is greeted "Muy señores nuestros"
        # "sr" / "sra" greets a person "Estimada Sra. Gómez Ruiz:"; None names them in full.
        "form_of_address": party.form_of_address if party.kind != "company" else None,
        "surnames": surnames(party.name),
        "nif": party.tax_id or "",
        "address_lines": party.address_lines,
    }


def surnames(name: str) -> str:
    """The surnames a greeting uses after Sr./Sra., kept simple: a name of three words or more
    ends with its two surnames, as Spanish names do ("Marta Gómez Ruiz" -> "Gómez Ruiz"); a name
    of two words ends with one ("Sofia Rossi" -> "Rossi"); a single word is the whole name.
    A compound first name ("María José Gómez") reads wrong; the letter's author can then leave
    the form of address unsaid, and the name is printed in full."""
    words = (name or "").split()
    if len(words) >= 3:
        return " ".join(words[-2:])
    return words[-1] if words else ""


def _creditor(workspace: Workspace, store: DocumentStore | None, base_url: str) -> dict:
    logo = None
    if workspace.logo_sha256 and store is not None and store.exists(workspace.logo_sha256):
        content = store.get(workspace.logo_sha256)
        mime = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
        logo = f"data:{mime};base64,{base64.b64encode(content).decode()}"
    badge = issuance.workspace_badge()
    protected = badge is not None and badge.state == "active" and plans.has("badge")
    return {
        "name": workspace.letterhead_name,
        "nif": workspace.tax_id,
        "address_lines": workspace.address_lines,
        "email": workspace.contact_email,
        "phone": workspace.phone,
        "logo": logo,
        # The badge while it is active (and the plan still has it): compose draws its art,
        # with the QR of the verify page; a suspended or revoked badge prints nothing.
        "protected": protected,
        "verify_url": f"{base_url.rstrip('/')}/verify/{badge.token}" if protected else None,
        "signatory": _signatory(workspace),
    }


def _signatory(workspace: Workspace) -> str | None:
    """The person who signs for the creditor: the one the letterhead names ("Ana Pérez,
    abogada"), else the workspace's owner (a law firm's partner), named under the letterhead's
    name unless they are the creditor themself."""
    named = (workspace.signatory_name or "").strip()
    if named:
        role = (workspace.signatory_role or "").strip()
        return f"{named}, {role}" if role else named
    name = session.scalar(
        select(User.name)
        .join(Member, Member.user_id == User.id)
        .where(Member.role.in_(("owner", "partner")))
        .order_by(Member.id)
        .limit(1)
    )
    name = (name or "").strip()
    if not name or name.casefold() == workspace.letterhead_name.strip().casefold():
        return None
    return name


def _charge_row(owed: claims.OwedCharge) -> dict:
    return {
        "description": owed.description,
        "period": owed.period,  # a rent's month, printed "Renta de septiembre de 2026"
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
    # What is owed on the day the letter is written: a charge fallen due since the last sweep
    # is claimed too (docs/law.md#amounts-on-the-letters-day).
    cases.take_in_for_case(case, today)
    leases = cases.leases_of(case.id)
    guaranteed = _guaranteed_leases(letter, leases)
    claim = claims.claim_of_case(case, today, letter=letter, lease_ids=guaranteed)
    if guaranteed is not None:
        leases = [lease for lease in leases if lease.id in guaranteed]
    context["debtor"] = _party(case.party)
    context["charges"] = [_charge_row(c) for c in claim.charges]
    context["principal"] = claim.principal
    context["earlier_letters"] = _earlier_letters(case, letter)
    if case.party.is_business:
        context["invoice_files"] = _invoice_files(claim)
    if claim.is_demand:
        context["interest"] = _interest_table(claim)
        context["compensation_count"] = claim.compensation_count
        context["compensation"] = claim.compensation
    context["total"] = claim.total
    context["lease"] = _lease_info(leases[0] if leases else None)
    context["payment"] = _payment(
        iban=claim.payee.iban,
        beneficiary=claim.payee.beneficiary,
        remittance=claim.reference,
        # The debtor's page shows the whole case: a guarantor's copy does not lead there.
        portal_url=""
        if guaranteed is not None
        else f"{base_url.rstrip('/')}/p/{case.portal_token}",
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


def _guaranteed_leases(letter: Letter, leases: list[Lease]) -> set[int] | None:
    """A guarantor's copy claims only the leases that guarantor signed for; None for the
    debtor's own letter, which claims the whole case (docs/law.md#gdpr-debtor-privacy)."""
    if letter.copy_of_id is None:
        return None
    signed = set(
        session.scalars(
            select(LeaseParty.lease_id).where(
                LeaseParty.party_id == letter.party_id,
                LeaseParty.role == "guarantor",
                LeaseParty.lease_id.in_([lease.id for lease in leases]),
            )
        )
    )
    return signed


def _invoice_files(claim: claims.Claim) -> list[dict]:
    """The PDFs on file of the unpaid invoices a business client's letter claims: its email
    attaches them (jobs/mail.py), so the client can check each invoice."""
    ids = [c.charge_id for c in claim.charges if c.number]
    if not ids:
        return []
    rows = session.execute(
        select(Charge.number, Charge.attachment_sha256, Charge.attachment_name)
        .where(Charge.id.in_(ids), Charge.attachment_sha256.is_not(None))
        .order_by(Charge.due_date, Charge.id)
    ).all()
    return [{"sha256": sha256, "name": _pdf_name(name or number)} for number, sha256, name in rows]


def _pdf_name(name: str) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip() or "factura"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def _earlier_letters(case: Case, letter: Letter) -> list[dict]:
    """The debtor's letters of this climb that left before this one (emailed or posted), oldest
    first, with the day each left: a letter says "despite our earlier letters" only then, and
    names them."""
    this = letter.copy_of_id or letter.id
    rows = session.execute(
        select(Letter.kind, Letter.sent_at, Letter.posted_on)
        .where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.copy_of_id.is_(None),
            Letter.id != this,
            Letter.step_position < (letter.step_position or 0),
            or_(Letter.sent_at.is_not(None), Letter.posted_on.is_not(None)),
        )
        .order_by(Letter.step_position, Letter.id)
    ).all()
    earlier = []
    for kind, sent_at, posted_on in rows:
        left = date_in_spain(sent_at) if sent_at is not None else posted_on
        earlier.append({"kind": kind, "date": left})
    return sorted(earlier, key=lambda one: one["date"])


def _interest_table(claim: claims.Claim) -> dict:
    periods = {c.label: c.period for c in claim.charges}
    return {
        "regime": claim.regime,
        "from_date": claim.interest_from,
        "rows": [
            {
                "description": segment.charge_label,
                "period": periods.get(segment.charge_label),
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
        # Rates nobody verified yet: the letter waits for approval (docs/law.md#rates-as-data).
        "unverified_rates": [
            {
                "kind": rate.kind,
                "valid_from": rate.valid_from,
                "valid_to": rate.valid_to,
                "rate": rate.rate,
            }
            for rate in claim.unverified_rates
        ],
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
