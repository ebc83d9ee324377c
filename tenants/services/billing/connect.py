"""The workspace's own Stripe account (Connect, Express), where debtors' card payments land.

The owner starts onboarding from the workspace settings: Amparo creates the creditor's
account (type "express", country ES, `metadata.tenant_id`) once, under an idempotency key, and
sends the owner to a Stripe account link; Stripe sends them back to the settings page. What
Stripe says of the account (charges and payouts enabled, what it still requires) is kept on
`StripeAccount` and read again on that return and on every `account.updated` event, so the
settings page and the portal's card button follow Stripe, not a guess. Each change of status
is on the workspace's activity log.
"""

from __future__ import annotations

from sqlalchemy import select

from tenants import permissions
from tenants.db import across_tenants, current_tenant_id, session, tenant_context, utcnow
from tenants.models import StripeAccount, User
from tenants.services.billing import events, stripe_api

STATUSES = ("not_started", "pending", "active", "restricted")


def workspace_account() -> StripeAccount | None:
    """The current workspace's Stripe account, if onboarding was ever started."""
    return session.scalar(select(StripeAccount))


def account_status(account: StripeAccount | None) -> str:
    return "not_started" if account is None else account.status


def charging_account() -> StripeAccount | None:
    """The account card payments go to, when Stripe lets it take charges; else None."""
    account = workspace_account()
    return account if account is not None and account.charges_enabled else None


def start_onboarding(actor: User, *, return_url: str, refresh_url: str) -> str:
    """The Stripe page where the owner gives the details Stripe needs (an account link).

    The first time, the workspace's Express account is created (its key is the workspace's:
    a double click or a retry makes one account, not two)."""
    permissions.check(actor, "stripe_account.manage")
    from tenants.services.platform.workspaces import record_activity

    account = workspace_account()
    if account is None:
        tenant_id = current_tenant_id()
        created = (
            stripe_api.client()
            .v1.accounts.create(
                params={
                    "type": "express",
                    "country": "ES",
                    "default_currency": "eur",
                    "capabilities": {
                        "card_payments": {"requested": True},
                        "transfers": {"requested": True},
                    },
                    "metadata": {"tenant_id": str(tenant_id)},
                },
                options=stripe_api.options(f"workspace:{tenant_id}:connect_account"),
            )
            .to_dict()
        )
        account = StripeAccount(tenant_id=tenant_id, account_id=created["id"])
        apply_account_state(account, created, log=False)
        session.add(account)
        session.flush()
        record_activity(actor, "stripe_account.created", account=account.account_id)
    link = stripe_api.client().v1.account_links.create(
        params={
            "account": account.account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
    )
    return link.url


def refresh_account() -> StripeAccount | None:
    """Read the workspace's account from Stripe again (the owner is back from onboarding)."""
    account = workspace_account()
    if account is not None:
        fresh = stripe_api.client().v1.accounts.retrieve(account.account_id).to_dict()
        apply_account_state(account, fresh)
    return account


def apply_account_state(account: StripeAccount, state: dict, *, log: bool = True) -> None:
    """Keep what Stripe says of the account; a new status goes on the activity log."""
    from tenants.services.platform.workspaces import record_activity

    before = account.status if account.id is not None else None
    requirements = state.get("requirements") or {}
    due = [*(requirements.get("past_due") or []), *(requirements.get("currently_due") or [])]
    account.details_submitted = bool(state.get("details_submitted"))
    account.charges_enabled = bool(state.get("charges_enabled"))
    account.payouts_enabled = bool(state.get("payouts_enabled"))
    account.requirements_due = list(dict.fromkeys(str(item) for item in due))[:50]
    account.disabled_reason = str(requirements.get("disabled_reason") or "")[:120]
    account.refreshed_at = utcnow()
    if log and before is not None and account.status != before:
        record_activity(None, f"stripe_account.{account.status}", account=account.account_id)
    session.flush()


def tenant_of_account(account_id: str | None) -> int | None:
    """The workspace a Connect account belongs to (webhooks arrive with no tenant set)."""
    if not account_id:
        return None
    with across_tenants("Stripe webhook: the workspace of a Connect account"):
        return session.scalar(
            select(StripeAccount.tenant_id).where(StripeAccount.account_id == account_id)
        )


@events.handles("account.updated")
def _account_updated(event: dict, account: str | None) -> None:
    state = events.current(event)
    tenant_id = tenant_of_account(state["id"])
    if tenant_id is None:
        return  # not a creditor's account of ours (or one whose workspace is gone)
    with tenant_context(tenant_id):
        apply_account_state(workspace_account(), state)
