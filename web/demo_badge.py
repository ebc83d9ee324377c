"""The demo's "Protegido por Amparo" badges (issue 13.6): one protected creditor, one suspended.

- The business signed up five weeks ago on Profesional, its letterhead (a valid CIF) and
  ladder set, its owner's email verified: the hourly cron issued its badge that morning. It
  has shown the badge on its website since (its views per day: weekday peaks, growing), it
  brought its invoice book into Amparo today (registered as monitored invoices), and this
  evening it stamped its newest invoice, a plain PDF of it, through the stamping service.
- The landlord's badge was issued the day its ladder first ran (98 days ago). Its renewal
  failed 9 days ago, the 7 days of grace ran out 2 days ago (the subscription suspended) and
  the hourly cron suspended its badge an hour later: both are on its timeline, and its pages
  (and those who embedded its badge) show "Protección suspendida". Its ladder works as on
  Gratis since that day, as a lapsed plan does.

Everything is dated on the day it would have happened (demo_cases._dated), the badge's own
stamps through `refresh_badge(now)`. Idempotent: a badge already there is not issued again,
the landlord's plan is not renewed by seeding again, views are added only for days without.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from letters.render import format_money, render_pdf
from letters.stamp import invoice_stamper
from tenants.db import current_tenant_id, session
from tenants.models import ActivityEvent, Charge, Member, Party, User, Workspace
from tenants.models.badges import Badge, BadgeView, InvoiceBadge
from tenants.models.plans import Subscription
from tenants.services.badge import invoices as stamping
from tenants.services.badge import issuance
from tenants.services.billing import plans
from tenants.services.collections import ladders
from tenants.services.receivables import invoices
from tenants.storage import DocumentStore
from web.demo_cases import LETTERHEAD, _at, _dated

PLAN = "profesional"
# Days before the seed's day each creditor signed up (the landlord: the day its ladder first
# ran, demo_cases.SWEEP_DAYS_AGO).
JOINED = {"landlord": 98, "business": 36}
SIGNED_UP_AT, ISSUED_AT = time(9, 0), time(11, 0)  # the hourly cron after the sign-up
# The landlord's lapse: the renewal failed, the grace ran out, the cron suspended the badge.
RENEWAL_FAILED = 9
GRACE_ENDED = RENEWAL_FAILED - plans.GRACE_DAYS
LAPSE_AT, SUSPENDED_AT = time(14, 0), time(15, 0)
STAMPED_AT = time(18, 0)  # the business stamped its newest invoice in the evening
PLAN_STAMPS = ((ActivityEvent, ("created_at",)), (Subscription, ("updated_at",)))
STAMP_STAMPS = ((ActivityEvent, ("created_at",)), (InvoiceBadge, ("created_at", "stamped_at")))
# Views of the business's badge on its website: a few a day at first, about forty a day by
# now on weekdays, a third of that at weekends. The landlord's stays on its website: a few a day.
VIEWS = {"business": (6, 40), "landlord": (4, 6)}  # (first day, today) on a weekday
WEEKDAY_SHARE = (1.0, 1.15, 1.1, 1.0, 0.85, 0.35, 0.25)  # Monday first


def put_on_plan(kind: str, today: date) -> None:
    """The creditor's plan: Profesional, subscribed the day it signed up. The landlord's lapsed
    on its timeline: once its badge is there, seeding again does not renew it."""
    signed_up = _at(today - timedelta(days=JOINED[kind]), SIGNED_UP_AT)
    _signed_up_at(signed_up)
    if kind == "landlord" and issuance.workspace_badge() is not None:
        return
    with _dated(signed_up, PLAN_STAMPS):
        plans.put_on(PLAN, reason="demo")  # the demo shows every feature


def _signed_up_at(moment) -> None:
    """The workspace (and its "created" line on the timeline) dates from its sign-up."""
    workspace = session.get(Workspace, current_tenant_id())
    if workspace.created_at <= moment:
        return
    workspace.created_at = moment
    session.execute(
        update(ActivityEvent)
        .where(ActivityEvent.action == "workspace.created", ActivityEvent.created_at > moment)
        .values(created_at=moment)
    )


def before_the_book(kind: str, today: date) -> None:
    """The business's badge, issued the morning it signed up (before its invoices came in)."""
    if kind != "business" or issuance.workspace_badge() is not None:
        return
    workspace = session.get(Workspace, current_tenant_id())
    for field, value in LETTERHEAD[kind].items():
        if not getattr(workspace, field):
            setattr(workspace, field, value)
    ladders.workspace_ladder(kind)
    _issue(today - timedelta(days=JOINED[kind]))


def badge_day(kind: str, today: date):
    """What happened to the landlord's badge on the days of its ladder (called by seed_cases
    after each day's pass): issued the first day, its plan lapsed and the badge suspended."""
    if kind != "landlord":
        return None

    def on_day(owner, day: date) -> None:
        days_ago = (today - day).days
        if days_ago == JOINED[kind] and issuance.workspace_badge() is None:
            _issue(day)
        elif days_ago == RENEWAL_FAILED:
            _renewal_failed(day)
        elif days_ago == GRACE_ENDED:
            _suspend(day)

    return on_day


def both(*hooks):
    """One seed_cases day hook calling each of `hooks` (None: none)."""
    present = [hook for hook in hooks if hook is not None]
    if not present:
        return None

    def on_day(owner, day: date) -> None:
        for hook in present:
            hook(owner, day)

    return on_day


def after_the_book(kind: str, today: date) -> None:
    """Once the book and the cases are there: the business's invoices registered and its newest
    stamped, the views of both badges. A landlord seeded before its ladder's days had a badge
    (an older demo database) gets its timeline now."""
    if kind == "landlord" and issuance.workspace_badge() is None:
        _issue(today - timedelta(days=JOINED[kind]))
        _renewal_failed(today - timedelta(days=RENEWAL_FAILED))
        _suspend(today - timedelta(days=GRACE_ENDED))
    badge = issuance.workspace_badge()
    if badge is None:
        return
    if kind == "business":
        issuance.refresh_badge()  # registers the invoices brought in today
        _stamp_newest_invoice(today)
    _views(badge, today, *VIEWS[kind])
    session.commit()


# --- the steps ----------------------------------------------------------------------------------


def _issue(day: date) -> None:
    moment = _at(day, ISSUED_AT)
    with _dated(moment):
        issuance.refresh_badge(moment)


def _renewal_failed(day: date) -> None:
    """Stripe could not charge the renewal: past due, with the plan kept for the grace."""
    moment = _at(day, LAPSE_AT)
    sub = plans.subscription()
    if sub is None or sub.status != "active":
        return
    with _dated(moment, PLAN_STAMPS):
        plans.change(
            sub,
            reason="stripe.invoice.payment_failed",
            now=moment,
            tell=False,  # the owners' email would leave now, dated today
            status="past_due",
            current_period_end=moment,
            grace_ends_at=moment + timedelta(days=plans.GRACE_DAYS),
        )


def _suspend(day: date) -> None:
    """The grace ran out (what plans.expire_due records), and the cron's next hour suspended
    the badge."""
    moment = _at(day, LAPSE_AT)
    sub = plans.subscription()
    if sub is None or sub.status != "past_due":
        return
    with _dated(moment, PLAN_STAMPS):
        plans.change(sub, reason="grace_ended", now=moment, tell=False, status="suspended")
    later = _at(day, SUSPENDED_AT)
    with _dated(later):
        issuance.refresh_badge(later)


def _stamp_newest_invoice(today: date) -> None:
    """The newest invoice of the book gets a plain PDF (the one its accounting would print) if
    it has none, and the owner stamps it."""
    invoice = session.scalar(
        select(Charge)
        .where(Charge.kind == "invoice", Charge.number.like("F-%"))
        .order_by(Charge.issue_date.desc(), Charge.id.desc())
        .limit(1)
    )
    if invoice is None:
        return
    registered = issuance.register_invoice(invoice.id)
    if registered.stamped_sha256:
        return
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    if not invoice.attachment_sha256 or not store.exists(invoice.attachment_sha256):
        sha256 = store.put(_invoice_pdf(invoice))
        invoices.attach_document(invoice.id, sha256=sha256, filename=f"{invoice.number}.pdf")
    owner = session.scalar(select(User).join(Member, Member.user_id == User.id).limit(1))
    stamp = invoice_stamper(str(current_app.config["BASE_URL"]).rstrip("/"))
    with _dated(_at(today, STAMPED_AT), STAMP_STAMPS):
        stamping.stamp_attached(invoice.id, store=store, stamp=stamp, actor=owner)


def _invoice_pdf(invoice: Charge) -> bytes:
    """A plain one-page invoice: the business's letterhead, the client, the lines, the totals."""
    from markupsafe import escape

    workspace = session.get(Workspace, current_tenant_id())
    client = session.get(Party, invoice.party_id)
    base = invoice.base if invoice.base is not None else invoice.amount
    vat = invoice.vat if invoice.vat is not None else 0
    client_lines = [client.name, client.tax_id or "", client.street or ""]
    client_lines.append(f"{client.postal_code or ''} {client.city or ''}".strip())
    return render_pdf(
        "<style>body{font-family:sans-serif;font-size:11pt}"
        "table{width:100%;border-collapse:collapse}td{padding:4pt 0}"
        ".n{text-align:right}.total td{border-top:1pt solid #333;font-weight:bold}</style>"
        f"<p><strong>{escape(workspace.letterhead_name)}</strong><br>"
        f"CIF {escape(workspace.tax_id)}<br>"
        + "<br>".join(escape(line) for line in workspace.address_lines)
        + f"</p><h1>Factura {escape(invoice.number)}</h1>"
        f"<p>Fecha: {invoice.issue_date:%d/%m/%Y} · Vencimiento: {invoice.due_date:%d/%m/%Y}</p>"
        "<p><strong>Cliente</strong><br>"
        + "<br>".join(escape(line) for line in client_lines if line)
        + "</p><table>"
        f"<tr><td>{escape(invoice.description)}</td>"
        f'<td class="n">{format_money(base)}</td></tr>'
        f'<tr><td>IVA 21 %</td><td class="n">{format_money(vat)}</td></tr>'
        f'<tr class="total"><td>Total</td><td class="n">{format_money(invoice.amount)}</td></tr>'
        "</table>"
        f"<p>Pago por transferencia a {escape(workspace.iban)} antes del "
        f"{invoice.due_date:%d/%m/%Y}.</p>"
    )


def _views(badge: Badge, today: date, first_views: int, peak: int) -> None:
    """Views of the badge each day since it was issued, from `first_views` to about `peak` a
    weekday; today's so far (half a day). Days that have views already keep them."""
    from tenants.clock import date_in_spain

    first = date_in_spain(badge.issued_at)
    days = (today - first).days
    if days <= 0:
        return
    rng = random.Random(f"{badge.token}:views")  # noqa: S311 - demo data, not a secret
    rows = []
    for n in range(days + 1):
        day = first + timedelta(days=n)
        trend = first_views + (peak - first_views) * (n / days) ** 1.3
        views = trend * WEEKDAY_SHARE[day.weekday()] * rng.uniform(0.8, 1.2)
        if day == today:
            views /= 2
        rows.append(
            {"tenant_id": badge.tenant_id, "token": badge.token, "day": day, "views": round(views)}
        )
    session.execute(insert(BadgeView).values(rows).on_conflict_do_nothing())
