"""Plans as jobs: the owners hear of every change of plan, and trials and grace periods end.

The service records a change (tenants/services/billing/plans.py) and asks for
`tell_plan_change` after its commit; the cron runs `expire_plans` every hour.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from jobs.mail import DeliveryRefused, compose_email, deliver_now
from jobs.queues import CRON, MAIL
from jobs.runtime import job
from tenants import db
from tenants.models import ActivityEvent, Member, Workspace
from tenants.services.billing import plans

EXPIRE_EVERY_SECONDS = 3600


@job(CRON, tenant=False, retries=0)
def expire_plans(now_iso: str | None = None) -> int:
    """Trials over without a subscription → Gratis; grace periods over → suspended."""
    from datetime import datetime

    changed = plans.expire_due(datetime.fromisoformat(now_iso) if now_iso else None)
    return changed


def _day(iso: str | None):
    from datetime import datetime

    from tenants.clock import date_in_spain

    return date_in_spain(datetime.fromisoformat(iso)) if iso else None


@job(MAIL)
def tell_plan_change(tenant_id: int, event_id: int) -> int:
    """Email every owner of the workspace about the change on activity row `event_id`, in their
    language, once each (the email's key)."""
    event = db.session.get(ActivityEvent, event_id)
    workspace = db.session.get(Workspace, tenant_id)
    if event is None or workspace is None:
        return 0
    detail = event.detail or {}
    owners = db.session.scalars(select(Member).where(Member.role == "owner")).all()
    base = current_app.config["BASE_URL"].rstrip("/")
    emails = []
    for member in owners:
        user = member.user
        language = user.language if user.language in ("es", "en") else "es"
        plan = plans.get_plan(detail.get("plan") or plans.FREE_PLAN)
        emails.append(
            compose_email(
                "plan_changed",
                to=user.email,
                language=language,
                key=f"plan-changed:{event_id}:{user.id}",
                tenant_id=tenant_id,
                workspace=workspace,
                plan_name=plan.name(language),
                status=detail.get("status") or "",
                reason=detail.get("reason") or "",
                grace_ends_on=_day(detail.get("grace_ends_at")),
                link=f"{base}/w/{workspace.slug}/settings/plan",
            )
        )
    db.session.commit()
    sent = 0
    for email in emails:
        if email.status != "queued":
            continue
        try:
            deliver_now(email.id)
        except DeliveryRefused:
            continue
        sent += 1
    return sent
