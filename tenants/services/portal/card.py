"""Paying a case by card: a Stripe Checkout Session on the creditor's own account, and what its
webhook events do to the books (issue 12, points 2 and 5).

`start_checkout` opens the hosted page (mode "payment", EUR, on the creditor's Connect account,
the platform's fee as `application_fee_amount`, the debtor's language) under an idempotency
key named by its `purpose`, and keeps a `CardPayment` row for it. The purpose, the case and the
workspace are in the metadata of the session and of its PaymentIntent, so whichever event
arrives first finds the row.

The handlers read each object's current state from Stripe (events come late, twice, or out of
order) and make the books follow it. `booked` on the row is what is on the ledger now; what it
should be is the amount received, less what was refunded, less a chargeback while the bank
holds the money (open or lost). `_follow_stripe` books the difference through
portal.payments.pay_case, or takes it back from the row's own payments; so a replay, or
`payment_intent.succeeded` before `checkout.session.completed`, changes nothing, and a won
dispute books the money again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from tenants.clock import date_in_spain, today_in_spain
from tenants.db import session, tenant_context, utcnow
from tenants.models import CardBooking, CardPayment, Case, Workspace
from tenants.services.billing import connect, events, stripe_api
from tenants.services.collections import cases, claims
from tenants.services.errors import ServiceError
from tenants.services.portal.payments import pay_case, reopen_cases, take_back_payments

CENT = Decimal("0.01")
MARK = "card_payment"  # metadata["amparo"] on what start_checkout creates
# A dispute holds the money while it is open and after it is lost; inquiries ("warning_…")
# and a won dispute do not (https://docs.stripe.com/disputes/how-disputes-work).
WITHDRAWN = ("needs_response", "under_review", "lost")


def _cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value())


def _euros(cents) -> Decimal:
    return (Decimal(int(cents)) * CENT).quantize(CENT)


def platform_fee(amount: Decimal) -> Decimal:
    """The platform's fee on a card payment of `amount` (STRIPE_PLATFORM_FEE_PERCENT)."""
    percent = stripe_api.platform_fee_percent()
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def card_offer(case: Case, total: Decimal) -> Decimal | None:
    """What the portal offers to pay by card for the case: `total` (the claim's), when the
    case is not closed and the creditor's account can take charges; else None."""
    if case.status == "closed" or total <= 0 or connect.charging_account() is None:
        return None
    return total


def case_purpose(case: Case, amount: Decimal, on: date) -> str:
    """The effect of paying the case's claim by card today: a second click the same day makes
    the same session; another amount, cycle or day (sessions expire after a day) a new one."""
    return f"case:{case.id}:c{case.cycle}:card:{amount}:{on.isoformat()}"


def pay_claim(case: Case, *, success_url: str, cancel_url: str) -> str:
    """The hosted page to pay what the case claims today (the portal's button)."""
    today = today_in_spain()
    total = claims.claim_of_case(case, today).total
    if card_offer(case, total) is None:
        raise ServiceError("card_unavailable")
    return start_checkout(
        case.id,
        total,
        purpose=case_purpose(case, total, today),
        success_url=success_url,
        cancel_url=cancel_url,
    )


def start_checkout(
    case_id: int,
    amount: Decimal,
    *,
    purpose: str,
    success_url: str,
    cancel_url: str,
    metadata: dict | None = None,
) -> str:
    """The URL of a Checkout Session paying `amount` for the case on the creditor's account.

    `purpose` names the effect (its idempotency key: the same purpose gives the same session);
    `metadata` (e.g. {"instalment_id": 7}) is kept on the row and the session, and comes back
    to the caller's hook when it is paid. Raises ServiceError("card_unavailable") when the
    creditor's account cannot take charges, StripeUnavailable when Stripe cannot be reached."""
    case = cases.get_case(case_id)
    account = connect.charging_account()
    if account is None or case.status == "closed":
        raise ServiceError("card_unavailable")
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise ServiceError("card_unavailable")
    fee = platform_fee(amount)
    workspace = session.get(Workspace, case.tenant_id)
    extra = {str(k): str(v) for k, v in (metadata or {}).items()}
    tags = {
        **extra,
        "amparo": MARK,
        "tenant_id": str(case.tenant_id),
        "case_id": str(case.id),
        "purpose": purpose,
    }
    intent_data: dict = {"metadata": tags, "description": claims.payment_reference(case.id)}
    if fee > 0:
        intent_data["application_fee_amount"] = _cents(fee)
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": _cents(amount),
                    "product_data": {
                        "name": f"{workspace.letterhead_name} · {claims.payment_reference(case.id)}"
                    },
                },
            }
        ],
        "payment_intent_data": intent_data,
        "metadata": tags,
        "client_reference_id": claims.payment_reference(case.id),
        "locale": case.party.language if case.party.language in ("es", "en") else "es",
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if case.party.email:
        params["customer_email"] = case.party.email
    checkout = stripe_api.client().v1.checkout.sessions.create(
        params=params, options=stripe_api.options(purpose, account=account.account_id)
    )
    row = session.scalar(select(CardPayment).where(CardPayment.purpose == purpose))
    if row is not None and row.paid_at is None and row.session_id != checkout.id:
        # Stripe forgets a key after a day: the same purpose then made a new session.
        row.session_id = checkout.id
        session.flush()
    if row is None:
        row = CardPayment(
            tenant_id=case.tenant_id,
            case_id=case.id,
            purpose=purpose,
            account_id=account.account_id,
            session_id=checkout.id,
            amount=amount,
            application_fee=fee,
            extra=extra,
        )
        session.add(row)
        session.flush()
    return checkout.url


def payments_of_case(case_id: int) -> list[CardPayment]:
    """The case's card payments that reached Stripe's page, newest first."""
    return list(
        session.scalars(
            select(CardPayment)
            .where(CardPayment.case_id == case_id)
            .order_by(CardPayment.id.desc())
        )
    )


def recent_payments(limit: int = 20) -> list[CardPayment]:
    """The workspace's last card payments that were paid (the settings page lists them)."""
    return list(
        session.scalars(
            select(CardPayment)
            .where(CardPayment.paid_at.is_not(None))
            .order_by(CardPayment.paid_at.desc())
            .limit(limit)
        )
    )


def payment_of_session(case_id: int, session_id: str) -> CardPayment | None:
    return session.scalar(
        select(CardPayment).where(
            CardPayment.case_id == case_id, CardPayment.session_id == session_id
        )
    )


# --- following Stripe -----------------------------------------------------------------------


def _follow_stripe(row: CardPayment, on: date) -> None:
    """Make the ledger hold what the creditor keeps of this payment, booking or taking back
    the difference; the cases react (closed when cleared, reopened when owed again)."""
    keeps = row.amount if row.paid_at is not None else Decimal("0")
    keeps = max(keeps - row.refunded - row.disputed, Decimal("0"))
    difference = keeps - row.booked
    if difference > 0:
        made = pay_case(
            row.case_id,
            difference,
            received_on=min(on, today_in_spain()),
            method="card",
            reference=f"Stripe {row.payment_intent_id}",
        )
        session.flush()
        row.bookings.extend(CardBooking(tenant_id=row.tenant_id, payment=p) for p in made)
    elif difference < 0:
        reopened = take_back_payments([b.payment for b in row.bookings], -difference)
        for booking in list(row.bookings):
            if booking.payment.amount <= 0:
                payment = booking.payment
                row.bookings.remove(booking)
                session.delete(payment)
        session.flush()
        reopen_cases(reopened, on)
    row.booked = keeps
    if row.disputed > 0:
        row.status = "disputed"
    elif row.paid_at is not None and row.refunded >= row.amount:
        row.status = "refunded"
    elif row.refunded > 0:
        row.status = "partly_refunded"
    elif row.paid_at is not None:
        row.status = "paid"
    session.flush()


def _event_on_case(row: CardPayment, kind: str, **detail) -> None:
    case = session.get(Case, row.case_id)
    cases.record_event(case, kind, **detail)


def _settle(row: CardPayment, intent: dict) -> None:
    """The PaymentIntent succeeded: book it, once."""
    if intent.get("status") != "succeeded" or row.paid_at is not None:
        return
    if row.payment_intent_id not in (None, intent["id"]):
        return  # another attempt of the same session was booked already
    row.payment_intent_id = intent["id"]
    row.amount = _euros(intent.get("amount_received") or intent["amount"])
    if intent.get("application_fee_amount") is not None:
        row.application_fee = _euros(intent["application_fee_amount"])
    created = intent.get("created")
    paid_on = date_in_spain(datetime.fromtimestamp(created, UTC)) if created else today_in_spain()
    row.received_on = min(paid_on, today_in_spain())
    row.paid_at = utcnow()
    _event_on_case(row, "card_paid", amount=row.amount)
    _catch_up(row, intent)
    _follow_stripe(row, row.received_on)
    balance = cases.case_balance(row.case_id)
    if row.refunded > 0:
        _event_on_case(row, "card_refunded", amount=row.refunded, balance=balance)
    if row.disputed > 0:
        _event_on_case(row, "card_chargeback", amount=row.disputed, balance=balance)
    session.flush()  # inside the tenant: the request commits outside it
    if row.extra.get("instalment_id"):
        from tenants.services.collections import instalments

        instalments.card_paid(
            int(row.extra["instalment_id"]),
            received_on=row.received_on,
            reference=f"Stripe {row.payment_intent_id}",
        )
        session.flush()


def _catch_up(row: CardPayment, intent: dict) -> None:
    """What Stripe already holds against the payment being booked: a refund's or a
    chargeback's event may have come before the payment's (events arrive in any order) and
    found nothing booked to take back, so they are read here."""
    charge_id = _id(intent.get("latest_charge"))
    if not charge_id:
        return
    charge = _charge(charge_id, row.account_id)
    row.refunded = max(row.refunded, _euros(charge.get("amount_refunded") or 0))
    found = stripe_api.client().v1.disputes.list(
        params={"charge": charge_id}, options={"stripe_account": row.account_id}
    )
    for dispute in sorted(found.data, key=lambda d: d.created):
        row.dispute_id, row.dispute_status = dispute.id, str(dispute.status)
        row.disputed = _euros(dispute.amount) if dispute.status in WITHDRAWN else Decimal("0")


def _tenant_of(obj: dict) -> int | None:
    metadata = obj.get("metadata") or {}
    if metadata.get("amparo") != MARK or not str(metadata.get("tenant_id", "")).isdigit():
        return None
    return int(metadata["tenant_id"])


def _row(*, session_id=None, payment_intent_id=None, purpose=None) -> CardPayment | None:
    """The row, locked: two events of one payment handled at once wait for each other."""
    for column, value in (
        (CardPayment.payment_intent_id, payment_intent_id),
        (CardPayment.session_id, session_id),
        (CardPayment.purpose, purpose),
    ):
        if value:
            row = session.scalar(
                select(CardPayment).where(column == value).with_for_update(of=CardPayment)
            )
            if row is not None:
                return row
    return None


def _intent(row: CardPayment, intent_id: str) -> dict:
    return (
        stripe_api.client()
        .v1.payment_intents.retrieve(intent_id, options={"stripe_account": row.account_id})
        .to_dict()
    )


@events.handles("checkout.session.completed", "checkout.session.async_payment_succeeded")
def _session_completed(event: dict, account: str | None) -> None:
    if event["data"]["object"].get("mode") != "payment":
        return
    if _tenant_of(event["data"]["object"]) is None:
        return  # a session someone else made (a plan's subscription, the dashboard)
    checkout = events.current(event)
    tenant_id = _tenant_of(checkout)
    intent_id = _id(checkout.get("payment_intent"))
    with tenant_context(tenant_id):
        row = _row(session_id=checkout["id"], purpose=checkout["metadata"].get("purpose"))
        if row is None or not intent_id or checkout.get("payment_status") != "paid":
            return
        _settle(row, _intent(row, intent_id))


@events.handles("payment_intent.succeeded", "payment_intent.payment_failed")
def _intent_changed(event: dict, account: str | None) -> None:
    if _tenant_of(event["data"]["object"]) is None:
        return  # not a portal card payment (an instalment's direct debit, …)
    intent = events.current(event)
    tenant_id = _tenant_of(intent)
    with tenant_context(tenant_id):
        row = _row(payment_intent_id=intent["id"], purpose=intent["metadata"].get("purpose"))
        if row is None:
            return
        if intent.get("status") == "succeeded":
            _settle(row, intent)
        elif event["type"] == "payment_intent.payment_failed" and row.paid_at is None:
            row.status = "failed"
            error = (intent.get("last_payment_error") or {}).get("message") or ""
            _event_on_case(row, "card_failed", amount=row.amount, error=error[:300])
            session.flush()  # inside the tenant: the request commits outside it


def _id(value) -> str | None:
    """An expandable field: the id, whether Stripe sent the id or the object."""
    return value.get("id") if isinstance(value, dict) else value


def _where(charge: dict, account: str | None) -> tuple[int, str] | None:
    """The workspace and the PaymentIntent of a charge (refunds and disputes name charges)."""
    intent_id = _id(charge.get("payment_intent"))
    tenant_id = _tenant_of(charge) or connect.tenant_of_account(account)
    if tenant_id is None or not intent_id:
        return None
    return tenant_id, intent_id


def _charge(charge_id: str, account: str | None) -> dict:
    return (
        stripe_api.client()
        .v1.charges.retrieve(charge_id, options={"stripe_account": account})
        .to_dict()
    )


@events.handles("charge.refunded", "charge.refund.updated", "refund.created", "refund.updated")
def _refunded(event: dict, account: str | None) -> None:
    obj = event["data"]["object"]
    charge_id = obj["id"] if obj.get("object") == "charge" else obj.get("charge")
    if not charge_id:
        return
    charge = _charge(charge_id, account)
    found = _where(charge, account)
    if found is None:
        return
    tenant_id, intent_id = found
    with tenant_context(tenant_id):
        row = _row(payment_intent_id=intent_id)
        if row is None or row.paid_at is None:
            return
        refunded = _euros(charge.get("amount_refunded") or 0)
        if refunded <= row.refunded:
            return  # an older event, or one already applied
        more, row.refunded = refunded - row.refunded, refunded
        on = today_in_spain()
        _follow_stripe(row, on)
        _event_on_case(row, "card_refunded", amount=more, balance=cases.case_balance(row.case_id))
        session.flush()


@events.handles(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
def _disputed(event: dict, account: str | None) -> None:
    dispute = events.current(event)
    charge = _charge(_id(dispute.get("charge")), account)
    found = _where(charge, account)
    if found is None:
        return
    tenant_id, intent_id = found
    with tenant_context(tenant_id):
        row = _row(payment_intent_id=intent_id)
        status = str(dispute.get("status") or "")
        if row is None or row.paid_at is None or status == row.dispute_status:
            return
        amount = _euros(dispute.get("amount") or 0)
        before = row.disputed
        row.dispute_id, row.dispute_status = dispute["id"], status
        row.disputed = amount if status in WITHDRAWN else Decimal("0")
        _follow_stripe(row, today_in_spain())
        balance = cases.case_balance(row.case_id)
        if row.disputed > before:
            _event_on_case(row, "card_chargeback", amount=amount, balance=balance)
        elif row.disputed < before or status == "won":
            _event_on_case(row, "card_chargeback_won", amount=amount, balance=balance)
        elif status == "lost":
            _event_on_case(row, "card_chargeback_lost", amount=amount, balance=balance)
        session.flush()
