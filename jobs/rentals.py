"""Rent book jobs: charges, rent update proposals and deposit reminders, per workspace."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from jobs.enqueue import enqueue_now
from jobs.mail import compose_email, deliver_now
from jobs.queues import CRON, DEFAULT
from jobs.runtime import job
from tenants import db
from tenants.clock import today_in_spain
from tenants.db import across_tenants
from tenants.models import Deposit, Lease, Member, User, Workspace, WorkspaceKind
from tenants.services.receivables import payments
from tenants.services.rentals import charges, deposits, rent_updates

REMIND_DAYS_BEFORE = 7


@job(CRON, tenant=False, retries=0)
def fan_out_rent_book(today_iso: str | None = None) -> int:
    """Daily: one job per landlord workspace that has leases. Finds work, does none itself."""
    today = today_iso or today_in_spain().isoformat()
    with across_tenants("cron fan-out"):
        tenant_ids = db.session.scalars(
            select(Workspace.id)
            .where(Workspace.kind == WorkspaceKind.LANDLORD)
            .where(select(Lease.id).where(Lease.tenant_id == Workspace.id).exists())
        ).all()
    for tenant_id in tenant_ids:
        enqueue_now(update_rent_book, tenant_id, today)
    return len(tenant_ids)


@job(DEFAULT)
def update_rent_book(tenant_id: int, today_iso: str) -> dict:
    """Charges up to today (catching up any missed run), credit applied, updates proposed."""
    today = date.fromisoformat(today_iso)
    created = charges.catch_up_rent_charges(today)
    payments.apply_credits()
    proposed, missing = rent_updates.propose_rent_updates(today)
    db.session.commit()
    remind_deposit_lodgements(tenant_id, today)
    return {"charges": created, "updates": len(proposed), "missing_index": len(missing)}


def remind_deposit_lodgements(tenant_id: int, today: date) -> int:
    """Email the workspace's owners about fianzas due for lodgement within a week (once each)."""
    rows = db.session.execute(
        select(Deposit, Lease)
        .join(Lease, Lease.id == Deposit.lease_id)
        .where(Deposit.lodged_on.is_(None), Deposit.region.is_not(None), Lease.status == "active")
    ).all()
    due = []
    for deposit, lease in rows:
        deadline = deposits.lodgement_deadline(lease, deposit)
        if deadline is not None and 0 <= (deadline - today).days <= REMIND_DAYS_BEFORE:
            due.append((deposit, lease, deadline))
    if not due:
        return 0
    workspace = db.session.get(Workspace, tenant_id)
    owners = db.session.scalars(
        select(User)
        .join(Member, Member.user_id == User.id)
        .where(Member.role == workspace.roles[0])
    ).all()
    sent = 0
    for deposit, lease, deadline in due:
        for owner in owners:
            email = compose_email(
                "deposit_lodgement_reminder",
                to=owner.email,
                language=owner.language,
                key=f"deposit-lodgement:{deposit.id}:{owner.id}",
                tenant_id=tenant_id,
                user=owner,
                workspace=workspace,
                lease=lease,
                deadline=deadline,
                body=deposits.LODGEMENT_BODIES[deposit.region][0],
            )
            db.session.commit()
            if email.status == "queued":
                deliver_now(email.id)
                sent += 1
    return sent
