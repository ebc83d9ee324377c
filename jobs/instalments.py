"""Instalment plans as jobs: the emails of each step, and the plan's day.

- `plan_email` tells the other side of a plan's step (the debtor: an offer, a rejection, an
  acceptance, a failed debit, a broken plan; the creditor's case owner, else the workspace's
  owners: a proposal, the debtor's acceptance, a direct debit set up, an instalment paid, a
  failed debit, a broken plan), in the
  recipient's language, once per step (the email row's key).
- `fan_out_instalments` (cron, daily) enqueues `instalments_day` for each workspace with a
  running plan. That job breaks the plans whose instalment went unpaid past its date (the
  ladder resumes that day, the day after the date), reminds the debtors of the instalments due
  in 3 days (once per instalment), and enqueues one `charge_instalment` per SEPA instalment due
  today. `settle_charge` reads a debit's result from Stripe (the webhooks do the same).
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from jobs.enqueue import enqueue_now
from jobs.mail import compose_email, deliver_now
from jobs.queues import CRON, DEFAULT, MAIL
from jobs.runtime import job
from tenants import db
from tenants.clock import today_in_spain
from tenants.db import across_tenants
from tenants.models import Case, Member, User, Workspace
from tenants.models.instalments import Instalment, InstalmentPlan
from tenants.services.collections import instalments

# Which side each step's email goes to.
TO_DEBTOR = {
    "offered",
    "rejected",
    "accepted_by_creditor",
    "failed",
    "broken",
    "reminder",
    "cancelled",
}
TO_CREDITOR = {"proposed", "accepted_by_debtor", "sepa", "paid", "failed", "broken"}


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _to_debtor(template: str, case: Case, workspace: Workspace, tenant_id: int, key: str, **ctx):
    """An email from the creditor to the debtor, in the debtor's language, replies going to the
    creditor, with the link to the debtor's portal page."""
    return compose_email(
        template,
        to=case.party.email,
        language=case.party.language or "es",
        key=key,
        tenant_id=tenant_id,
        to_name=case.party.name,
        from_name=workspace.letterhead_name,
        reply_to=workspace.contact_email or "",
        name=case.party.name,
        link=f"{_base_url()}/p/{case.portal_token}",
        **ctx,
    )


def _creditor_people(case: Case, workspace: Workspace) -> list[User]:
    if case.owner is not None:
        return [case.owner]
    return list(
        db.session.scalars(
            select(User)
            .join(Member, Member.user_id == User.id)
            .where(Member.role == workspace.roles[0])
            .order_by(User.id)
        )
    )


def _send(email) -> None:
    db.session.commit()
    if email.status == "queued":
        deliver_now(email.id)


@job(MAIL)
def plan_email(tenant_id: int, plan_id: int, what: str, instalment_id: int | None = None) -> int:
    """Email the step `what` of the plan to the side it concerns. Returns emails sent."""
    plan = db.session.get(InstalmentPlan, plan_id)
    if plan is None:
        return 0
    case = db.session.get(Case, plan.case_id)
    workspace = db.session.get(Workspace, tenant_id)
    row = db.session.get(Instalment, instalment_id) if instalment_id else None
    context = {
        "what": what,
        "plan": plan,
        "instalment": row,
        "schedule": instalments.schedule_of(plan),
        "creditor": workspace.letterhead_name,
        "debtor": case.party.name,
        "contact_email": workspace.contact_email,
    }
    sent = 0
    if what in TO_DEBTOR and case.party.email:
        email = _to_debtor(
            "instalment_plan",
            case,
            workspace,
            tenant_id,
            f"plan:{plan.id}:{what}:{instalment_id or 0}:debtor",
            side="debtor",
            **context,
        )
        _send(email)
        sent += 1
    if what in TO_CREDITOR:
        link = f"{_base_url()}/w/{workspace.slug}/cases/{case.id}"
        for person in _creditor_people(case, workspace):
            email = compose_email(
                "instalment_plan",
                to=person.email,
                language=person.language or "es",
                key=f"plan:{plan.id}:{what}:{instalment_id or 0}:user:{person.id}",
                tenant_id=tenant_id,
                to_name=person.name,
                side="creditor",
                name=person.name,
                link=link,
                **context,
            )
            _send(email)
            sent += 1
    return sent


@job(CRON, tenant=False, retries=0)
def fan_out_instalments(today_iso: str | None = None) -> int:
    """Daily: one `instalments_day` per workspace with a running plan."""
    today = today_iso or today_in_spain().isoformat()
    with across_tenants("instalments fan-out"):
        tenant_ids = db.session.scalars(
            select(InstalmentPlan.tenant_id).where(InstalmentPlan.status == "accepted").distinct()
        ).all()
    for tenant_id in tenant_ids:
        enqueue_now(instalments_day, tenant_id, today)
    return len(tenant_ids)


@job(DEFAULT)
def instalments_day(tenant_id: int, today_iso: str) -> dict:
    """The plans' day: missed instalments break their plan (the ladder resumes), reminders
    3 days before, and today's SEPA debits (one job each)."""
    today = date.fromisoformat(today_iso)
    broken = instalments.break_missed(today)
    db.session.commit()
    reminded = sum(remind_instalment(tenant_id, i, today) for i in instalments.reminders_due(today))
    due = instalments.charges_due(today)
    for instalment_id in due:
        enqueue_now(charge_instalment, tenant_id, instalment_id, today.isoformat())
    for instalment_id in instalments.charges_processing():
        enqueue_now(settle_charge, tenant_id, instalment_id)
    return {"broken": len(broken), "reminded": reminded, "charges": len(due)}


def remind_instalment(tenant_id: int, instalment_id: int, today: date) -> int:
    """Remind the debtor of one instalment, once (the row's reminded_on, claimed under lock and
    committed with the email row)."""
    if not instalments.mark_reminded(instalment_id, today):
        db.session.rollback()
        return 0
    row = db.session.get(Instalment, instalment_id)
    plan = row.plan
    case = db.session.get(Case, plan.case_id)
    if not case.party.email:
        db.session.commit()
        return 0
    workspace = db.session.get(Workspace, tenant_id)
    email = _to_debtor(
        "instalment_reminder",
        case,
        workspace,
        tenant_id,
        f"instalment:{row.id}:reminder",
        creditor=workspace.letterhead_name,
        instalment=row,
        plan=plan,
        contact_email=workspace.contact_email,
    )
    _send(email)
    return 1


@job(DEFAULT)
def charge_instalment(tenant_id: int, instalment_id: int, today_iso: str) -> str | None:
    """Debit one SEPA instalment on its date (the idempotency key is stored before the first
    attempt: a retry never charges twice)."""
    status = instalments.charge(instalment_id, date.fromisoformat(today_iso))
    db.session.commit()
    return status


@job(DEFAULT)
def settle_charge(tenant_id: int, instalment_id: int) -> str | None:
    """Apply a SEPA debit's result as Stripe has it now (succeeded, failed, or still
    processing: then nothing yet)."""
    status = instalments.settle(instalment_id)
    db.session.commit()
    return status
