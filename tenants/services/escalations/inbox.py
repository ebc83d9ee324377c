"""The law firm's side of an escalation: its inbox, the offers it answers, and the work on the
escalations it accepted.

The escalation rows are the creditor's (`tenant_id`); the firm's requests run with the firm's
workspace as the current tenant. This module is the one place that reads them across tenants,
always filtered to the current firm (`Escalation.firm_id`), and never one that was withdrawn:
a declined offer moves the escalation to the next firm (`core.offer_next`), so it leaves this
firm's inbox as well. Anything else (another firm's escalation, a declined one, a withdrawn
one) is `NotFound`, as if it did not exist. What the firm reads is what the dossier and the
thread hold: the escalation, its case's debtor and the creditor's name, the claim, the
timeline, the messages, requests, documents and deadlines; never the creditor's other rows.

Writes happen under the creditor's tenant (`tenant_context(escalation.tenant_id)`), so rows
get its tenant and row-level security lets them in, and are flushed there: a row of another
tenant left dirty would be refused by the next flush under the firm's tenant.

Every change is a line of the escalation's timeline (`core.record`), which tells the creditor.
The kinds written here: "accepted", "declined", "status", "outcome", "message", "request",
"document", "deadline", "deadline_done" (and "reassigned" by jobs/escalation_offers.py).
Every view and download by a firm member is an `EscalationAccess` row (`log_access`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from tenants.clock import today_in_spain
from tenants.db import across_tenants, current_tenant_id, session, tenant_context, utcnow
from tenants.models import Case, Party, User, Workspace
from tenants.models.escalations import (
    CASE_TYPES,
    CLOSED_STATUSES,
    FIRM_STATUSES,
    Escalation,
    EscalationAccess,
    EscalationDeadline,
    EscalationDocument,
    EscalationEvent,
    EscalationMessage,
    EscalationOffer,
)
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core
from tenants.services.portal.telling import Upload, check_uploads
from tenants.storage import DocumentStore

REASON = "lawyer inbox: escalations assigned to this firm"
PAGE_SIZE = 25
MAX_TEXT = 5000
MAX_REASON = 500
MAX_COURT = 200
MAX_PROCEDURE = 64
MAX_LABEL = 200
MAX_FILENAME = 200
CENT = Decimal("0.01")
# The statuses a firm moves an escalation through, in order; it never goes back.
ORDER = {status: n for n, status in enumerate(FIRM_STATUSES)}
# Statuses that need the filing on record: the court, the procedure number and its date.
NEEDS_FILING = ("monitorio_filed", "opposed", "hearing", "judgment", "enforcement")
OUTCOMES = ("recovered", "closed_unrecoverable")
# A status may only follow the filing it answers: opposition follows the filed petition.
AFTER = {"opposed": "monitorio_filed"}
IN_PROGRESS = tuple(s for s in FIRM_STATUSES if s not in OUTCOMES)
SHOWS = ("open", "closed", *FIRM_STATUSES)


@contextmanager
def _for_firm() -> Iterator[int]:
    """Across tenants, for the current firm only: yields the firm's id."""
    firm_id = current_tenant_id()
    with across_tenants(REASON):
        yield firm_id


def _visible(firm_id: int):
    return (Escalation.firm_id == firm_id, Escalation.status != "withdrawn")


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Row:
    escalation: Escalation
    creditor: str
    debtor: str
    tax_id: str | None
    hours_left: int | None = None  # an open offer: hours until it goes to another firm


@dataclass
class Inbox:
    offers: list[Row]
    rows: list[Row]
    page: int
    pages: int
    total: int
    show: str
    case_type: str
    search: str


def _creditor_name(workspace: Workspace) -> str:
    return workspace.letterhead_name


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _rows_query(firm_id: int, case_type: str, search: str):
    query = (
        select(Escalation, Workspace)
        .join(Case, Case.id == Escalation.case_id)
        .join(Party, Party.id == Case.party_id)
        .join(Workspace, Workspace.id == Escalation.tenant_id)
        .options(contains_eager(Escalation.case).contains_eager(Case.party))
        .where(*_visible(firm_id))
    )
    if case_type in CASE_TYPES:
        query = query.where(Escalation.case_type == case_type)
    search = " ".join(search.split())[:100]
    if search:
        pattern = _like(search)
        compact = _like("".join(c for c in search if c.isalnum()).upper())
        query = query.where(
            or_(
                Party.name.ilike(pattern, escape="\\"),
                Party.tax_id.ilike(compact, escape="\\"),
                Workspace.name.ilike(pattern, escape="\\"),
                Workspace.legal_name.ilike(pattern, escape="\\"),
                Escalation.procedure_number.ilike(pattern, escape="\\"),
            )
        )
    return query


def hours_left(escalation: Escalation, now: datetime | None = None) -> int | None:
    """An open offer's whole hours until it goes to the next firm (0: time is up)."""
    if escalation.status != "offered" or escalation.offer_expires_at is None:
        return None
    seconds = (escalation.offer_expires_at - (now or utcnow())).total_seconds()
    return max(0, int(seconds // 3600))


def _row(escalation: Escalation, creditor: Workspace, now: datetime) -> Row:
    party = escalation.case.party
    return Row(
        escalation, _creditor_name(creditor), party.name, party.tax_id, hours_left(escalation, now)
    )


def inbox(
    *, show: str = "open", case_type: str = "", search: str = "", page: int = 1, now=None
) -> Inbox:
    """The current firm's inbox: the offers waiting for its answer, then the escalations it
    works (`show`: "open", "closed" or one status), newest first; filtered by case type and a
    search on the debtor's name or tax id, the creditor's name and the procedure number."""
    now = now or utcnow()
    show = show if show in SHOWS else "open"
    with _for_firm() as firm_id:
        base = _rows_query(firm_id, case_type, search)
        offers = session.execute(
            base.where(Escalation.status == "offered").order_by(Escalation.offer_expires_at)
        ).all()
        if show == "open":
            listed = base.where(Escalation.status.in_(IN_PROGRESS))
        elif show == "closed":
            listed = base.where(Escalation.status.in_(CLOSED_STATUSES))
        else:
            listed = base.where(Escalation.status == show)
        total = session.scalar(select(func.count()).select_from(listed.subquery()))
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        found = session.execute(
            listed.order_by(Escalation.created_at.desc(), Escalation.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
    return Inbox(
        offers=[_row(e, w, now) for e, w in offers],
        rows=[_row(e, w, now) for e, w in found],
        page=page,
        pages=pages,
        total=total,
        show=show,
        case_type=case_type if case_type in CASE_TYPES else "",
        search=search,
    )


def waiting_count() -> int:
    """What waits on the firm: its open offers and the escalations with something new (a
    message, an upload, a payment) since a member last opened them."""
    with _for_firm() as firm_id:
        return session.scalar(
            select(func.count(Escalation.id)).where(
                *_visible(firm_id),
                or_(Escalation.status == "offered", Escalation.firm_attention_at.is_not(None)),
            )
        )


def get_for_firm(escalation_id: int, *, lock: bool = False) -> Escalation:
    """One escalation of the current firm (not withdrawn); NotFound for anything else."""
    with _for_firm() as firm_id:
        query = select(Escalation).where(Escalation.id == escalation_id, *_visible(firm_id))
        if lock:
            query = query.with_for_update(of=Escalation)
        escalation = session.scalar(query)
    if escalation is None:
        raise NotFound(escalation_id)
    return escalation


def open_offer(escalation: Escalation) -> EscalationOffer | None:
    """The current firm's unanswered offer of this escalation."""
    with tenant_context(escalation.tenant_id):
        return session.scalar(
            select(EscalationOffer).where(
                EscalationOffer.escalation_id == escalation.id,
                EscalationOffer.firm_id == escalation.firm_id,
                EscalationOffer.answer.is_(None),
            )
        )


@dataclass
class File:
    """What the firm's page shows of one escalation, all read under the creditor's tenant."""

    escalation: Escalation
    creditor: Workspace
    case: Case
    offer: EscalationOffer | None
    events: list[EscalationEvent] = field(default_factory=list)
    messages: list[EscalationMessage] = field(default_factory=list)
    documents: list[EscalationDocument] = field(default_factory=list)
    deadlines: list[EscalationDeadline] = field(default_factory=list)

    def documents_of(self, message: EscalationMessage) -> list[EscalationDocument]:
        return [d for d in self.documents if d.request_id == message.id]


def file_of(escalation: Escalation) -> File:
    """Everything the firm may read of the escalation (no other row of the creditor)."""
    with tenant_context(escalation.tenant_id):
        of = escalation.id

        def rows(model, *order):
            return list(
                session.scalars(select(model).where(model.escalation_id == of).order_by(*order))
            )

        return File(
            escalation=escalation,
            creditor=session.get(Workspace, escalation.tenant_id),
            case=escalation.case,
            offer=session.scalar(
                select(EscalationOffer).where(
                    EscalationOffer.escalation_id == of,
                    EscalationOffer.firm_id == escalation.firm_id,
                )
            ),
            events=rows(
                EscalationEvent, EscalationEvent.created_at.desc(), EscalationEvent.id.desc()
            ),
            messages=rows(EscalationMessage, EscalationMessage.created_at, EscalationMessage.id),
            documents=rows(
                EscalationDocument, EscalationDocument.created_at, EscalationDocument.id
            ),
            deadlines=rows(EscalationDeadline, EscalationDeadline.due_on, EscalationDeadline.id),
        )


def _row_of(escalation: Escalation, model, row_id: int):
    """A document or deadline of this escalation (under the creditor's tenant); NotFound for
    any other id, another escalation's included."""
    with tenant_context(escalation.tenant_id):
        row = session.scalar(
            select(model).where(model.id == row_id, model.escalation_id == escalation.id)
        )
    if row is None:
        raise NotFound(row_id)
    return row


def document_of(escalation: Escalation, document_id: int) -> EscalationDocument:
    return _row_of(escalation, EscalationDocument, document_id)


def log_access(escalation: Escalation, action: str, detail: str = "", *, user: User) -> None:
    """A view or download by a member of the firm, for the creditor's audit log."""
    with tenant_context(escalation.tenant_id):
        session.add(
            EscalationAccess(
                tenant_id=escalation.tenant_id,
                escalation_id=escalation.id,
                firm_id=escalation.firm_id,
                user_id=user.id,
                action=action,
                detail=detail[:200],
            )
        )
        session.flush()


def opened(escalation_id: int, *, user: User) -> Escalation:
    """A member opens the escalation's page: logged, and what waited on the firm is seen."""
    escalation = get_for_firm(escalation_id)
    log_access(escalation, "viewed", user=user)
    if escalation.firm_attention_at is not None:
        with tenant_context(escalation.tenant_id):
            escalation.firm_attention_at = None
            session.flush()
    return escalation


# --- the fee ------------------------------------------------------------------------------


def fee_for(escalation: Escalation, recovered: Decimal) -> Decimal:
    """The fee on the terms the creditor accepted: the flat fee plus the success percentage of
    what was recovered, to the cent (half up)."""
    fee = Decimal(escalation.flat_fee or 0)
    if escalation.success_percent:
        fee += Decimal(recovered) * Decimal(escalation.success_percent) / 100
    return fee.quantize(CENT, rounding=ROUND_HALF_UP)


# --- answering an offer -------------------------------------------------------------------


def _text(value: str | None, field: str, most: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError("required", field)
    if len(text) > most:
        raise ServiceError("too_long", field, max=most)
    return text


def _firm(escalation: Escalation) -> Workspace:
    return session.get(Workspace, escalation.firm_id)


def _offer_to_answer(escalation_id: int, now: datetime) -> tuple[Escalation, EscalationOffer]:
    escalation = get_for_firm(escalation_id, lock=True)
    offer = open_offer(escalation) if escalation.status == "offered" else None
    if offer is None:
        raise ServiceError("offer_answered")
    if offer.expires_at <= now:
        raise ServiceError("offer_expired")
    return escalation, offer


def accept(escalation_id: int, *, actor: User, no_conflict: bool, now=None) -> Escalation:
    """The firm takes the case: only with the lawyer's declaration that neither the debtor nor
    the creditor is a conflict of interest (docs/law.md#conflict-of-interest), while the offer
    is open."""
    now = now or utcnow()
    if not no_conflict:
        raise ServiceError("no_conflict_required", "no_conflict")
    escalation, offer = _offer_to_answer(escalation_id, now)
    with tenant_context(escalation.tenant_id):
        offer.answer = "accepted"
        offer.answered_at = now
        offer.answered_by_id = actor.id
        offer.no_conflict = True
        escalation.status = "accepted"
        escalation.accepted_at = now
        escalation.accepted_by_id = actor.id
        escalation.offer_expires_at = None
        escalation.firm_attention_at = None  # the offer was what waited on the firm
        core.record(
            escalation,
            "accepted",
            side="firm",
            actor=actor,
            tell=("creditor",),
            firm=_firm(escalation).name,
            no_conflict=True,
        )
        session.flush()
    return escalation


def decline(escalation_id: int, *, actor: User, reason: str, now=None) -> Escalation:
    """The firm does not take the case (the reason is required): it goes to the next firm that
    fits, and leaves this firm's inbox."""
    now = now or utcnow()
    reason = _text(reason, "reason", MAX_REASON)
    escalation, offer = _offer_to_answer(escalation_id, now)
    with tenant_context(escalation.tenant_id):
        offer.answer = "declined"
        offer.answered_at = now
        offer.answered_by_id = actor.id
        offer.reason = reason
        core.record(
            escalation,
            "declined",
            side="firm",
            actor=actor,
            tell=("creditor",),
            firm=_firm(escalation).name,
            reason=reason,
        )
        core.offer_next(escalation, now)
        session.flush()
    return escalation


# --- working an escalation -------------------------------------------------------------------


def _working(escalation_id: int) -> Escalation:
    escalation = get_for_firm(escalation_id, lock=True)
    if escalation.status == "offered":
        raise ServiceError("offer_not_accepted")
    if not escalation.is_open:
        raise ServiceError("escalation_closed")
    return escalation


def _check_day(day: date | None, field: str, today: date, *, required: bool = True) -> date:
    if day is None:
        if required:
            raise ServiceError("required", field)
        return None
    if day > today:
        raise ServiceError("date_in_future", field)
    return day


def move(
    escalation_id: int,
    *,
    status: str,
    actor: User,
    court: str | None = None,
    procedure_number: str | None = None,
    filed_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> Escalation:
    """Move the escalation forward (never back). Filing records the court, the procedure
    number and the day it was filed; the later court steps need the filing on record."""
    today = today or today_in_spain()
    escalation = _working(escalation_id)
    if status not in ORDER or status in OUTCOMES:
        raise ServiceError("choice_invalid", "status")
    if ORDER[status] <= ORDER[escalation.status]:
        raise ServiceError("status_backwards", "status")
    needed = AFTER.get(status)
    if needed and ORDER[escalation.status] < ORDER[needed]:
        raise ServiceError("status_needs_filing", "status")
    note = _text(note, "note", MAX_TEXT, required=False)
    filing = {}
    if status in NEEDS_FILING and escalation.filed_on is None:
        for name, value in (
            ("court", court),
            ("procedure_number", procedure_number),
            ("filed_on", filed_on),
        ):
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ServiceError("filing_details_required", name)
        court = _text(court, "court", MAX_COURT)
        procedure_number = _text(procedure_number, "procedure_number", MAX_PROCEDURE)
        filed_on = _check_day(filed_on, "filed_on", today)
        if escalation.accepted_at and filed_on < escalation.accepted_at.date():
            raise ServiceError("filed_before_accepted", "filed_on")
        filing = {"court": court, "procedure_number": procedure_number, "filed_on": filed_on}
    with tenant_context(escalation.tenant_id):
        previous = escalation.status
        escalation.status = status
        for name, value in filing.items():
            setattr(escalation, name, value)
        core.record(
            escalation,
            "status",
            side="firm",
            actor=actor,
            tell=("creditor",),
            status=status,
            previous=previous,
            note=note,
            **filing,
        )
        session.flush()
    return escalation


def record_outcome(
    escalation_id: int,
    *,
    status: str,
    recovered_amount: Decimal,
    outcome_on: date,
    actor: User,
    today: date | None = None,
    now=None,
) -> Escalation:
    """Close the escalation: recovered (some money came back) or closed unrecoverable; the fee
    is computed from the terms on the escalation."""
    today = today or today_in_spain()
    escalation = _working(escalation_id)
    if status not in OUTCOMES:
        raise ServiceError("choice_invalid", "status")
    recovered = Decimal(recovered_amount if recovered_amount is not None else 0)
    if recovered < 0:
        raise ServiceError("amount_not_positive", "recovered_amount")
    if status == "recovered" and recovered <= 0:
        raise ServiceError("recovered_amount_required", "recovered_amount")
    outcome_on = _check_day(outcome_on, "outcome_on", today)
    fee = fee_for(escalation, recovered)
    with tenant_context(escalation.tenant_id):
        escalation.status = status
        escalation.recovered_amount = recovered.quantize(CENT)
        escalation.fee_amount = fee
        escalation.outcome_on = outcome_on
        escalation.closed_at = now or utcnow()
        core.record(
            escalation,
            "outcome",
            side="firm",
            actor=actor,
            tell=("creditor",),
            status=status,
            recovered_amount=recovered.quantize(CENT),
            fee_amount=fee,
            outcome_on=outcome_on,
        )
        session.flush()
    return escalation


def send_message(escalation_id: int, *, text: str, actor: User) -> EscalationMessage:
    """A message from the firm to the creditor, on the thread."""
    text = _text(text, "text", MAX_TEXT)
    escalation = _working(escalation_id)
    with tenant_context(escalation.tenant_id):
        message = EscalationMessage(
            tenant_id=escalation.tenant_id,
            escalation_id=escalation.id,
            side="firm",
            kind="message",
            author_id=actor.id,
            text=text,
        )
        session.add(message)
        session.flush()
        core.record(
            escalation,
            "message",
            side="firm",
            actor=actor,
            tell=("creditor",),
            message_id=message.id,
        )
        session.flush()
    return message


def request_documents(
    escalation_id: int, *, text: str, due_on: date, actor: User, today: date | None = None
) -> EscalationMessage:
    """The firm asks the creditor for documents by a date: a request on the thread, which the
    creditor answers by upload, and a deadline of the firm's."""
    today = today or today_in_spain()
    text = _text(text, "text", MAX_TEXT)
    if due_on is None:
        raise ServiceError("required", "due_on")
    if due_on < today:
        raise ServiceError("date_in_past", "due_on")
    escalation = _working(escalation_id)
    with tenant_context(escalation.tenant_id):
        message = EscalationMessage(
            tenant_id=escalation.tenant_id,
            escalation_id=escalation.id,
            side="firm",
            kind="request",
            author_id=actor.id,
            text=text,
            due_on=due_on,
        )
        session.add(message)
        session.add(
            EscalationDeadline(
                tenant_id=escalation.tenant_id,
                escalation_id=escalation.id,
                due_on=due_on,
                label=" ".join(text.split())[:MAX_LABEL],
                created_by_id=actor.id,
            )
        )
        session.flush()
        core.record(
            escalation,
            "request",
            side="firm",
            actor=actor,
            tell=("creditor",),
            message_id=message.id,
            due_on=due_on,
        )
        session.flush()
    return message


def add_deadline(
    escalation_id: int, *, label: str, due_on: date, actor: User, today: date | None = None
) -> EscalationDeadline:
    """A date the firm keeps (a hearing, the 20 days to oppose a monitorio)."""
    label = _text(label, "label", MAX_LABEL)
    if due_on is None:
        raise ServiceError("required", "due_on")
    escalation = _working(escalation_id)
    with tenant_context(escalation.tenant_id):
        deadline = EscalationDeadline(
            tenant_id=escalation.tenant_id,
            escalation_id=escalation.id,
            due_on=due_on,
            label=label,
            created_by_id=actor.id,
        )
        session.add(deadline)
        session.flush()
        core.record(
            escalation,
            "deadline",
            side="firm",
            actor=actor,
            tell=("creditor",),
            label=label,
            due_on=due_on,
        )
        session.flush()
    return deadline


def complete_deadline(escalation_id: int, deadline_id: int, *, actor: User) -> EscalationDeadline:
    escalation = _working(escalation_id)
    deadline = _row_of(escalation, EscalationDeadline, deadline_id)
    with tenant_context(escalation.tenant_id):
        if deadline.done_at is None:
            deadline.done_at = utcnow()
            core.record(
                escalation,
                "deadline_done",
                side="firm",
                actor=actor,
                tell=("creditor",),
                label=deadline.label,
                due_on=deadline.due_on,
            )
        session.flush()
    return deadline


def upload_documents(
    escalation_id: int, *, uploads: list[Upload], actor: User, store: DocumentStore
) -> list[EscalationDocument]:
    """Files the firm adds to the escalation (a filed petition, a court's decision): at most 3
    at once, each a PDF or an image of at most 10 MB."""
    checked = check_uploads(uploads)
    if not checked:
        raise ServiceError("required", "files")
    escalation = _working(escalation_id)
    with tenant_context(escalation.tenant_id):
        documents = [
            EscalationDocument(
                tenant_id=escalation.tenant_id,
                escalation_id=escalation.id,
                side="firm",
                uploaded_by_id=actor.id,
                filename=(upload.filename or "document")[:MAX_FILENAME],
                content_type=kind,
                size=len(upload.content),
                sha256=store.put(upload.content),
            )
            for upload, kind in checked
        ]
        session.add_all(documents)
        session.flush()
        core.record(
            escalation,
            "document",
            side="firm",
            actor=actor,
            tell=("creditor",),
            files=[d.filename for d in documents],
        )
        session.flush()
    return documents
