"""Instalment plans: the debtor proposes on the portal, the creditor decides on the case page
(accept, reject with a reason, counter-propose) or offers one; an accepted plan has a schedule,
holds the ladder (pause reason "plan"), reminds the debtor 3 days before each instalment and,
when an instalment is not paid by its date, is broken: the ladder resumes the day after.

Each instalment is paid by card (card payments' Checkout, with metadata instalment_id; their
webhook books the money and calls `card_paid`) or by SEPA Direct Debit, saved once per plan
(`save_sepa_mandate`: a Customer, a sepa_debit PaymentMethod and a SetupIntent confirmed with
the mandate the debtor accepted online, on the creditor's Connect account) and charged on each
due date by a job (`charge`), whose idempotency key is stored before the first attempt.

The rules (docs/law.md#instalment-plans, docs/law.md#sepa-core-mandate):
- 2 to 12 instalments, monthly from a first date between today and FIRST_DATE_HORIZON days;
- the amounts add up to what the case claims today (claims.claim_of_case): each is the total
  divided by the count, to the cent, and the last one takes the cents left;
- the SEPA Core mandate names the creditor, carries a unique reference, and tells the debtor
  of the right to a refund within 8 weeks of a debit (Reglamento (UE) 260/2012; Real
  Decreto-ley 19/2018 de servicios de pago, arts. 47 and 48).

Every step is a line on the case timeline and an email to the other side (tenants/outbox.py
topics handled by jobs/instalments.py), in the recipient's language.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from stdnum import iban as iban_check

from tenants import outbox
from tenants.db import current_tenant_id, session, tenant_context, utcnow
from tenants.models import Case, User
from tenants.models.instalments import LIVE_STATUSES, OPEN_STATUSES, Instalment, InstalmentPlan
from tenants.permissions import check
from tenants.services.billing import events, stripe_api
from tenants.services.collections import case_actions, cases, claims
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import parse_amount
from tenants.services.values import check_day

MIN_COUNT, MAX_COUNT = 2, 12
FIRST_DATE_HORIZON = 60  # days from today the first instalment may be
REMIND_DAYS_BEFORE = 3
CENT = Decimal("0.01")

# The jobs that tell the other side (jobs/instalments.py), by outbox topic.
PLAN_EMAIL = "jobs.instalments:plan_email"  # (tenant_id, plan_id, what)
SEPA_KIND = "instalment_sepa"  # metadata.amparo_kind of our SEPA objects at Stripe


@dataclass(frozen=True)
class Terms:
    count: int
    first_due_on: date
    amount_each: Decimal
    total: Decimal

    @property
    def last_amount(self) -> Decimal:
        return self.total - self.amount_each * (self.count - 1)


# --- reading ----------------------------------------------------------------------------------


def get_plan(plan_id: int, case_id: int | None = None) -> InstalmentPlan:
    """The plan in the current workspace (another workspace's id: NotFound, a 404); with
    `case_id`, only if it is that case's (a portal token never reaches another case's plan)."""
    plan = session.scalar(select(InstalmentPlan).where(InstalmentPlan.id == plan_id))
    if plan is None or (case_id is not None and plan.case_id != case_id):
        raise NotFound(plan_id)
    return plan


def plans_of_case(case_id: int) -> list[InstalmentPlan]:
    """Newest first."""
    return list(
        session.scalars(
            select(InstalmentPlan)
            .where(InstalmentPlan.case_id == case_id)
            .order_by(InstalmentPlan.id.desc())
        )
    )


def live_plan(case_id: int) -> InstalmentPlan | None:
    """The case's plan waiting for a decision, or running."""
    return session.scalar(
        select(InstalmentPlan)
        .where(InstalmentPlan.case_id == case_id, InstalmentPlan.status.in_(LIVE_STATUSES))
        .order_by(InstalmentPlan.id.desc())
        .limit(1)
    )


def owed_today(case: Case, today: date) -> Decimal:
    return claims.claim_of_case(case, today).total


def suggested_amount(total: Decimal, count: int) -> Decimal:
    """Each instalment: the total divided by the count, to the cent below (the last one takes
    the cents left)."""
    return (total / count).quantize(CENT, rounding=ROUND_DOWN)


# --- the terms --------------------------------------------------------------------------------


def check_terms(case: Case, *, count, first_due_on, amount_each, today: date) -> Terms:
    """The plan's terms if they hold; else ServiceError next to the field that is wrong."""
    if case.status == "closed":
        raise ServiceError("case_closed")
    total = owed_today(case, today)
    if total <= 0:
        raise ServiceError("instalments_nothing_owed")
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ServiceError("instalments_count", "count", min=MIN_COUNT, max=MAX_COUNT) from None
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ServiceError("instalments_count", "count", min=MIN_COUNT, max=MAX_COUNT)
    if first_due_on is None:
        raise ServiceError("required", "first_due_on")
    check_day(first_due_on, "first_due_on")
    if first_due_on < today:
        raise ServiceError("instalments_first_past", "first_due_on")
    latest = today + timedelta(days=FIRST_DATE_HORIZON)
    if first_due_on > latest:
        raise ServiceError("instalments_first_far", "first_due_on", latest=latest)
    suggested = suggested_amount(total, count)
    if amount_each in (None, ""):
        amount = suggested
    else:
        amount = parse_amount(amount_each, "amount_each")
    last = total - amount * (count - 1)
    # The last one takes the cents: it may differ from the others by less than a cent a month.
    if last <= 0 or abs(last - amount) >= CENT * count:
        raise ServiceError(
            "instalments_sum",
            "amount_each",
            count=count,
            total=total,
            amount=amount,
            each=suggested,
        )
    return Terms(count, first_due_on, amount, total)


def due_dates(first: date, count: int) -> list[date]:
    """Monthly from `first`, on the same day (or the month's last day when it has none)."""
    days = []
    for n in range(count):
        index = first.year * 12 + first.month - 1 + n
        year, month = index // 12, index % 12 + 1
        following = date(year + (month == 12), month % 12 + 1, 1)
        days.append(date(year, month, min(first.day, (following - timedelta(days=1)).day)))
    return days


def schedule_of(terms_or_plan) -> list[tuple[date, Decimal]]:
    """(due date, amount) of each instalment: the last one takes the cents."""
    dates = due_dates(terms_or_plan.first_due_on, terms_or_plan.count)
    amounts = [terms_or_plan.amount_each] * (terms_or_plan.count - 1)
    return list(zip(dates, [*amounts, terms_or_plan.last_amount], strict=True))


# --- proposing, offering, deciding ------------------------------------------------------------


def _new_plan(case: Case, terms: Terms, *, by: str, status: str, note: str = "", counter_of=None):
    for old in session.scalars(
        select(InstalmentPlan).where(
            InstalmentPlan.case_id == case.id, InstalmentPlan.status.in_(OPEN_STATUSES)
        )
    ):
        old.status = "superseded"
    plan = InstalmentPlan(
        case_id=case.id,
        status=status,
        proposed_by=by,
        counter_of_id=counter_of.id if counter_of is not None else None,
        count=terms.count,
        first_due_on=terms.first_due_on,
        amount_each=terms.amount_each,
        total=terms.total,
        note=(note or "").strip()[:500],
    )
    session.add(plan)
    session.flush()
    return plan


def _refuse_if_running(case: Case) -> None:
    running = live_plan(case.id)
    if running is not None and running.status == "accepted":
        raise ServiceError("instalments_running")


def _event(case: Case, kind: str, plan: InstalmentPlan, actor: User | None = None, **detail):
    cases.record_event(
        case,
        kind,
        actor=actor,
        plan_id=plan.id,
        count=plan.count,
        amount=plan.amount_each,
        last=plan.last_amount,
        first_due_on=plan.first_due_on,
        **detail,
    )


def _tell(plan: InstalmentPlan, what: str, instalment_id: int | None = None) -> None:
    outbox.request(PLAN_EMAIL, current_tenant_id(), plan.id, what, instalment_id)


def propose(case: Case, *, count, first_due_on, amount_each, today: date, note: str = ""):
    """The debtor proposes a plan on the portal (replacing a proposal of theirs still open)."""
    _refuse_if_running(case)
    terms = check_terms(
        case, count=count, first_due_on=first_due_on, amount_each=amount_each, today=today
    )
    plan = _new_plan(case, terms, by="debtor", status="proposed", note=note)
    _event(case, "plan_proposed", plan)
    _tell(plan, "proposed")
    session.flush()
    return plan


def offer(
    case_id: int,
    *,
    count,
    first_due_on,
    amount_each,
    actor: User,
    today: date,
    counter_of: InstalmentPlan | None = None,
) -> InstalmentPlan:
    """The creditor offers a plan from the case page, or answers a proposal with another one
    (`counter_of`); the debtor accepts it on the portal."""
    check(actor, "instalments.decide")
    case = cases.get_case(case_id)
    _refuse_if_running(case)
    terms = check_terms(
        case, count=count, first_due_on=first_due_on, amount_each=amount_each, today=today
    )
    if counter_of is not None:
        counter_of.status = "countered"
        counter_of.decided_at = utcnow()
        counter_of.decided_by_id = actor.id
    plan = _new_plan(case, terms, by="creditor", status="offered", counter_of=counter_of)
    _event(case, "plan_countered" if counter_of is not None else "plan_offered", plan, actor)
    _tell(plan, "offered")
    session.flush()
    return plan


def decide(
    plan_id: int,
    *,
    decision: str,
    actor: User,
    today: date,
    reason: str = "",
    count=None,
    first_due_on=None,
    amount_each=None,
) -> InstalmentPlan:
    """The creditor's answer to the debtor's proposal: "accept", "reject" (with a reason the
    debtor is shown) or "counter" (another plan, which the debtor may accept)."""
    check(actor, "instalments.decide")
    plan = get_plan(plan_id)
    case = cases.get_case(plan.case_id)
    if plan.status != "proposed":
        raise ServiceError("instalments_not_open")
    if decision == "accept":
        _accept(plan, case, today, actor=actor)
    elif decision == "reject":
        reason = (reason or "").strip()
        if not reason:
            raise ServiceError("required", "reason")
        plan.status = "rejected"
        plan.reject_reason = reason[:500]
        plan.decided_at = utcnow()
        plan.decided_by_id = actor.id
        _event(case, "plan_rejected", plan, actor, reason=plan.reject_reason)
        _tell(plan, "rejected")
    elif decision == "counter":
        return offer(
            case.id,
            count=count,
            first_due_on=first_due_on,
            amount_each=amount_each,
            actor=actor,
            today=today,
            counter_of=plan,
        )
    else:
        raise ServiceError("choice_invalid", "decision")
    session.flush()
    return plan


def cancel(plan_id: int, *, actor: User, today: date, reason: str) -> InstalmentPlan:
    """The creditor ends a running plan (the debtor asked for it, or it no longer fits), with a
    reason the debtor is shown: the instalments not paid stop being reminded or debited, and the
    ladder climbs again from today for what is still owed."""
    check(actor, "instalments.decide")
    plan = get_plan(plan_id)
    case = cases.get_case(plan.case_id)
    if plan.status != "accepted":
        raise ServiceError("instalments_not_running")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("required", "reason")
    plan.status = "cancelled"
    plan.reject_reason = reason[:500]
    plan.ended_on = today
    _event(case, "plan_cancelled", plan, actor, reason=plan.reject_reason)
    case_actions.resume_after_plan(case, today, kind="plan_ended")
    _tell(plan, "cancelled")
    session.flush()
    return plan


def accept_offer(case: Case, plan_id: int, *, today: date) -> InstalmentPlan:
    """The debtor accepts the creditor's offer (or counter-proposal) on the portal."""
    plan = get_plan(plan_id, case.id)
    if plan.status != "offered":
        raise ServiceError("instalments_not_open")
    _accept(plan, case, today, actor=None)
    session.flush()
    return plan


def _accept(plan: InstalmentPlan, case: Case, today: date, *, actor: User | None) -> None:
    if case.status == "closed":
        raise ServiceError("case_closed")
    if plan.first_due_on < today:
        raise ServiceError("instalments_first_past", "first_due_on")
    plan.status = "accepted"
    plan.decided_at = utcnow()
    plan.decided_by_id = actor.id if actor is not None else None
    for position, (due_on, amount) in enumerate(schedule_of(plan), start=1):
        plan.instalments.append(Instalment(position=position, due_on=due_on, amount=amount))
    session.flush()
    _event(case, "plan_accepted", plan, actor, by="creditor" if actor else "debtor")
    # The ladder holds while the plan runs (case_actions knows pausing, and cancels the
    # letters not yet sent).
    case_actions.pause_case(case.id, reason="plan", note="", until=None, actor=actor, today=today)
    _tell(plan, "accepted_by_creditor" if actor is not None else "accepted_by_debtor")


# --- the schedule's days ----------------------------------------------------------------------


def _running_instalments(*where):
    """Instalments of accepted plans whose case is still open: a case paid off some other
    way (a transfer, a card payment of the whole debt) is reminded, debited and broken no
    more."""
    return session.scalars(
        select(Instalment)
        .join(InstalmentPlan, Instalment.plan_id == InstalmentPlan.id)
        .join(Case, Case.id == InstalmentPlan.case_id)
        .where(InstalmentPlan.status == "accepted", Case.status != "closed", *where)
        .order_by(Instalment.due_on, Instalment.id)
    )


def reminders_due(today: date) -> list[int]:
    """Instalments due in REMIND_DAYS_BEFORE days (or sooner: a late run catches up) whose
    debtor has not been reminded yet."""
    return [
        i.id
        for i in _running_instalments(
            Instalment.status == "pending",
            Instalment.reminded_on.is_(None),
            Instalment.due_on > today,
            Instalment.due_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
    ]


def mark_reminded(instalment_id: int, today: date) -> bool:
    """Claim the reminder of one instalment (locked): True the first time only."""
    row = session.scalar(select(Instalment).where(Instalment.id == instalment_id).with_for_update())
    if row is None or row.reminded_on is not None or row.status != "pending":
        return False
    row.reminded_on = today
    return True


def break_missed(today: date) -> list[int]:
    """Instalments whose date has passed unpaid are missed: their plan is broken and the
    ladder resumes today (the day after the date). Returns the broken plans' ids."""
    broken = []
    for row in list(
        _running_instalments(
            Instalment.status.in_(("pending", "failed")), Instalment.due_on < today
        )
    ):
        plan = row.plan
        if plan.status != "accepted":
            continue  # broken already by an earlier instalment of this run
        row.status = "missed"
        _break(plan, row, today)
        broken.append(plan.id)
    session.flush()
    return broken


def _break(plan: InstalmentPlan, row: Instalment, today: date) -> None:
    plan.status = "broken"
    plan.ended_on = today
    case = session.get(Case, plan.case_id)
    cases.record_event(
        case,
        "plan_missed",
        plan_id=plan.id,
        position=row.position,
        due_on=row.due_on,
        amount=row.amount,
    )
    case_actions.resume_after_plan(case, today, kind="plan_broken")
    _tell(plan, "broken", row.id)


# --- paying -----------------------------------------------------------------------------------


def get_instalment(instalment_id: int, case_id: int | None = None) -> Instalment:
    row = session.scalar(select(Instalment).where(Instalment.id == instalment_id))
    if row is None or (case_id is not None and row.plan.case_id != case_id):
        raise NotFound(instalment_id)
    return row


def payable(case_id: int) -> Instalment | None:
    """The instalment the debtor pays next (the earliest not paid of the running plan)."""
    plan = live_plan(case_id)
    if plan is None or plan.status != "accepted" or session.get(Case, case_id).status == "closed":
        return None
    return next((i for i in plan.instalments if i.status in ("pending", "failed")), None)


def _paid(row: Instalment, on: date, method: str) -> bool:
    """Mark one instalment paid (once). Closes the plan when it was the last one."""
    if row.status == "paid":
        return False
    row.status = "paid"
    row.paid_on = on
    row.paid_by = method
    row.failure = ""
    plan = row.plan
    case = session.get(Case, plan.case_id)
    cases.record_event(
        case,
        "instalment_paid",
        plan_id=plan.id,
        position=row.position,
        amount=row.amount,
        method=method,
        received_on=on,
    )
    _tell(plan, "paid", row.id)
    if all(i.status == "paid" for i in plan.instalments) and plan.status == "accepted":
        plan.status = "completed"
        plan.ended_on = on
        cases.record_event(case, "plan_completed", plan_id=plan.id)
        case_actions.resume_after_plan(case, on, kind="plan_ended")
    session.flush()
    return True


def card_paid(instalment_id: int, *, received_on: date, reference: str = "") -> bool:
    """Card payments' hook: the Checkout session of this instalment was paid (the money is
    booked by their webhook through pay_case). Applying twice changes nothing."""
    row = session.scalar(select(Instalment).where(Instalment.id == instalment_id).with_for_update())
    if row is None:
        return False
    return _paid(row, received_on, "card")


def _lock(instalment_id: int) -> Instalment | None:
    return session.scalar(
        select(Instalment).where(Instalment.id == instalment_id).with_for_update()
    )


# --- SEPA Direct Debit ------------------------------------------------------------------------


def mandate_reference(plan: InstalmentPlan) -> str:
    """Unique per creditor and mandate (the SEPA rulebook allows 35 characters)."""
    return f"AMP-{plan.tenant_id}-{plan.case_id}-{plan.id}"


def connect_account() -> str | None:
    """The creditor's Stripe Connect account the debits go to, when it takes charges (card
    payments onboard it: tenants/services/billing/connect.py)."""
    from tenants.services.billing import connect

    account = connect.charging_account()
    return account.account_id if account is not None else None


def save_sepa_mandate(
    case: Case, plan_id: int, *, name: str, iban: str, accepted: bool, ip: str, user_agent: str
) -> InstalmentPlan:
    """The debtor gives name and IBAN and accepts the mandate: a Customer, a sepa_debit
    PaymentMethod and a SetupIntent confirmed with the mandate (accepted online, from `ip`
    with `user_agent`) on the creditor's Connect account. From then on the plan's instalments
    are debited on their dates."""
    plan = get_plan(plan_id, case.id)
    if plan.status != "accepted":
        raise ServiceError("instalments_not_running")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("required", "name")
    name = name[:120]  # the form says so first (Length(max=120))
    compact = iban_check.compact(iban or "")
    if not compact:
        raise ServiceError("required", "iban")
    if not iban_check.is_valid(compact):
        raise ServiceError("iban_invalid", "iban")
    if not accepted:
        raise ServiceError("sepa_mandate_not_accepted", "accepted")
    account = connect_account()
    if account is None:
        raise ServiceError("sepa_unavailable")
    reference = mandate_reference(plan)
    digest = hashlib.sha256(compact.encode()).hexdigest()[:16]
    purpose = f"instalment-plan:{plan.id}:sepa:{digest}"
    meta = {
        "tenant_id": str(case.tenant_id),
        "case_id": str(case.id),
        "plan_id": str(plan.id),
        "mandate_reference": reference,
        "amparo_kind": SEPA_KIND,
    }
    stripe = stripe_api.client().v1
    customer = stripe.customers.create(
        params={"name": name, "email": case.party.email or None, "metadata": meta},
        options=stripe_api.options(f"{purpose}:customer", account=account),
    )
    method = stripe.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": compact},
            "billing_details": {"name": name, "email": case.party.email or None},
            "metadata": meta,
        },
        options=stripe_api.options(f"{purpose}:payment_method", account=account),
    )
    setup = stripe.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method_types": ["sepa_debit"],
            "usage": "off_session",
            "metadata": meta,
        },
        options=stripe_api.options(f"{purpose}:setup_intent", account=account),
    )
    setup = stripe.setup_intents.confirm(
        setup.id,
        params={
            "payment_method": method.id,
            "mandate_data": {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": ip or "127.0.0.1", "user_agent": user_agent or "-"},
                }
            },
        },
        options=stripe_api.options(f"{purpose}:confirm", account=account),
    )
    if setup.status != "succeeded":
        raise ServiceError("sepa_not_confirmed", "iban")
    plan.method = "sepa_debit"
    plan.sepa_name = name
    plan.iban_last4 = compact[-4:]
    plan.mandate_reference = reference
    plan.mandate_accepted_at = utcnow()
    plan.mandate_ip = (ip or "")[:64]
    plan.mandate_user_agent = (user_agent or "")[:300]
    plan.stripe_account = account
    plan.stripe_customer_id = customer.id
    plan.stripe_payment_method_id = method.id
    plan.stripe_setup_intent_id = setup.id
    cases.record_event(
        case, "sepa_mandate", plan_id=plan.id, reference=reference, iban_last4=plan.iban_last4
    )
    _tell(plan, "sepa")
    session.flush()
    return plan


def charges_due(today: date) -> list[int]:
    """SEPA instalments due today (or earlier today's run missed) not yet charged."""
    return [
        i.id
        for i in _running_instalments(
            InstalmentPlan.method == "sepa_debit",
            Instalment.status == "pending",
            Instalment.payment_intent_id.is_(None),
            Instalment.due_on <= today,
        )
    ]


def charges_processing() -> list[int]:
    """SEPA instalments charged whose result has not been applied yet."""
    return [
        i.id
        for i in _running_instalments(
            Instalment.status == "pending", Instalment.payment_intent_id.is_not(None)
        )
    ]


def charge(instalment_id: int, today: date) -> str | None:
    """Debit one SEPA instalment (off_session, confirmed at once) on its date, once: the
    idempotency key is stored (and committed) before the first attempt, so a retried job
    sends it again and Stripe answers with the first PaymentIntent. Returns the intent's
    status, or None when there is nothing to charge."""
    row = _lock(instalment_id)
    if row is None or row.status != "pending" or row.plan.status != "accepted":
        return None
    plan = row.plan
    if plan.method != "sepa_debit" or row.due_on > today:
        return None
    if session.get(Case, plan.case_id).status == "closed":
        return None  # paid off some other way: nothing to debit
    if row.payment_intent_id:
        return settle(instalment_id)
    purpose = f"instalment:{row.id}:charge"
    opts = stripe_api.options(purpose, account=plan.stripe_account or None)
    row.charge_key = opts["idempotency_key"]
    try:
        intent = stripe_api.client().v1.payment_intents.create(
            params={
                "amount": int((row.amount * 100).to_integral_value()),
                "currency": "eur",
                "customer": plan.stripe_customer_id,
                "payment_method": plan.stripe_payment_method_id,
                "payment_method_types": ["sepa_debit"],
                "off_session": True,
                "confirm": True,
                "description": (
                    f"{claims.payment_reference(plan.case_id)} {row.position}/{plan.count}"
                ),
                "metadata": {
                    "tenant_id": str(plan.tenant_id),
                    "case_id": str(plan.case_id),
                    "plan_id": str(plan.id),
                    "instalment_id": str(row.id),
                    "amparo_kind": SEPA_KIND,
                },
            },
            options=opts,
        )
    except stripe_api.StripeUnavailable as error:
        if error.retryable:
            raise
        _failed(row, today, error.stripe_code or error.code)
        return "failed"
    return apply_intent(row, intent, today)


def settle(instalment_id: int, today: date | None = None) -> str | None:
    """Read a charged instalment's PaymentIntent as Stripe has it now, and apply it."""
    row = _lock(instalment_id)
    if row is None or not row.payment_intent_id:
        return None
    intent = stripe_api.client().v1.payment_intents.retrieve(
        row.payment_intent_id, options={"stripe_account": row.plan.stripe_account or None}
    )
    return apply_intent(row, intent, today)


def apply_intent(row: Instalment, intent, today: date | None = None) -> str:
    """Apply a PaymentIntent's current state to its instalment: succeeded → the money is booked
    on the case (pay_case, keyed by the intent) and the instalment paid; failed → the
    instalment failed (the plan breaks the day after its date). Twice or late: nothing more."""
    from tenants.clock import date_in_spain

    data = intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)
    today = today or date_in_spain(utcnow())
    row.payment_intent_id = row.payment_intent_id or data["id"]
    status = data.get("status")
    if status == "succeeded" and row.status != "paid":
        from tenants.services.portal.payments import pay_case

        pay_case(
            row.plan.case_id,
            row.amount,
            received_on=min(today, date_in_spain(utcnow())),
            method="direct_debit",
            reference=f"Stripe {data['id']}",
        )
        _paid(row, today, "sepa_debit")
    elif status in ("requires_payment_method", "canceled") and row.status == "pending":
        error = data.get("last_payment_error") or {}
        _failed(row, today, error.get("code") or status)
    session.flush()
    return status


@events.handles("payment_intent.succeeded", "payment_intent.payment_failed")
def _sepa_intent_changed(event: dict, account: str | None) -> None:
    """A SEPA debit of an instalment succeeded or failed: read it as Stripe has it now and
    apply it (once: the instalment's state and the intent's id are the keys)."""
    metadata = event["data"]["object"].get("metadata") or {}
    tenant_id = str(metadata.get("tenant_id", ""))
    if metadata.get("amparo_kind") != SEPA_KIND or not tenant_id.isdigit():
        return
    intent = events.current(event)
    with tenant_context(int(tenant_id)):
        row = instalment_by_intent(intent["id"])
        if row is None and str(metadata.get("instalment_id", "")).isdigit():
            row = session.scalar(
                select(Instalment)
                .where(Instalment.id == int(metadata["instalment_id"]))
                .with_for_update()
            )
        if row is not None and row.payment_intent_id in (None, intent["id"]):
            apply_intent(row, intent)


def _failed(row: Instalment, today: date, why: str) -> None:
    row.status = "failed"
    row.failure = str(why)[:300]
    plan = row.plan
    case = session.get(Case, plan.case_id)
    cases.record_event(
        case,
        "instalment_failed",
        plan_id=plan.id,
        position=row.position,
        amount=row.amount,
        due_on=row.due_on,
    )
    _tell(plan, "failed", row.id)
    session.flush()


def instalment_by_intent(intent_id: str) -> Instalment | None:
    return session.scalar(select(Instalment).where(Instalment.payment_intent_id == intent_id))
