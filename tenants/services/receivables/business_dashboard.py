"""The business dashboard: what clients owe, how late, who owes most, and what the law adds.

Set-based: four queries whatever the number of invoices (the late-payment rate in force,
one aggregate grouped by aging bucket for the totals, the top debtors and the most overdue
invoices; a fifth, an EXISTS, only when nothing is open or recent), no ORM objects and no
query per invoice or per debtor. The aggregate reads only the open invoices and those of the
sales window: paid history costs a scan, not arithmetic.

Definitions (the figures a user can check by hand):
- outstanding of an invoice = amount − credited (credit notes) − paid; an invoice is *open*
  when its outstanding is positive and it is not written off. Written-off invoices count in
  no total (they are still listed on the invoices page).
- days past due = today − due date; aging buckets over open invoices: current (not yet past
  due), 1–30, 31–60, 61–90 and more than 90 days past due.
- DSO (days sales outstanding) = total owed ÷ credit sales of the last 90 days × 90, where
  credit sales are the invoices issued in the 90 days up to today (today − 89 … today), net
  of their credit notes (amount − credited), written-off ones included: they were sold.
  Whole days, half up; None when nothing was invoiced in those 90 days.
- interest claimable, *estimated*: for every open overdue invoice of a business debtor
  (Ley 3/2004), outstanding × the late-payment rate in force today × days past due ÷ 365,
  rounded to cents per invoice, plus 40 EUR per such invoice (art. 8). It is an estimate:
  it ignores rate changes over the period and when earlier part-payments were made. The
  exact per-invoice breakdown is services/late_payment.claim, shown on the invoice page.
  Consumers owe legal interest only from a formal demand, so they are left out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select

from tenants.db import session
from tenants.models import Charge, InterestRate, Party
from tenants.services.receivables.late_payment import COMPENSATION

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
SALES_DAYS = 90
TOP_DEBTORS = 5
MOST_OVERDUE = 10
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")


@dataclass(frozen=True)
class Bucket:
    key: str  # one of BUCKETS
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Debtor:
    party_id: int
    name: str
    amount: Decimal
    invoices: int
    oldest_due: date
    oldest_invoice_id: int  # the invoice with the oldest due date, for the link


@dataclass(frozen=True)
class OverdueInvoice:
    invoice_id: int
    number: str
    debtor: str
    due_date: date
    days_overdue: int
    outstanding: Decimal
    disputed: bool
    estimate: Decimal | None  # interest + 40 EUR; None for a consumer debtor


@dataclass(frozen=True)
class BusinessDashboard:
    today: date
    has_invoices: bool  # any invoice at all, whatever its status (if not: the first steps)
    open_invoices: int
    total_owed: Decimal
    overdue: Decimal
    overdue_invoices: int
    buckets: list[Bucket]
    sales_90: Decimal
    dso: int | None
    top_debtors: list[Debtor]
    disputed: int
    late_rate: Decimal | None  # late-payment rate in force today, percent per year
    estimated_interest: Decimal
    estimated_compensation: Decimal
    claimable_invoices: int  # open overdue invoices of business debtors
    most_overdue: list[OverdueInvoice]

    @property
    def estimated_claim(self) -> Decimal:
        return self.estimated_interest + self.estimated_compensation

    def chart_data(self) -> dict:
        return {"amounts": [str(b.amount) for b in self.buckets]}


def _days(today: date):
    return literal(today, Date) - Charge.due_date


def late_rate_on(day: date) -> Decimal | None:
    return session.scalar(
        select(InterestRate.rate).where(
            InterestRate.kind == "late_payment",
            InterestRate.valid_from <= day,
            InterestRate.valid_to >= day,
        )
    )


def business_dashboard(today: date) -> BusinessDashboard:
    rate = late_rate_on(today)
    rate_value = rate if rate is not None else Decimal("0")
    outstanding = Charge.amount - Charge.credited - Charge.paid
    is_open = and_(outstanding > 0, Charge.written_off_at.is_(None))
    days = _days(today)
    overdue = and_(is_open, days > 0)
    claimable = and_(overdue, Party.is_business.is_(True))
    interest = func.round(outstanding * rate_value * days / 36500, 2)
    sales_from = today - timedelta(days=SALES_DAYS - 1)
    in_sales = and_(Charge.issue_date >= sales_from, Charge.issue_date <= today)

    # Only the rows that count (open invoices and those of the sales window), grouped by
    # aging bucket: each sum is computed once per row, the totals are added up here.
    bucket = case(
        (~is_open, "closed"),
        (days <= 0, "current"),
        (days <= 30, "1_30"),
        (days <= 60, "31_60"),
        (days <= 90, "61_90"),
        else_="over_90",
    ).label("bucket")
    groups = session.execute(
        select(
            bucket,
            func.count().filter(is_open).label("invoices"),
            func.sum(case((is_open, outstanding), else_=0)).label("owed"),
            func.sum(case((in_sales, Charge.amount - Charge.credited), else_=0)).label("sold"),
            func.count().filter(and_(is_open, Charge.disputed_at.is_not(None))).label("disputed"),
            func.count().filter(claimable).label("claimable"),
            func.sum(case((claimable, interest), else_=0)).label("interest"),
        )
        .select_from(Charge)
        .outerjoin(Party, Party.id == Charge.party_id)
        .where(Charge.kind == "invoice", or_(is_open, in_sales))
        .group_by(bucket)
    ).all()
    by_bucket = {g.bucket: g for g in groups}
    has_invoices = bool(groups) or bool(
        session.scalar(select(exists().where(Charge.kind == "invoice")))
    )
    buckets = [
        Bucket(key, int(by_bucket[key].invoices), _money(by_bucket[key].owed))
        if key in by_bucket
        else Bucket(key, 0, ZERO)
        for key in BUCKETS
    ]
    late = [b for b in buckets if b.key != "current"]
    open_invoices = sum(b.count for b in buckets)
    overdue_invoices = sum(b.count for b in late)
    total_owed = sum((b.amount for b in buckets), ZERO)
    sales = _money(sum((g.sold or 0 for g in groups), ZERO))
    claimable_invoices = sum(int(g.claimable) for g in groups)
    dso = None
    if sales > 0:
        dso = int((total_owed / sales * SALES_DAYS).quantize(Decimal("1"), ROUND_HALF_UP))
    return BusinessDashboard(
        today=today,
        has_invoices=has_invoices,
        open_invoices=open_invoices,
        total_owed=total_owed,
        overdue=sum((b.amount for b in late), ZERO),
        overdue_invoices=overdue_invoices,
        buckets=buckets,
        sales_90=sales,
        dso=dso,
        top_debtors=_top_debtors(outstanding, is_open) if open_invoices else [],
        disputed=sum(int(g.disputed) for g in groups),
        late_rate=rate,
        estimated_interest=_money(sum((g.interest or 0 for g in groups), ZERO)),
        estimated_compensation=COMPENSATION * claimable_invoices,
        claimable_invoices=claimable_invoices,
        most_overdue=(
            _most_overdue(outstanding, overdue, days, interest) if overdue_invoices else []
        ),
    )


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def _top_debtors(outstanding, is_open) -> list[Debtor]:
    """The five debtors owing most, with their oldest due date, in one query: a GROUP BY, then
    the oldest open invoice of each of those five only (a correlated subquery)."""
    top = (
        select(
            Charge.party_id,
            func.sum(outstanding).label("owed"),
            func.count(Charge.id).label("invoices"),
            func.min(Charge.due_date).label("oldest_due"),
        )
        .where(Charge.kind == "invoice", is_open)
        .group_by(Charge.party_id)
        .order_by(func.sum(outstanding).desc(), Charge.party_id)
        .limit(TOP_DEBTORS)
        .subquery()
    )
    oldest = (
        select(Charge.id)
        .where(Charge.kind == "invoice", is_open, Charge.party_id == top.c.party_id)
        .order_by(Charge.due_date, Charge.id)
        .limit(1)
        .correlate(top)
        .scalar_subquery()
    )
    rows = session.execute(
        select(top, Party.name, oldest.label("invoice_id"))
        .join(Party, Party.id == top.c.party_id)
        .order_by(top.c.owed.desc(), top.c.party_id)
    ).all()
    return [
        Debtor(
            party_id=r.party_id,
            name=r.name,
            amount=_money(r.owed),
            invoices=int(r.invoices),
            oldest_due=r.oldest_due,
            oldest_invoice_id=r.invoice_id,
        )
        for r in rows
    ]


def _most_overdue(outstanding, overdue, days, interest) -> list[OverdueInvoice]:
    rows = session.execute(
        select(
            Charge.id,
            Charge.number,
            Charge.due_date,
            Charge.disputed_at,
            outstanding.label("outstanding"),
            days.label("days"),
            interest.label("interest"),
            Party.name,
            Party.is_business,
        )
        .join(Party, Party.id == Charge.party_id)
        .where(Charge.kind == "invoice", overdue)
        .order_by(Charge.due_date, Charge.id)
        .limit(MOST_OVERDUE)
    ).all()
    return [
        OverdueInvoice(
            invoice_id=r.id,
            number=r.number or "",
            debtor=r.name,
            due_date=r.due_date,
            days_overdue=int(r.days),
            outstanding=_money(r.outstanding),
            disputed=r.disputed_at is not None,
            estimate=_money(r.interest) + COMPENSATION if r.is_business else None,
        )
        for r in rows
    ]
