"""The demo's escalations to the partner lawyers (issue 14, point 7): the demo law firm has
cases in several statuses, each on the days it happened, made through the services (the
escalation, the firm's answers and work, the creditor's answers), so the timelines, the case
events, the emails and the signed dossiers are real.

The demo business (on Profesional since it signed up, 36 days ago) brought four old debts the
day after it signed up, before the rest of its book: four clients in Madrid, each started late
at the certified demand (approved, posted the next day, delivered two days later). Then:
- Suministros Hosteleros Castilla: escalated 30 days ago as a monitorio to the demo law firm,
  accepted the next day by Laura Abogada (no conflict of interest), the firm's own demand sent;
  the client paid the whole invoice 16 days ago (the payment is on the escalation's timeline),
  and the firm recorded the outcome the next day: recovered, its fee computed from the terms.
- Eventos Sierra Norte: escalated 20 days ago to the second demo firm (Despacho Levante, the
  lower flat fee), which declined it the next day (a conflict of interest); no other firm fits
  the terms the business had accepted, so it was left without a firm; the business withdrew it
  at noon and escalated it again to the demo law firm on its terms, and Laura accepted it the
  next morning. She asked for the signed order, the business uploaded it (a PDF) the next day,
  and she filed the monitorio 12 days ago (Juzgado de Primera Instancia n.º 12 de Madrid,
  "Monitorio 1234/<year>"), noting the day the debtor's 20 days to pay or oppose end.
- Mudanzas Tajo: escalated 12 days ago, accepted, the firm's demand sent, a short thread, and a
  request for documents 3 days ago that the business has not answered yet (due in a week).
- Decoración Retiro: escalated yesterday afternoon; the offer waits for the firm's answer.

The dossier of each is built here, in this process, as the demo renders its first letters
(`make run` seeds before the workers start), dated the day it was escalated.

Idempotent: a workspace that has escalations already is left as it is. Everything is dated
with demo_cases._dated: what the services stamp with the clock is moved back to the day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from stdnum.es import cif

from jobs import dossiers as dossier_jobs
from jobs import letters as letter_jobs
from letters.render import render_pdf
from tenants.db import current_tenant_id, session, tenant_context
from tenants.models import Case, Charge, Letter, Member, Payment, User
from tenants.models.escalations import (
    CLOSED_STATUSES,
    Escalation,
    EscalationAccess,
    EscalationDeadline,
    EscalationDocument,
    EscalationEvent,
    EscalationMessage,
    EscalationOffer,
    LawFirm,
)
from tenants.services.collections import cases, letters, sweep
from tenants.services.escalations import creditor, inbox
from tenants.services.escalations import escalate as escalating
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service
from tenants.services.receivables import invoices
from tenants.services.rentals import parties
from tenants.storage import DocumentStore
from web.demo_cases import (
    APPROVE_AT,
    DELIVERED_AT,
    POST_AT,
    STAMPS,
    SWEEP_AT,
    _at,
    _commit,
    _dated,
)

DEMO_FIRM = "demo-lawfirm"
SECOND_FIRM = "demo-levante"  # web/demo_firms.py
LAWYER = "lawyer@demo.amparo.test"
# What the escalation services stamp with the clock, besides what the ladder's do.
ESCALATION_STAMPS = (
    *STAMPS,
    (
        Escalation,
        (
            "created_at",
            "terms_accepted_at",
            "offer_expires_at",
            "accepted_at",
            "closed_at",
            "dossier_built_at",
            "firm_attention_at",
            "creditor_attention_at",
        ),
    ),
    (EscalationOffer, ("offered_at", "expires_at", "answered_at")),
    (EscalationEvent, ("created_at",)),
    (EscalationMessage, ("created_at", "answered_at")),
    (EscalationDocument, ("created_at",)),
    (EscalationDeadline, ("created_at", "done_at")),
    (EscalationAccess, ("created_at",)),
    (Payment, ("created_at",)),
)
# The hours (UTC) of a demo day: the creditor escalates after lunch, the firm answers in the
# morning, writes in the afternoon.
ESCALATE_AT, FIRM_AT, AFTERNOON_AT = time(15, 0), time(9, 30), time(17, 0)


@dataclass(frozen=True)
class Debt:
    key: str  # which story (FATES)
    client: str
    street: str
    postal_code: str
    base: Decimal  # the invoice, VAT excluded
    days_late: int  # on the day it was brought in
    email: str


# The business's four old debts, brought the day after it signed up (BROUGHT days ago).
BROUGHT = 35
DEBTS = (
    Debt(
        "recovered",
        "Suministros Hosteleros Castilla S.L.",
        "Calle de Embajadores 141",
        "28045",
        Decimal("5000.00"),
        118,
        "administracion@suministros-castilla.example",
    ),
    Debt(
        "reassigned",
        "Eventos Sierra Norte S.L.",
        "Calle de Bravo Murillo 302",
        "28020",
        Decimal("3500.00"),
        96,
        "pagos@eventos-sierranorte.example",
    ),
    Debt(
        "in_progress",
        "Mudanzas Tajo S.L.",
        "Calle de Méndez Álvaro 56",
        "28045",
        Decimal("3000.00"),
        104,
        "facturas@mudanzas-tajo.example",
    ),
    Debt(
        "offered",
        "Decoración Retiro S.L.",
        "Calle de Ibiza 27",
        "28009",
        Decimal("2400.00"),
        88,
        "contabilidad@decoracion-retiro.example",
    ),
)
VAT = Decimal("0.21")
# Days ago each step happened, counted back from the seed's day.
RECOVERED = {"escalated": 30, "accepted": 29, "demand_sent": 28, "paid": 16, "outcome": 15}
REASSIGNED = {
    "escalated": 20,
    "declined": 19,
    "accepted": 18,
    "request": 17,
    "upload": 16,
    "filed": 12,
}
COURT = "Juzgado de Primera Instancia n.º 12 de Madrid"
IN_PROGRESS = {"escalated": 12, "accepted": 11, "demand_sent": 9, "thread": 8, "request": 3}
OFFERED = {"escalated": 1}


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _on(day: date, hour: time, minutes: int = 0):
    return _dated(_at(day, hour) + timedelta(minutes=minutes), ESCALATION_STAMPS)


def _moment(day: date, hour: time, minutes: int = 0) -> datetime:
    return _at(day, hour) + timedelta(minutes=minutes)


def _firm(slug: str) -> LawFirm | None:
    workspace = ws_service.workspace_by_slug(slug)
    return session.get(LawFirm, workspace.id) if workspace is not None else None


def _member(firm: LawFirm, email: str | None = None) -> User:
    """A member of the firm (the demo lawyer by default; else its first member)."""
    with tenant_context(firm.workspace_id):
        query = select(User).join(Member, Member.user_id == User.id)
        if email is not None:
            query = query.where(User.email == email)
        return session.scalar(query.order_by(Member.id).limit(1))


@contextmanager
def _as_firm(firm: LawFirm) -> Iterator[None]:
    """The firm's requests run with the firm as the current workspace (inbox.py)."""
    with tenant_context(firm.workspace_id):
        yield


def _build_dossier(escalation_id: int, moment: datetime) -> None:
    """The dossier job's work, here and now, dated `moment` (the worker finds it done)."""
    real_clock = dossier_jobs.utcnow
    dossier_jobs.utcnow = lambda: moment
    try:
        dossier_jobs.build_dossier.__wrapped__(current_tenant_id(), escalation_id)
    finally:
        dossier_jobs.utcnow = real_clock
    _commit()


def _open_escalation(case_id: int) -> bool:
    return (
        session.scalar(
            select(Escalation.id).where(
                Escalation.case_id == case_id, Escalation.status.not_in(CLOSED_STATUSES)
            )
        )
        is not None
    )


def _escalate(case: Case, owner: User, day: date, firm: LawFirm, hour=ESCALATE_AT) -> int:
    """The owner escalates the case as a monitorio to `firm`; its dossier is built."""
    moment = _moment(day, hour)
    with _on(day, hour):
        escalation = escalating.escalate(
            case.id,
            case_type="monitorio",
            firm_id=firm.workspace_id,
            accept_terms=True,
            actor=owner,
            today=day,
            now=moment,
        )
        _commit()
        escalation_id = escalation.id
    _build_dossier(escalation_id, moment + timedelta(minutes=4))
    return escalation_id


def _accept(escalation_id: int, lawyer: User, firm: LawFirm, day: date) -> None:
    with _on(day, FIRM_AT), _as_firm(firm):
        inbox.accept(escalation_id, actor=lawyer, no_conflict=True, now=_moment(day, FIRM_AT))


def _move(escalation_id: int, lawyer, firm, day: date, status: str, note="", **filing) -> None:
    with _on(day, FIRM_AT, 40), _as_firm(firm):
        inbox.move(escalation_id, status=status, actor=lawyer, note=note, today=day, **filing)


# --- the business's four old debts ----------------------------------------------------------


def _tax_id(n: int) -> str:
    body = f"B{28_500_000 + n * 4_111:07d}"[:8]
    return body + cif.calc_check_digits(body)[0]


def _bring_debts(today: date) -> dict[str, Case]:
    """The four clients and their invoices, taken in by the sweep the day after the sign-up
    (started late at the certified demand), the demands approved, posted and delivered."""
    day = today - timedelta(days=BROUGHT)
    owner = session.scalar(select(User).join(Member, Member.user_id == User.id).limit(1))
    charges = {}
    for n, debt in enumerate(DEBTS, start=1):
        party = parties.find_party_by_tax_id(_tax_id(n)) or parties.create_party(
            name=debt.client,
            kind="company",
            is_business=True,
            tax_id=_tax_id(n),
            email=debt.email,
            street=debt.street,
            postal_code=debt.postal_code,
            city="Madrid",
            province="Madrid",
        )
        due = day - timedelta(days=debt.days_late)
        vat = (debt.base * VAT).quantize(Decimal("0.01"))
        number = f"F-{due.year}-9{n:03d}"
        invoice = session.scalar(
            select(Charge).where(Charge.kind == "invoice", Charge.number == number)
        ) or invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=party.id,
                number=number,
                issue_date=due - timedelta(days=30),
                due_date=due,
                total=debt.base + vat,
                base=debt.base,
                vat=vat,
                description="Suministro e instalación, pedido de temporada",
            )
        )
        charges[debt.key] = invoice.id
    _commit()
    with _on(day, SWEEP_AT):
        sweep.sweep(_moment(day, SWEEP_AT))
        _commit()
    found = {key: session.get(Charge, charge_id).case_id for key, charge_id in charges.items()}
    case_ids = [case_id for case_id in found.values() if case_id is not None]
    tenant_id = current_tenant_id()
    mine = session.scalars(
        select(Letter.id).where(Letter.case_id.in_(case_ids), Letter.status == "rendering")
    ).all()
    with _on(day, SWEEP_AT, 5):
        for letter_id in mine:
            letter_jobs.render_letter.__wrapped__(tenant_id, letter_id)
            _commit()
    waiting = [x for x in letters.approval_queue() if x.case_id in case_ids]
    with _on(day, APPROVE_AT):
        for letter in waiting:
            letters.approve(letter.id, owner, note="Revisada: importes correctos.")
        _commit()
    tray = [x for x in letters.postal_tray() if x.case_id in case_ids]
    posted_on, delivered_on = day + timedelta(days=1), day + timedelta(days=3)
    with _on(posted_on, POST_AT):
        letters.mark_posted(
            [x.id for x in tray],
            posted_on=posted_on,
            tracking={x.id: f"CD{480_113_200 + x.id:09d}ES" for x in tray},
            actor=owner,
            today=posted_on,
        )
    store = _store()
    with _on(delivered_on, DELIVERED_AT):
        for letter in tray:
            receipt = render_pdf(
                "<h1>Acuse de recibo</h1><p>Entregado al destinatario. Firma y sello de la "
                "empresa.</p>"
                f"<p>Envío {letter.tracking_number} · {delivered_on:%d/%m/%Y}</p>"
            )
            letters.record_acknowledgement(
                letter.id,
                sha256=store.put(receipt),
                delivered_on=delivered_on,
                actor=owner,
                today=delivered_on,
            )
    return {key: session.get(Case, case_id) for key, case_id in found.items() if case_id}


def _filed(escalation_id: int, owner: User, lawyer: User, firm: LawFirm, today: date) -> None:
    """The firm asks for the signed order, the business uploads it the next day, the firm files
    the monitorio and notes the day the debtor's time to pay or oppose ends."""
    steps = REASSIGNED
    asked_on = today - timedelta(days=steps["request"])
    with _on(asked_on, FIRM_AT, 20), _as_firm(firm):
        request = inbox.request_documents(
            escalation_id,
            text="El pedido firmado por el cliente, para acompañar la petición de monitorio.",
            due_on=asked_on + timedelta(days=5),
            actor=lawyer,
            today=asked_on,
        )
        request_id = request.id
    uploaded_on = today - timedelta(days=steps["upload"])
    order = render_pdf(
        "<h1>Pedido n.º 2025-0418</h1>"
        "<p>Cliente: Eventos Sierra Norte S.L. · Proveedor: Comercial Demo S.L.</p>"
        "<p>Suministro e instalación de mobiliario para eventos, según presupuesto aceptado. "
        "Importe: 3.500,00 € más IVA. Pago a 30 días de la factura.</p>"
        "<p>Conforme: firma y sello del cliente.</p>"
    )
    with _on(uploaded_on, time(10, 15)):
        creditor.upload_document(
            escalation_id,
            upload=creditor.Upload("pedido-firmado.pdf", order),
            actor=owner,
            store=_store(),
            request_id=request_id,
        )
    filed_on = today - timedelta(days=steps["filed"])
    _move(
        escalation_id,
        lawyer,
        firm,
        filed_on,
        "monitorio_filed",
        note="Petición de monitorio presentada por LexNET con la factura, el pedido y el burofax.",
        court=COURT,
        procedure_number=f"Monitorio 1234/{filed_on.year}",
        filed_on=filed_on,
    )
    with _on(filed_on, AFTERNOON_AT), _as_firm(firm):
        inbox.add_deadline(
            escalation_id,
            label="Fin del plazo del deudor para pagar u oponerse al monitorio (20 días)",
            due_on=today + timedelta(days=12),
            actor=lawyer,
            today=filed_on,
        )


def seed_business_escalations(today: date) -> None:
    """The business's four escalations (see the module's docstring)."""
    if session.scalar(select(Escalation.id).limit(1)) is not None:
        return
    firm = _firm(DEMO_FIRM)
    if firm is None:
        return  # no demo law firm in the directory: nothing to escalate to
    lawyer = _member(firm, LAWYER) or _member(firm)
    other = _firm(SECOND_FIRM)
    owner = session.scalar(select(User).join(Member, Member.user_id == User.id).limit(1))
    found = _bring_debts(today)
    if len(found) < len(DEBTS):
        return

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    # Recovered: the firm's demand made the client pay.
    steps = RECOVERED
    escalation_id = _escalate(found["recovered"], owner, day(steps["escalated"]), firm)
    _accept(escalation_id, lawyer, firm, day(steps["accepted"]))
    _move(
        escalation_id,
        lawyer,
        firm,
        day(steps["demand_sent"]),
        "demand_sent",
        note="Requerimiento del despacho enviado por burofax; plazo de 10 días.",
    )
    paid_on = day(steps["paid"])
    recovered = Decimal("0.00")
    with _on(paid_on, time(11, 20)):
        for charge in cases.open_charges(session.get(Escalation, escalation_id).case_id):
            recovered += charge.outstanding
            invoices.record_invoice_payment(
                charge.id,
                received_on=paid_on,
                amount=charge.outstanding,
                reference="Transferencia tras el requerimiento del despacho",
            )
        _commit()
    outcome_on = day(steps["outcome"])
    with _on(outcome_on, FIRM_AT), _as_firm(firm):
        inbox.record_outcome(
            escalation_id,
            status="recovered",
            recovered_amount=recovered,
            outcome_on=outcome_on,
            actor=lawyer,
            today=outcome_on,
            now=_moment(outcome_on, FIRM_AT),
        )

    # The second firm declines (a conflict of interest); no other firm fits the terms the
    # business accepted (the demo law firm's flat fee is higher), so the business withdraws it
    # and escalates it again, to the demo law firm on its terms, which accepts it.
    steps = REASSIGNED
    case = found["reassigned"]
    if other is not None:
        escalation_id = _escalate(case, owner, day(steps["escalated"]), other)
        declined_on = day(steps["declined"])
        with _on(declined_on, FIRM_AT), _as_firm(other):
            inbox.decline(
                escalation_id,
                actor=_member(other),
                reason=(
                    "Conflicto de intereses: el despacho asesora a Eventos Sierra Norte S.L. en "
                    "otro asunto."
                ),
                now=_moment(declined_on, FIRM_AT),
            )
        if session.get(Escalation, escalation_id).status == "unplaced":
            with _on(declined_on, time(12, 0)):
                escalating.withdraw(
                    escalation_id,
                    reason="El despacho declinó por conflicto de intereses; lo pasamos a otro.",
                    actor=owner,
                )
    if session.get(Case, case.id).status != "closed" and not _open_escalation(case.id):
        escalation_id = _escalate(case, owner, day(steps["declined"]), firm, time(12, 30))
    escalation = session.get(Escalation, escalation_id)
    if escalation.status == "offered" and escalation.firm_id == firm.workspace_id:
        _accept(escalation_id, lawyer, firm, day(steps["accepted"]))
        _filed(escalation_id, owner, lawyer, firm, today)

    # In progress: the firm's demand sent, a thread, a request the business has not answered.
    steps = IN_PROGRESS
    escalation_id = _escalate(found["in_progress"], owner, day(steps["escalated"]), firm)
    _accept(escalation_id, lawyer, firm, day(steps["accepted"]))
    _move(
        escalation_id,
        lawyer,
        firm,
        day(steps["demand_sent"]),
        "demand_sent",
        note="Requerimiento del despacho enviado; si no paga, presentamos el monitorio.",
    )
    thread_on = day(steps["thread"])
    with _on(thread_on, AFTERNOON_AT), _as_firm(firm):
        inbox.send_message(
            escalation_id,
            text=(
                "Buenas tardes. El cliente ha recibido nuestro requerimiento y dice que el "
                "pedido no se entregó completo. ¿Tienen el albarán firmado de la entrega?"
            ),
            actor=lawyer,
        )
    with _on(thread_on, AFTERNOON_AT, 50):
        creditor.write_message(
            escalation_id,
            text=(
                "Se entregó completo: lo firmó su jefe de almacén. Buscamos el albarán y se lo "
                "enviamos."
            ),
            actor=owner,
        )
    request_on = day(steps["request"])
    with _on(request_on, FIRM_AT, 15), _as_firm(firm):
        inbox.request_documents(
            escalation_id,
            text="El albarán de entrega firmado por el cliente y el pedido que lo originó.",
            due_on=today + timedelta(days=7),
            actor=lawyer,
            today=request_on,
        )

    # Offered yesterday: waiting for the firm's answer.
    _escalate(found["offered"], owner, day(OFFERED["escalated"]), firm)
    _commit()


def seed_escalations(today: date) -> None:
    """Called by seed_demo once the three demo workspaces and their cases exist."""
    business = ws_service.workspace_by_slug("demo-business")
    if business is None or accounts.find_user_by_email(LAWYER) is None:
        return
    with tenant_context(business.id):
        seed_business_escalations(today)
        session.commit()
