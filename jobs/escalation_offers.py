"""Offers a firm left unanswered: after 48 hours (core.OFFER_HOURS) the next firm that fits.

`expire_offers` (cron, hourly) finds the open offers past their deadline, across creditors
(platform code: it reads and writes nothing else), and enqueues one `reassign_offer` per
escalation under its creditor's tenant. That job locks the escalation, checks the offer is
still open and past due (a firm may have answered in the meantime, or the job may run twice:
RQ runs a job at least once), marks it expired, writes the "reassigned" line on the timeline
and offers the escalation to the next firm that fits (or leaves it unplaced, the creditor told).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from jobs.enqueue import enqueue_now
from jobs.queues import CRON, DEFAULT
from jobs.runtime import job
from tenants import db
from tenants.db import across_tenants, utcnow
from tenants.models import Workspace
from tenants.models.escalations import Escalation, EscalationOffer
from tenants.services.escalations import core

EXPIRE_EVERY_SECONDS = 3600


def _moment(now_iso: str | None) -> datetime:
    return datetime.fromisoformat(now_iso) if now_iso else utcnow()


@job(CRON, tenant=False, retries=0)
def expire_offers(now_iso: str | None = None) -> int:
    """Hourly: one `reassign_offer` per escalation whose offer is unanswered past its deadline.
    Finds work, does none itself."""
    now = _moment(now_iso)
    with across_tenants("escalation offers past their 48 hours (cron fan-out)"):
        due = db.session.execute(
            select(EscalationOffer.tenant_id, EscalationOffer.escalation_id)
            .join(Escalation, Escalation.id == EscalationOffer.escalation_id)
            .where(
                EscalationOffer.answer.is_(None),
                EscalationOffer.expires_at <= now,
                Escalation.status == "offered",
                Escalation.firm_id == EscalationOffer.firm_id,
            )
            .distinct()
            .order_by(EscalationOffer.escalation_id)
        ).all()
    for tenant_id, escalation_id in due:
        enqueue_now(reassign_offer, tenant_id, escalation_id, now.isoformat())
    return len(due)


@job(DEFAULT)
def reassign_offer(tenant_id: int, escalation_id: int, now_iso: str) -> bool:
    """The escalation's open offer expired: the next firm that fits gets it. Once: the row is
    locked and the offer checked still open and past due."""
    now = _moment(now_iso)
    escalation = db.session.scalar(
        select(Escalation).where(Escalation.id == escalation_id).with_for_update(of=Escalation)
    )
    if escalation is None or escalation.status != "offered" or escalation.firm_id is None:
        return False
    offer = db.session.scalar(
        select(EscalationOffer).where(
            EscalationOffer.escalation_id == escalation.id,
            EscalationOffer.firm_id == escalation.firm_id,
            EscalationOffer.answer.is_(None),
        )
    )
    if offer is None or offer.expires_at > now:
        return False
    offer.answer = "expired"
    offer.answered_at = now
    firm = db.session.get(Workspace, offer.firm_id)
    core.record(
        escalation,
        "reassigned",
        side="system",
        tell=("creditor",),
        firm=firm.name if firm else "",
        firm_id=offer.firm_id,
        hours=core.OFFER_HOURS,
    )
    core.offer_next(escalation, now)
    return True
