"""The demo's collection cases: the ladder run over the last weeks, with real PDFs.

The sweep runs as the cron would have on past days; each day's first letters are rendered and
delivered at once, in this process (`make run` seeds before the workers start), and the workers
render the rest. Then a few cases are moved by hand so every stage shows: a letter approved and
one waiting, a certified letter posted with its tracking number and one still in the tray, a
promise to pay, a dispute, a case paid (and thanked), a lawyer proposed.

Everything is dated on the day it would have happened: what a pass records (letters, their
PDFs, approvals, emails, the timeline) is moved back to that day (`_dated`), so a reminder
sent 57 days ago says so on the case page and on the PDF, a letter is posted after it was
prepared and delivered after it was posted.

Idempotent: a workspace that already has cases is left to the cron.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Interval, literal, or_, select, update
from sqlalchemy import case as sql_case

from jobs import letters as letter_jobs
from letters.render import render_pdf
from tenants.clock import date_in_spain
from tenants.db import current_tenant_id, session, utcnow
from tenants.models import ActivityEvent, Case, CaseEvent, Email, Letter, Member, User, Workspace
from tenants.services.collections import case_actions, cases, letters, sweep
from tenants.services.receivables import invoices, payments
from tenants.services.rentals import parties
from tenants.storage import DocumentStore

LETTERHEAD = {
    "landlord": {
        "legal_name": "Alquileres Demo",
        "tax_id": "B12345674",
        "street": "Calle de Alcalá 120",
        "postal_code": "28009",
        "city": "Madrid",
        "province": "Madrid",
        "contact_email": "cobros@alquileres-demo.example",
        "phone": "+34 910 000 001",
        "iban": "ES9121000418450200051332",
    },
    "business": {
        "legal_name": "Comercial Demo S.L.",
        "tax_id": "B76365782",
        "street": "Avenida Diagonal 450",
        "postal_code": "08006",
        "city": "Barcelona",
        "province": "Barcelona",
        "contact_email": "facturas@comercial-demo.example",
        "phone": "+34 930 000 002",
        "iban": "ES7921000813610123456789",
    },
}
# The landlord's two renters in arrears climb the whole ladder day after day, as the daily cron
# takes them; the business joins Amparo today, so its old debts start late (at the certified
# demand, the earlier steps skipped) and five fresh invoices show the first steps.
SWEEP_DAYS_AGO = {"landlord": tuple(range(98, -1, -1)), "business": (0,)}
RENDER_NOW = {"landlord": None, "business": 8}  # the business's 29 other letters: the workers
FRESH_DEBTS = (  # client, days late today: one per step of the ladder before the certified one
    ("Talleres Rivas S.L.", 4),
    ("Panadería Luna S.L.", 12),
    ("Reformas Costa S.L.", 24),
    ("Hostal Miramar S.L.", 33),
    ("Floristería Jardín S.L.", 50),
)
# The hours (UTC) things happen on a demo day: the cron's sweep and the letters it renders and
# emails, the owner's approvals in the afternoon, the post office, the courier's delivery, the
# debtors' calls and payments.
SWEEP_AT, APPROVE_AT, POST_AT, DELIVERED_AT, CALLS_AT = (
    time(10, 0),
    time(16, 0),
    time(11, 0),
    time(12, 0),
    time(17, 30),
)
# What a pass records and dates with the clock, moved back to the pass's day.
STAMPS = (
    (Letter, ("created_at", "rendered_at", "approved_at", "sent_at")),
    (CaseEvent, ("created_at",)),
    (Case, ("opened_at", "closed_at")),
    (Email, ("created_at", "sent_at")),
    (ActivityEvent, ("created_at",)),
)


def seed_cases(kind: str, today: date, on_day=None) -> None:
    """Run the ladder over the demo's debts and leave a case at every stage. `on_day(owner,
    day)` is called after each day's pass: what debtors and owner did that day (the portal)."""
    if session.scalar(select(Case.id).limit(1)) is not None:
        return
    workspace = session.get(Workspace, current_tenant_id())
    for field, value in LETTERHEAD[kind].items():
        if not getattr(workspace, field):
            setattr(workspace, field, value)
    owner = session.scalar(select(User).join(Member, Member.user_id == User.id).limit(1))
    if kind == "business":
        _fresh_invoices(today)
    _commit()
    for days_ago in SWEEP_DAYS_AGO[kind]:
        day = today - timedelta(days=days_ago)
        moment = _at(day, SWEEP_AT)
        with _dated(moment):
            sweep.sweep(moment)
            _commit()
            _work_now(RENDER_NOW[kind])
        if kind == "landlord" and letters.approval_queue():  # approved the day they come
            with _dated(_at(day, APPROVE_AT)):
                _approve_waiting(owner, keep=0)
        if on_day is not None:
            on_day(owner, day)
    if kind == "business":  # two approved, the newer ones still waiting
        with _dated(_at(today, APPROVE_AT)):
            _approve_waiting(owner, keep=len(letters.approval_queue()) - 2)
    _post_paper_letters(owner, today, DocumentStore(current_app.config["DOCUMENTS_DIR"]))
    if kind == "business":
        with _dated(_at(today, CALLS_AT)):
            _hold_and_settle(owner, today)
            _commit()
            _work_now(0)
    _commit()


def _at(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, tzinfo=UTC)


@contextmanager
def _dated(moment: datetime, stamps=STAMPS) -> Iterator[None]:
    """What happens inside is dated `moment` (and the seconds it takes), never later than now.

    The services and jobs stamp rows with the clock; the rows this pass stamped are moved
    back by the same amount afterwards, so their order stays. The letters rendered and
    approved here see `moment` as now too: the PDF says the day the letter was sent, and
    counts its deadline and interest from it; a demand approved the day it was written is
    not written again. Only this process's clock for the letters is moved, while the seed
    runs: the workers start after it (`make run`) and keep the real clock."""
    session.flush()
    mark = utcnow()
    shift = mark - min(moment, mark)
    clocks = [(module, module.utcnow) for module in (letter_jobs, letters)]
    for module, real_clock in clocks:
        module.utcnow = lambda real_clock=real_clock: real_clock() - shift
    try:
        yield
    finally:
        for module, real_clock in clocks:
            module.utcnow = real_clock
    session.flush()
    if shift:
        back = literal(shift, Interval())
        for model, names in stamps:  # one UPDATE a table: the columns this pass stamped
            columns = [getattr(model, name) for name in names]
            session.execute(
                update(model)
                .where(model.tenant_id == current_tenant_id(), or_(*(c >= mark for c in columns)))
                .values(
                    {
                        name: sql_case((column >= mark, column - back), else_=column)
                        for name, column in zip(names, columns, strict=True)
                    }
                )
                .execution_options(synchronize_session=False)
            )
    _commit()
    session.expire_all()


def _fresh_invoices(today: date) -> None:
    for number, (name, days_late) in enumerate(FRESH_DEBTS, start=1):
        client = parties.create_party(
            name=name,
            kind="company",
            is_business=True,
            email=f"pagos{number}@example.com",
            street=f"Calle Industria {number * 7}",
            postal_code="08013",
            city="Barcelona",
            province="Barcelona",
        )
        due = today - timedelta(days=days_late)
        invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number=f"N-{today.year}-{number:03d}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                total="1452.00",
                base="1200.00",
                vat="252.00",
                description="Pedido de temporada",
            )
        )


def _commit() -> None:
    session.commit()


def _work_now(limit: int | None = None) -> None:
    """Render the first letters waiting to be rendered and send those that may leave, here
    and now, so the demo opens on real PDFs. The jobs the commits enqueued render the rest
    in the workers (and find these done: each job does its work once)."""
    tenant_id = current_tenant_id()
    waiting = session.scalars(
        select(Letter.id)
        .where(Letter.status == "rendering")
        .order_by(Letter.id.desc())  # the newest first: the business's five fresh debts
        .limit(limit)
    ).all()
    for letter_id in waiting:
        letter_jobs.render_letter.__wrapped__(tenant_id, letter_id)
        _commit()
    for letter_id in session.scalars(select(Letter.id).where(Letter.status == "sending")).all():
        letter_jobs.deliver_letter.__wrapped__(tenant_id, letter_id)
        _commit()


def _approve_waiting(owner: User, keep: int) -> None:
    """The owner approves the oldest letters waiting and leaves the newest `keep` waiting."""
    waiting = letters.approval_queue()
    for letter in waiting[: max(len(waiting) - keep, 0)]:
        letters.approve(letter.id, owner, note="Revisada: importes correctos.")
    _commit()
    _work_now(0)


def _post_paper_letters(owner: User, today: date, store: DocumentStore) -> None:
    """The oldest paper letter posted the day after it was ready, and its acknowledgement of
    receipt back two days later; the rest stay in the tray for the owner to print."""
    tray = [letter for letter in letters.postal_tray() if letter.copy_of_id is None]
    if len(tray) < 2:
        return
    letter = tray[0]
    ready = max(t for t in (letter.rendered_at, letter.approved_at) if t is not None)
    posted_on = min(date_in_spain(ready) + timedelta(days=1), today)
    delivered_on = min(posted_on + timedelta(days=2), today)
    posting = max(_at(posted_on, POST_AT), ready + timedelta(minutes=30))
    with _dated(posting):
        letters.mark_posted(
            [letter.id],
            posted_on=posted_on,
            tracking={letter.id: "CD123456789ES"},
            actor=owner,
            today=today,
        )
    receipt = render_pdf(
        "<h1>Acuse de recibo</h1><p>Entregado al destinatario. Firma: ilegible.</p>"
        f"<p>Envío CD123456789ES · {delivered_on:%d/%m/%Y}</p>"
    )
    with _dated(max(_at(delivered_on, DELIVERED_AT), posting + timedelta(minutes=30))):
        letters.record_acknowledgement(
            letter.id,
            sha256=store.put(receipt),
            delivered_on=delivered_on,
            actor=owner,
            today=today,
        )


def _hold_and_settle(owner: User, today: date) -> None:
    """Of the open cases, the oldest three: one promises to pay, one disputes, one pays."""
    open_cases = [row.case for row in cases.list_cases("open") if row.balance > 0]
    movable = [c for c in open_cases if c.next_action_at is not None][:3]
    if len(movable) < 3:
        return
    promise, dispute, paid = movable
    case_actions.pause_case(
        promise.id,
        reason="promise",
        note="Llamó: cobra la nómina el día 10.",
        until=today + timedelta(days=10),
        actor=owner,
        today=today,
        amount=None,
    )
    case_actions.pause_case(
        dispute.id,
        reason="dispute",
        note="Dice que el importe no incluye un abono pactado.",
        until=None,
        actor=owner,
        today=today,
    )
    case_actions.add_note(
        paid.id,
        text="Ha llamado para decir que paga hoy por transferencia.",
        actor=owner,
        kind="debtor_reply",
    )
    for charge in cases.open_charges(paid.id):
        if charge.lease_id is not None:
            payments.record_payment(
                lease_id=charge.lease_id,
                received_on=today,
                amount=charge.outstanding,
                reference="Transferencia",
            )
        else:
            invoices.record_invoice_payment(
                charge.id, received_on=today, amount=charge.outstanding, reference="Transferencia"
            )
    _thank(paid)


def _thank(case: Case) -> None:
    session.flush()
    if case.status == "closed":
        _commit()
        letter_jobs.thank_debtor.__wrapped__(current_tenant_id(), case.id, case.cycle)
