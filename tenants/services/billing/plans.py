"""SaaS plans: what each workspace's plan allows, enforced here in the services (issue 12.6).

Plans are rows (tenants/models/plans.py, seeded by migration 0018): their price, `limits`
({"leases": 10, "invoices": 50}; a kind missing is unlimited) and `features` ("ladder" beyond
the email reminder, "paper_letters", "badge", "escalation", "api", "members"). Code asks for a
feature or a limit, never for a plan's name: `require(feature)` and `check_limit(kind)` raise
`PlanRequired` naming the cheapest plan that allows it, and web answers with a 402 page naming
it (or a JSON problem on the API).

Each landlord or business workspace has one Subscription row. A sign-up starts a 14-day trial
of Profesional (from the day the workspace is created); without a subscription it then drops to
Gratis. A renewal that fails leaves the workspace `past_due` with its plan for 7 days of grace,
then `suspended`: it works as on Gratis until it pays. Nothing is ever deleted; a limit only
stops new work, and a suspended workspace reads everything it has. Law firms have no plan.
The plan in force is computed from the row and the clock (`plan_in_force`), so a trial or a
grace period ends on time even before the cron job (`expire_due`) records the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tenants import outbox
from tenants.db import across_tenants, current_tenant_id, session, tenant_context, utcnow
from tenants.models import Case, Charge, Invitation, Lease, Member, Workspace, WorkspaceKind
from tenants.models.plans import Plan, Subscription
from tenants.services.errors import ServiceError

TRIAL_DAYS = 14
GRACE_DAYS = 7
TRIAL_PLAN = "profesional"
FREE_PLAN = "gratis"
FEATURES = ("ladder", "paper_letters", "badge", "escalation", "api", "members")
LIMITS = ("leases", "invoices")
PAPER_CHANNELS = ("postal", "certified")
# The job that emails the owners about a change of plan (jobs/billing.py), by name.
TELL_OWNERS = "jobs.billing:tell_plan_change"


class PlanRequired(ServiceError):
    """The workspace's plan does not allow this: `plan` is the cheapest one that does."""

    def __init__(self, feature: str, needed_plan: str):
        super().__init__("plan_required", None, feature=feature, plan=needed_plan)
        self.feature = feature
        self.needed_plan = needed_plan


# --- plans ----------------------------------------------------------------------------------


def all_plans() -> list[Plan]:
    """Every plan, cheapest first."""
    return list(session.scalars(select(Plan).order_by(Plan.position)))


def get_plan(code: str) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        raise ServiceError("choice_invalid", "plan")
    return plan


def plan_for_price(price_id: str) -> Plan | None:
    if not price_id:
        return None
    return session.scalar(select(Plan).where(Plan.stripe_price_id == price_id))


def needed_for(feature: str) -> str:
    """The cheapest plan with `feature`."""
    for plan in all_plans():
        if feature in (plan.features or []):
            return plan.code
    return all_plans()[-1].code


def needed_for_limit(kind: str, count: int) -> str:
    """The cheapest plan whose limit of `kind` holds `count`."""
    for plan in all_plans():
        limit = (plan.limits or {}).get(kind)
        if limit is None or count <= limit:
            return plan.code
    return all_plans()[-1].code


# --- the workspace's plan -------------------------------------------------------------------


def _has_plan() -> bool:
    """Landlords and businesses have a plan; a law firm works for them and has none."""
    workspace = session.get(Workspace, current_tenant_id())
    return workspace is not None and workspace.kind != WorkspaceKind.LAW_FIRM


def subscription() -> Subscription | None:
    return session.scalar(select(Subscription))


def code_in_force(sub: Subscription | None, now: datetime | None = None) -> str:
    """The plan that applies now: the subscribed one, unless its trial or grace is over or it
    is suspended or canceled (then Gratis). No row: Gratis (fail closed)."""
    now = now or utcnow()
    if sub is None or sub.status in ("suspended", "canceled"):
        return FREE_PLAN
    if sub.status == "trialing" and sub.trial_ends_at is not None and sub.trial_ends_at <= now:
        return FREE_PLAN
    if sub.status == "past_due" and sub.grace_ends_at is not None and sub.grace_ends_at <= now:
        return FREE_PLAN
    return sub.plan_code


def plan_in_force(now: datetime | None = None) -> Plan:
    return get_plan(code_in_force(subscription(), now))


def has(feature: str) -> bool:
    if not _has_plan():
        return True
    return feature in (plan_in_force().features or [])


def require(feature: str) -> None:
    """Raise PlanRequired unless the workspace's plan has `feature` (see FEATURES)."""
    if feature not in FEATURES:
        raise ValueError(f"unknown plan feature {feature!r}")
    if not has(feature):
        raise PlanRequired(feature, needed_for(feature))


def usage(kind: str) -> int:
    """What counts against a limit: the leases running (draft or active; an ended lease frees
    its place) and the invoices still owed (paid or written off free theirs)."""
    if kind == "leases":
        return session.scalar(
            select(func.count(Lease.id)).where(Lease.status.in_(("draft", "active")))
        )
    if kind == "invoices":
        return session.scalar(
            select(func.count(Charge.id)).where(
                Charge.kind == "invoice",
                Charge.paid + Charge.credited < Charge.amount,
                Charge.written_off_at.is_(None),
            )
        )
    raise ValueError(f"unknown plan limit {kind!r}")


def limit_of(kind: str) -> int | None:
    if not _has_plan():
        return None
    return (plan_in_force().limits or {}).get(kind)


def check_limit(kind: str, adding: int = 1) -> None:
    """Raise PlanRequired if `adding` more of `kind` would pass the plan's limit."""
    limit = limit_of(kind)
    if limit is None or adding <= 0:
        return
    count = usage(kind) + adding
    if count > limit:
        raise PlanRequired(kind, needed_for_limit(kind, count))


def check_new_member() -> None:
    """Without "members" a workspace has one person: no invitation beyond the first member."""
    if has("members"):
        return
    people = session.scalar(select(func.count(Member.id)))
    waiting = session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if people + waiting >= 1:
        raise PlanRequired("members", needed_for("members"))


def step_features(kind: str, channel: str) -> list[str]:
    """What a ladder step needs beyond Gratis: an email reminder needs nothing."""
    needed = []
    if kind == "escalation":
        needed.append("escalation")
    elif kind != "reminder":
        needed.append("ladder")
    if channel in PAPER_CHANNELS:
        needed.append("paper_letters")
    return needed


def missing_for_step(kind: str, channel: str) -> str | None:
    """The first feature this step needs that the plan lacks (None: it may run)."""
    return next((f for f in step_features(kind, channel) if not has(f)), None)


def require_step(kind: str, channel: str) -> None:
    missing = missing_for_step(kind, channel)
    if missing is not None:
        raise PlanRequired(missing, needed_for(missing))


def step_checker():
    """`missing_for_step` for many steps of one workspace at once (the sweep): the plan is
    read once, not for every case."""
    if not _has_plan():
        return lambda kind, channel: None
    features = set(plan_in_force().features or [])
    return lambda kind, channel: next(
        (f for f in step_features(kind, channel) if f not in features), None
    )


# --- changes ----------------------------------------------------------------------------------


def start_trial(now: datetime | None = None) -> Subscription | None:
    """The current workspace's trial of Profesional, from now (a sign-up). None for a law firm."""
    if not _has_plan():
        return None
    now = now or utcnow()
    sub = Subscription(
        plan_code=TRIAL_PLAN, status="trialing", trial_ends_at=now + timedelta(days=TRIAL_DAYS)
    )
    session.add(sub)
    session.flush()
    return sub


def put_on(code: str, *, reason: str, status: str = "active") -> bool:
    """Put the current workspace on `code` without Stripe (the demo workspaces: Profesional)."""
    if not _has_plan():
        return False
    get_plan(code)
    return change(
        _ensure(),
        reason=reason,
        tell=False,
        plan_code=code,
        status=status,
        trial_ends_at=None,
        grace_ends_at=None,
    )


def _ensure() -> Subscription:
    return subscription() or Subscription(plan_code=FREE_PLAN, status="active")


def change(
    sub: Subscription, *, reason: str, now: datetime | None = None, tell: bool = True, **values
) -> bool:
    """Apply `values` to the subscription; when the plan in force or the status changes, it is
    on the activity log, the owners are emailed (after the commit), and cases that waited for
    a feature the workspace now has climb again. True when something changed."""
    now = now or utcnow()
    before = (code_in_force(sub, now), sub.status)
    features_before = set(get_plan(before[0]).features or [])
    for key, value in values.items():
        setattr(sub, key, value)
    if sub.id is None:
        session.add(sub)
    session.flush()
    after = (code_in_force(sub, now), sub.status)
    if after == before:
        return False
    from tenants.services.platform.workspaces import record_activity  # imports this module

    event = record_activity(
        None,
        "plan.changed",
        plan=after[0],
        status=after[1],
        plan_before=before[0],
        status_before=before[1],
        reason=reason,
        grace_ends_at=sub.grace_ends_at.isoformat() if sub.grace_ends_at else None,
    )
    session.flush()
    if tell:
        outbox.request(TELL_OWNERS, current_tenant_id(), event.id)
    from tenants.services.badge import issuance  # issuance imports this module

    # The badge follows the plan. Even a change of status alone: the clock may have taken the
    # badge away already (a grace period over) before the cron records it here.
    issuance.request_refresh()
    if set(get_plan(after[0]).features or []) - features_before:
        _wake_waiting_cases(now)
    return True


def _wake_waiting_cases(now: datetime) -> None:
    """Open cases the sweep left without a next action (a step the plan did not allow) are
    scheduled again; the sweep decides anew (cases.schedule never sets a time in the past)."""
    from tenants.clock import date_in_spain
    from tenants.services.collections import cases

    today = date_in_spain(now)
    for case in session.scalars(
        select(Case).where(Case.status == "open", Case.next_action_at.is_(None))
    ):
        cases.schedule(case, case.ladder, today)


# --- Stripe: what the webhooks and the cron record ---------------------------------------------

# Stripe's subscription statuses → ours.
STRIPE_STATUSES = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "suspended",
    "paused": "suspended",
    "canceled": "canceled",
    "incomplete_expired": "canceled",
}


def _moment(value) -> datetime | None:
    from datetime import UTC

    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def apply_stripe_subscription(obj: dict, now: datetime | None = None) -> bool:
    """Record a Stripe subscription's current state (status, price → plan, period end) on the
    current workspace. A canceled one leaves the workspace on Gratis."""
    now = now or utcnow()
    status = STRIPE_STATUSES.get(obj.get("status") or "")
    if status is None:  # "incomplete": the first payment has not happened yet
        return False
    items = ((obj.get("items") or {}).get("data")) or []
    price = (items[0].get("price") or {}) if items else {}
    plan = plan_for_price(price.get("id") if isinstance(price, dict) else str(price or ""))
    if plan is None and (obj.get("metadata") or {}).get("plan"):  # put there by our Checkout
        plan = session.scalar(select(Plan).where(Plan.code == obj["metadata"]["plan"]))
    sub = _ensure()
    values = {
        "stripe_subscription_id": obj.get("id"),
        "current_period_end": _moment(
            obj.get("current_period_end") or (items[0].get("current_period_end") if items else None)
        ),
        "status": status,
    }
    if obj.get("customer"):
        values["stripe_customer_id"] = obj["customer"]
    if plan is not None:
        values["plan_code"] = plan.code
    if status == "canceled":
        values.update(plan_code=FREE_PLAN, stripe_subscription_id=None, grace_ends_at=None)
    elif status == "past_due":
        values["grace_ends_at"] = sub.grace_ends_at or now + timedelta(days=GRACE_DAYS)
    elif status in ("active", "trialing"):
        values["grace_ends_at"] = None
        values["trial_ends_at"] = _moment(obj.get("trial_end")) if status == "trialing" else None
    return change(sub, reason=f"stripe.subscription.{obj.get('status')}", now=now, **values)


def invoice_paid(now: datetime | None = None) -> bool:
    """A renewal was paid: active again, the grace cleared."""
    sub = _ensure()
    if sub.status == "canceled":
        return False
    return change(sub, reason="stripe.invoice.paid", now=now, status="active", grace_ends_at=None)


def invoice_failed(now: datetime | None = None) -> bool:
    """A renewal failed: past due, with the plan kept for the grace period (from the first
    failure: Stripe's own retries do not extend it)."""
    now = now or utcnow()
    sub = _ensure()
    if sub.status in ("canceled", "suspended"):
        return False
    grace = sub.grace_ends_at if sub.status == "past_due" and sub.grace_ends_at else None
    return change(
        sub,
        reason="stripe.invoice.payment_failed",
        now=now,
        status="past_due",
        grace_ends_at=grace or now + timedelta(days=GRACE_DAYS),
    )


def tenant_of_customer(customer_id: str | None) -> int | None:
    if not customer_id:
        return None
    with across_tenants("Stripe customer → workspace"):
        return session.scalar(
            select(Subscription.tenant_id).where(Subscription.stripe_customer_id == customer_id)
        )


def expire_due(now: datetime | None = None) -> int:
    """Cron: a trial over without a subscription → Gratis; a grace over → suspended. Each
    change on the activity log and emailed to the owners. Returns how many changed."""
    now = now or utcnow()
    with across_tenants("plans: trials and grace periods that ended"):
        rows = session.execute(
            select(Subscription.tenant_id, Subscription.status).where(
                (
                    (Subscription.status == "trialing")
                    & (Subscription.trial_ends_at <= now)
                    & Subscription.stripe_subscription_id.is_(None)
                )
                | ((Subscription.status == "past_due") & (Subscription.grace_ends_at <= now))
            )
        ).all()
    changed = 0
    for tenant_id, status in rows:
        with tenant_context(tenant_id):
            sub = subscription()
            if status == "trialing":
                done = change(
                    sub, reason="trial_ended", now=now, plan_code=FREE_PLAN, status="active"
                )
            else:
                done = change(sub, reason="grace_ended", now=now, status="suspended")
            changed += bool(done)
    return changed
