"""What a letter says, gathered from the database into the plain dict the templates read.

Built once, when the letter is rendered; the dict is kept on the letter (`Letter.context`) next
to its archived PDF. The contract of the dict is in letters/templates (see the letter base).

The law it applies (docs/law.md#ley-3-2004 and docs/law.md#cc-1108-legal-interest):
- A business debtor owes Ley 3/2004 interest from the day after the due date and 40 EUR per late
  invoice (art. 8). Both appear from the formal demand on; reminders and claims stay friendly.
- A consumer (a residential renter) owes the legal interest only from a formal demand (Código
  Civil arts. 1100 and 1108): the formal demand starts it, the certified demand claims it.
- The formal demand gives a deadline in business days (Spanish public holidays skipped).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from decimal import Decimal

import holidays
from sqlalchemy import select

from tenants.db import current_tenant_id, session
from tenants.models import Case, Charge, Deposit, Lease, Letter, Party, RentUpdate, Workspace
from tenants.services.collections import cases, ladders
from tenants.services.receivables import late_payment
from tenants.services.rentals import deposits
from tenants.storage import DocumentStore

DEMANDS = ("formal_demand", "certified_demand")
NEXT_STEPS = ("claim_2", "formal_demand", "certified_demand", "escalation")
ZERO = Decimal("0.00")


def build_context(
    letter: Letter, now: datetime, *, store: DocumentStore | None = None, base_url: str = ""
) -> dict:
    """The context of `letter` as of `now`. `store` gives the logo, `base_url` the links."""
    today = cases.madrid_today(now)
    workspace = session.get(Workspace, current_tenant_id())
    recipient = letter.party
    context = {
        "kind": letter.kind,
        "date": today,
        "place": workspace.city or "",
        "reference": f"AMP-{letter.case_id or letter.lease_id or 0}-{letter.id}",
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
        _ladder_letter(context, letter, today, workspace, base_url)
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


def _charge_row(charge: Charge, today: date) -> dict:
    if charge.kind == "invoice" and charge.number:
        description = charge.description or charge.number
    else:
        description = _rent_description(charge)
    return {
        "description": description,
        "number": charge.number,
        "due_date": charge.due_date,
        "amount": charge.amount - charge.credited,
        "outstanding": charge.outstanding,
        "days_late": max((today - charge.due_date).days, 0),
    }


def _rent_description(charge: Charge) -> str:
    if charge.kind == "rent" and charge.period_start is not None:
        return f"{charge.period_start:%m/%Y} · {charge.description}".strip(" ·")
    return charge.description or "—"


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
) -> dict:
    return {
        "iban": iban or None,
        "beneficiary": beneficiary,
        "remittance": remittance[:140],
        "deadline": deadline,
        "business_days": days,
        "portal_url": portal_url,
    }


def business_days_after(start: date, days: int) -> date:
    """The day `days` business days after `start`: weekends and Spanish national holidays
    do not count (Ley 39/2015 art. 30 counts administrative deadlines the same way)."""
    spain = holidays.country_holidays("ES", years=range(start.year, start.year + 2))
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in spain:
            days -= 1
    return day


def _ladder_letter(context: dict, letter: Letter, today: date, workspace, base_url: str) -> None:
    case = session.get(Case, letter.case_id)
    debtor = case.party
    context["debtor"] = _party(debtor)
    charges = cases.charges_of_cases([case.id], today).get(case.id, [])
    context["charges"] = [_charge_row(c, today) for c in charges]
    principal = sum((c.outstanding for c in charges), ZERO)
    context["principal"] = principal
    total = principal
    if letter.kind in DEMANDS:
        demand_on = _first_demand_date(case, letter) or today
        claims = [late_payment.claim(c, debtor, today, demand_date=demand_on) for c in charges]
        context["interest"] = _interest_table(claims, charges, debtor, demand_on)
        total += context["interest"]["total"]
        late_invoices = [cl for cl in claims if cl.compensation > 0]
        context["compensation_count"] = len(late_invoices)
        context["compensation"] = sum((cl.compensation for cl in late_invoices), ZERO)
        total += context["compensation"]
    context["total"] = total
    ladder = case.ladder
    if letter.kind in DEMANDS:
        deadline = business_days_after(today, ladder.payment_days)
        days = ladder.payment_days
    else:
        deadline, days = None, None
    leases = cases.leases_of(case.id)
    lease = leases[0] if leases else None
    context["lease"] = _lease_info(lease)
    iban = (lease.iban if lease is not None and lease.iban else None) or workspace.iban
    numbers = ", ".join(c.number for c in charges if c.number)
    context["payment"] = _payment(
        iban=iban,
        beneficiary=workspace.letterhead_name,
        remittance=numbers or context["reference"],
        portal_url=f"{base_url.rstrip('/')}/p/{case.portal_token}",
        deadline=deadline,
        days=days,
    )
    following = ladders.step_at(ladder, (letter.step_position or 0) + 1)
    # A letter announces only the firmer steps (the contract: no "claim_1" after a reminder).
    announced = following is not None and following.kind in NEXT_STEPS
    context["next_step"] = following.kind if announced else None
    if letter.kind in DEMANDS and ladder.credit_file_warning and ladder.credit_file_name:
        context["credit_file"] = {"name": ladder.credit_file_name}


def _first_demand_date(case: Case, letter: Letter) -> date | None:
    """When the debtor was first formally demanded to pay in this climb (a consumer's legal
    interest runs from then)."""
    sent = session.scalar(
        select(Letter.sent_at)
        .where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.kind.in_(DEMANDS),
            Letter.copy_of_id.is_(None),
            Letter.sent_at.is_not(None),
            Letter.id != letter.id,
        )
        .order_by(Letter.sent_at)
        .limit(1)
    )
    if sent is not None:
        return cases.madrid_today(sent)
    posted = session.scalar(
        select(Letter.posted_on)
        .where(
            Letter.case_id == case.id,
            Letter.cycle == case.cycle,
            Letter.kind.in_(DEMANDS),
            Letter.posted_on.is_not(None),
            Letter.id != letter.id,
        )
        .order_by(Letter.posted_on)
        .limit(1)
    )
    return posted


def _interest_table(claims, charges: list[Charge], debtor: Party, demand_on: date) -> dict:
    rows = []
    missing = False
    for claim, charge in zip(claims, charges, strict=True):
        label = charge.number or _rent_description(charge)
        for stretch in claim.stretches:
            for segment in stretch.result.segments:
                rows.append(
                    {
                        "description": label,
                        "first_day": segment.first_day,
                        "last_day": segment.last_day,
                        "days": segment.days,
                        "principal": stretch.principal,
                        "rate": segment.rate,
                        "amount": segment.amount,
                    }
                )
        missing = missing or bool(claim.missing_rates)
    total = sum((c.interest for c in claims), ZERO)
    regime = "business" if debtor.is_business else "consumer"
    return {
        "regime": regime,
        "from_date": demand_on if regime == "consumer" else None,
        "rows": rows,
        "total": total,
        "missing_rates": missing,
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
    context["charges"] = [_charge_row(c, today) for c in rows]
    context["principal"] = context["total"] = sum((c.outstanding for c in rows), ZERO)
    context["payment"] = _payment(
        iban=lease.iban or workspace.iban,
        beneficiary=workspace.letterhead_name,
        remittance=lease.reference or context["reference"],
        portal_url="",
    )
