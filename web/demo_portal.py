"""The demo's debtors on the portal: reasons told, promises, instalment plans, card payments.

Stripe's servers are not reached: where a step is Amparo's own, it goes through the service;
where the only missing step is Stripe's answer, the rows are written as the service or the
webhook handler would have left them with that answer (an active Express account through
`connect.apply_account_state`, a SEPA mandate as `save_sepa_mandate` leaves it, a debit that
succeeded through `instalments.apply_intent`, a paid Checkout session booked as the
checkout webhook books it). The Stripe ids are fake but have Stripe's shapes.

Each step is dated on the day it would have happened (demo_cases._dated), after the letters
it answers:
- the landlord (its renters climbed the ladder over weeks) connected Stripe weeks ago;
  Andrei Popescu told of a temporary hardship, proposed three instalments, the owner accepted
  them, he signed a SEPA mandate and the first was debited; the second is due in a few days.
  Sofia Rossi paid 400 € on account by card, then promised the rest on the portal (she
  is still more than two months behind);
- the business (it joined today and its letters left this morning) connected Stripe today; by
  the afternoon one client disputes the quality of an order with a PDF attached, one tells of
  a temporary hardship, one promises to pay, one proposes instalments (waiting for the owner)
  and one paid the whole claim by card (the case closed and thanked).

Idempotent: a workspace whose debtors have told anything already is left as it is.
"""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from letters.render import render_pdf
from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Case, DebtorMessage, Member, Party, Payment, User
from tenants.models.card_payments import CardPayment, StripeAccount
from tenants.models.instalments import InstalmentPlan
from tenants.services.billing import connect
from tenants.services.collections import cases, claims, instalments
from tenants.services.platform.workspaces import record_activity
from tenants.services.portal import card, telling
from tenants.storage import DocumentStore
from web.demo_cases import STAMPS, _at, _commit, _dated, _post_paper_letters, _thank

# What these steps stamp with the clock, besides what the ladder's do.
PORTAL_STAMPS = (
    *STAMPS,
    (DebtorMessage, ("created_at",)),
    (InstalmentPlan, ("created_at", "decided_at", "mandate_accepted_at")),
    (StripeAccount, ("created_at", "refreshed_at")),
    (CardPayment, ("created_at", "paid_at")),
    (Payment, ("created_at",)),
)
# What Stripe answers for an Express account that finished onboarding.
ACTIVE_ACCOUNT = {
    "details_submitted": True,
    "charges_enabled": True,
    "payouts_enabled": True,
    "requirements": {"currently_due": [], "past_due": [], "disabled_reason": None},
}
# The debtor's browser when they accept a mandate online (kept with the mandate).
MANDATE_IP = "83.45.112.7"
MANDATE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Mobile Safari/537.36"
)
ANDREI_IBAN = "ES6000491500051234567892"  # well formed (its check digits hold)


def portal_day(kind: str, today: date):
    """What the landlord's debtors and owner did on each day of the ladder's weeks (called by
    seed_cases after each day's pass, so the ladder of the following days sees it)."""
    if kind != "landlord":
        return None

    def on_day(owner: User, day: date) -> None:
        _landlord_day(owner, day, today)

    return on_day


def seed_portal(kind: str, today: date) -> None:
    """The business's debtors answer this morning's letters (it joined today)."""
    if kind != "business" or session.scalar(select(DebtorMessage.id).limit(1)) is not None:
        return
    owner = session.scalar(select(User).join(Member, Member.user_id == User.id).limit(1))
    _business(owner, today)
    _commit()


def _dated_at(day: date, hour: time, minutes: int = 0):
    return _dated(_at(day, hour) + timedelta(minutes=minutes), PORTAL_STAMPS)


def _stripe_id(prefix: str, *seed) -> str:
    """A fake id with Stripe's shape (prefix_ and 24 characters), the same on every run."""
    digest = hashlib.sha256(":".join(str(s) for s in (current_tenant_id(), *seed)).encode())
    return f"{prefix}_1Demo{digest.hexdigest()[:19]}"


def _connect(owner: User, day: date, hour: time) -> StripeAccount:
    """The owner onboarded the workspace's Express account that day (Stripe's page, back to
    the settings): the account Stripe created, then its state once onboarding was done."""
    with _dated_at(day, hour):
        account = StripeAccount(
            tenant_id=current_tenant_id(), account_id=_stripe_id("acct", "connect")
        )
        connect.apply_account_state(account, {"details_submitted": False}, log=False)
        session.add(account)
        session.flush()
        record_activity(owner, "stripe_account.created", account=account.account_id)
    with _dated_at(day, hour, 20):
        connect.apply_account_state(account, ACTIVE_ACCOUNT)
    return account


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _pay_by_card(case: Case, amount: Decimal, day: date, hour: time) -> CardPayment:
    """The debtor paid `amount` on Stripe's Checkout page from the portal: the row
    start_checkout leaves, then what the checkout webhook books once Stripe says the
    PaymentIntent succeeded (card._follow_stripe: pay_case on the case)."""
    account = connect.charging_account()
    purpose = card.case_purpose(case, amount, day)
    with _dated_at(day, hour):
        row = CardPayment(
            tenant_id=case.tenant_id,
            case_id=case.id,
            purpose=purpose,
            account_id=account.account_id,
            session_id=_stripe_id("cs_test", purpose),
            amount=amount,
            application_fee=card.platform_fee(amount),
            extra={},
        )
        session.add(row)
        session.flush()
    with _dated_at(day, hour, 3):
        row.payment_intent_id = _stripe_id("pi", purpose)
        row.received_on = day
        row.paid_at = utcnow()
        cases.record_event(case, "card_paid", amount=row.amount)
        card._follow_stripe(row, day)
    return row


# The landlord's days, counted back from today: the owner connects Stripe; Andrei tells of
# his hardship and proposes 3 instalments, the first 3 days later (so the second is due in a
# few days); the owner accepts the next afternoon and Andrei signs the SEPA mandate that
# night; the first instalment is debited on its day. Sofia pays 400 € on account by card
# once the ladder has ended, and promises the rest later.
CONNECTED, PROPOSED, ACCEPTED, SOFIA_PAYS, SOFIA_PROMISES = 30, 27, 26, 9, 4
ANDREI, SOFIA = "Andrei Popescu", "Sofia Rossi"
SOFIA_ON_ACCOUNT = Decimal("400.00")


def _case_of(name: str) -> Case | None:
    return session.scalar(
        select(Case).join(Party, Party.id == Case.party_id).where(Party.name == name)
    )


def _landlord_day(owner: User, day: date, today: date) -> None:
    days_ago = (today - day).days
    if days_ago == CONNECTED:
        _connect(owner, day, time(9, 0))
    andrei, sofia = _case_of(ANDREI), _case_of(SOFIA)
    if andrei is None or sofia is None:
        return
    if days_ago == PROPOSED:
        with _dated_at(day, time(19, 0)):
            telling.explain(
                andrei.id,
                reason="hardship",
                text=(
                    "Me han reducido la jornada en el trabajo desde septiembre y no llego a "
                    "pagarlo todo de golpe. Puedo pagarlo en tres meses."
                ),
                uploads=[],
                today=day,
                store=_store(),
            )
        with _dated_at(day, time(19, 10)):
            total = instalments.owed_today(andrei, day)
            instalments.propose(
                andrei,
                count=3,
                first_due_on=day + timedelta(days=PROPOSED - ACCEPTED + 2),
                amount_each=instalments.suggested_amount(total, 3),
                today=day,
                note="Cobro la nómina a primeros de mes; mejor cargarlo después.",
            )
    elif days_ago == ACCEPTED:
        # The certified letters approved days ago: the oldest went to the post office the
        # day after it was ready (delivered since), before the plan held the case.
        _post_paper_letters(owner, today, _store())
        plan = instalments.live_plan(andrei.id)
        with _dated_at(day, time(16, 0)):
            instalments.decide(plan.id, decision="accept", actor=owner, today=day)
        with _dated_at(day, time(20, 30)):
            _sepa_mandate(andrei, plan, name=ANDREI, iban=ANDREI_IBAN)
    elif days_ago == SOFIA_PAYS:
        _pay_by_card(sofia, SOFIA_ON_ACCOUNT, day, time(13, 15))
    elif days_ago == SOFIA_PROMISES:
        with _dated_at(day, time(18, 40)):
            telling.promise(
                sofia.id,
                until=today + timedelta(days=10),
                amount=None,
                note="Pago el resto cuando cobre la paga extra de diciembre.",
                today=day,
            )
    plan = instalments.live_plan(andrei.id)
    first = plan.instalments[0] if plan is not None and plan.instalments else None
    if first is not None and first.due_on == day and first.status == "pending":
        with _dated_at(day, time(7, 0)):  # SEPA debits are collected early on their day
            first.charge_key = f"demo:instalment:{first.id}:charge"
            instalments.apply_intent(
                first,
                {"id": _stripe_id("pi", "instalment", first.id), "status": "succeeded"},
                day,
            )
    _commit()


def _sepa_mandate(case: Case, plan: InstalmentPlan, *, name: str, iban: str) -> None:
    """The debtor gave name and IBAN and accepted the mandate on the portal; what
    save_sepa_mandate leaves once Stripe confirmed the SetupIntent."""
    plan.method = "sepa_debit"
    plan.sepa_name = name
    plan.iban_last4 = iban[-4:]
    plan.mandate_reference = instalments.mandate_reference(plan)
    plan.mandate_accepted_at = utcnow()
    plan.mandate_ip = MANDATE_IP
    plan.mandate_user_agent = MANDATE_AGENT
    plan.stripe_account = instalments.connect_account()
    plan.stripe_customer_id = _stripe_id("cus", "plan", plan.id)[:18]
    plan.stripe_payment_method_id = _stripe_id("pm", "plan", plan.id)
    plan.stripe_setup_intent_id = _stripe_id("seti", "plan", plan.id)
    cases.record_event(
        case,
        "sepa_mandate",
        plan_id=plan.id,
        reference=plan.mandate_reference,
        iban_last4=plan.iban_last4,
    )
    session.flush()


def _business(owner: User, today: date) -> None:
    open_cases = [
        row.case
        for row in cases.list_cases("open")
        if row.balance > 0 and row.case.next_action_at is not None
    ]
    if len(open_cases) < 5:
        return
    quality, hardship, promise, plan_case = open_cases[:4]
    paid = min(open_cases[4:], key=lambda c: cases.case_balance(c.id))
    _connect(owner, today, time(11, 30))

    report = render_pdf(
        "<h1>Informe de recepción</h1>"
        f"<p>Pedido recibido el {today - timedelta(days=40):%d/%m/%Y}.</p>"
        "<p>De las 40 cajas, 12 llegaron con el embalaje roto y el género húmedo. "
        "Se adjuntan las fotos del transportista y su firma de la entrega con reservas.</p>"
        "<p>Firmado: Responsable de almacén</p>"
    )
    with _dated_at(today, time(12, 5)):
        telling.explain(
            quality.id,
            reason="quality",
            text=(
                "Parte del pedido llegó dañado (12 de 40 cajas). Pagaremos lo recibido en buen "
                "estado en cuanto nos abonen o repongan el resto. Adjuntamos el informe."
            ),
            uploads=[telling.Upload("informe-recepcion.pdf", report)],
            today=today,
            store=_store(),
        )
    with _dated_at(today, time(12, 40)):
        telling.explain(
            hardship.id,
            reason="hardship",
            text="Un cliente grande nos debe desde el verano; en cuanto cobre, pagamos.",
            uploads=[],
            today=today,
            store=_store(),
        )
    with _dated_at(today, time(13, 10)):
        telling.promise(
            promise.id,
            until=today + timedelta(days=14),
            amount=None,
            note="Pagaremos por transferencia antes de fin de mes.",
            today=today,
        )
    with _dated_at(today, time(13, 45)):
        total = instalments.owed_today(plan_case, today)
        instalments.propose(
            plan_case,
            count=4,
            first_due_on=today + timedelta(days=10),
            amount_each=instalments.suggested_amount(total, 4),
            today=today,
            note="Podemos pagar en cuatro meses, el día 1 de cada mes si les viene mejor.",
        )
    _commit()
    total = claims.claim_of_case(paid, today).total
    _pay_by_card(paid, total, today, time(14, 20))
    with _dated_at(today, time(14, 30)):
        session.refresh(paid)
        _thank(paid)
