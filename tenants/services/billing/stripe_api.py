"""Amparo's one way to Stripe: the configured client, idempotency keys, and its failures.

    from tenants.services.billing import stripe_api

    intent = stripe_api.client().v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "metadata": {"tenant_id": "7", ...}},
        options=stripe_api.options("instalment:42:charge:1", account="acct_…"),
    )

- `configure(...)` is called by create_app, so every web process, worker and cron has it.
- `options(purpose, account=...)` gives the request options of a call that creates or moves
  something. `purpose` is a stable string naming the effect (the same string on every try of
  the same effect, a different one for a different effect: "case:12:checkout:3"). Its
  idempotency key is written to `stripe_requests` and COMMITTED on a connection of its own
  before it is returned, so the first attempt, a retry after a crash (the request's own
  transaction rolled back) and a second run of the job all send the same key, and Stripe
  answers a repeat with the first attempt's result instead of charging again (issue 12,
  point 7). Stripe keeps keys for at least 24 hours; our jobs retry within minutes. The same key
  with different parameters is refused by Stripe (`stripe_refused`): put what changes the
  effect (an amount, an attempt number) in the purpose.
- Every error of a call made through `client()` reaches the caller as `StripeUnavailable`, a
  ServiceError, so a view shows its message instead of a 500 and a job retries when trying
  again can help (`retryable`). Its code says which: `stripe_unavailable` (not reached, or it
  failed on its side: try again), `stripe_declined` (the card or bank said no) or
  `stripe_refused` (Stripe refused the request itself). `error` keeps Stripe's exception and
  `stripe_code` its code ("resource_missing", "card_declined", …) for callers that care.
"""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from tenants import db
from tenants.models.stripe_records import StripeRequest
from tenants.services.errors import ServiceError

DEFAULT_API_BASE = "https://api.stripe.com"
# Seconds a call may take, and how often the library tries again (with the same key) when the
# network failed or Stripe answered 409/5xx.
TIMEOUT = 30
NETWORK_RETRIES = 2


class StripeUnavailable(ServiceError):
    """Stripe could not be reached, or it refused: the caller shows the message, never a 500."""

    def __init__(self, error: stripe.StripeError | None = None):
        if isinstance(error, stripe.CardError):
            code = "stripe_declined"
        elif isinstance(
            error, stripe.InvalidRequestError | stripe.IdempotencyError | stripe.PermissionError
        ):
            code = "stripe_refused"
        else:  # not reached, 5xx, rate limited, our key refused: nothing the user can fix
            code = "stripe_unavailable"
        super().__init__(code)
        self.error = error
        self.retryable = code == "stripe_unavailable"
        self.stripe_code = getattr(error, "code", None)
        self.http_status = getattr(error, "http_status", None)

    def __str__(self) -> str:
        return f"{self.code}: {self.error}" if self.error else self.code


class _Settings:
    client: stripe.StripeClient | None = None
    webhook_secrets: tuple[str, ...] = ()
    platform_fee_percent: Decimal = Decimal("0")


def configure(
    secret_key: str,
    api_base: str,
    *,
    webhook_secret: str = "",
    connect_webhook_secret: str = "",
    platform_fee_percent: str | Decimal = "0",
) -> None:
    """Set the client every call uses (create_app calls it with the STRIPE_* settings)."""
    api_base = api_base.rstrip("/")
    bases = {"api": api_base}
    if api_base != DEFAULT_API_BASE:  # a fake (tests): everything goes there
        bases.update(files=api_base, connect=api_base)
    new = stripe.StripeClient(
        secret_key,
        base_addresses=bases,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT),
    )
    # Every service of the client calls through this one requestor: its errors become ours.
    requestor = new._requestor
    requestor.request = _translating(requestor.request)
    _Settings.client = new
    _Settings.webhook_secrets = tuple(s for s in (webhook_secret, connect_webhook_secret) if s)
    _Settings.platform_fee_percent = Decimal(str(platform_fee_percent or "0"))


def _translating(request):
    @functools.wraps(request)
    def call(*args, **kwargs):
        try:
            return request(*args, **kwargs)
        except stripe.StripeError as error:
            raise StripeUnavailable(error) from error

    return call


def client() -> stripe.StripeClient:
    if _Settings.client is None:
        raise RuntimeError(
            "Stripe is not configured: call stripe_api.configure() (create_app does)"
        )
    return _Settings.client


def webhook_secrets() -> tuple[str, ...]:
    """The secrets webhook events may be signed with: the platform's, then Connect's."""
    return _Settings.webhook_secrets


def platform_fee_percent() -> Decimal:
    """The platform's fee on each card payment, in percent (STRIPE_PLATFORM_FEE_PERCENT)."""
    return _Settings.platform_fee_percent


def options(purpose: str, *, account: str | None = None) -> dict:
    """Request options for a call that creates or moves something: its idempotency key, fixed
    and committed before the first attempt, and the Connect account it acts on (or None)."""
    if not purpose or len(purpose) > 200:
        raise ValueError(f"a Stripe purpose is 1 to 200 characters: {purpose!r}")
    return {"idempotency_key": idempotency_key(purpose, account=account), "stripe_account": account}


def idempotency_key(purpose: str, *, account: str | None = None) -> str:
    """The key of `purpose`: the stored one, or a new one stored and committed first.

    On its own connection, outside the caller's transaction: a rollback of the request or the
    job that asked for it keeps the key for the next try. Two processes asking at once get
    the same key (the second INSERT waits for the first's commit and then does nothing)."""
    table = StripeRequest.__table__
    engine = db.SessionFactory.kw["bind"]
    with engine.begin() as connection:
        connection.execute(
            insert(table)
            .values(
                purpose=purpose,
                idempotency_key=f"amparo-{uuid.uuid4().hex}",
                account=account,
                created_at=db.utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["purpose"])
        )
        key, stored_account = connection.execute(
            select(table.c.idempotency_key, table.c.account).where(table.c.purpose == purpose)
        ).one()
    if stored_account != account:
        raise ValueError(f"purpose {purpose!r} was taken for Stripe account {stored_account!r}")
    return key
