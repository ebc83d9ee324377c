"""The creditor's side of an escalation in progress: writing to the firm, answering its requests
for documents by upload, and reading what the case page shows (the timeline, the thread, the
documents, the audit log of the firm's views and downloads).

Owners and managers write and upload (`escalations.correspond`). Every message and upload is a
line of the escalation's timeline that tells the firm (core.record). Opening the escalation on
the case page clears what was flagged for the creditor (`seen_by_creditor`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tenants import permissions
from tenants.db import session, utcnow
from tenants.models import User
from tenants.models.escalations import (
    Escalation,
    EscalationAccess,
    EscalationDocument,
    EscalationEvent,
    EscalationMessage,
    EscalationOffer,
)
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core
from tenants.services.escalations.escalate import get_escalation
from tenants.services.portal.telling import MAX_ATTACHMENT_BYTES, sniff
from tenants.storage import DocumentStore

MAX_MESSAGE = 4000
MAX_FILENAME = 200


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def _writable(escalation_id: int, actor: User) -> Escalation:
    permissions.check(actor, "escalations.correspond")
    escalation = get_escalation(escalation_id)
    if not escalation.is_open:
        raise ServiceError("escalation_closed")
    if escalation.firm_id is None:
        raise ServiceError("escalation_no_firm")
    return escalation


def write_message(escalation_id: int, *, text: str, actor: User) -> EscalationMessage:
    """A message to the firm, on the thread both sides read; the firm is told."""
    escalation = _writable(escalation_id, actor)
    text = (text or "").strip()
    if not text:
        raise ServiceError("required", "text")
    if len(text) > MAX_MESSAGE:
        raise ServiceError("too_long", "text", max=MAX_MESSAGE)
    message = EscalationMessage(
        tenant_id=escalation.tenant_id,
        escalation_id=escalation.id,
        side="creditor",
        kind="message",
        author_id=actor.id,
        text=text,
    )
    session.add(message)
    session.flush()
    core.record(escalation, "message", side="creditor", actor=actor, message_id=message.id)
    return message


def check_upload(upload: Upload, field: str = "file") -> str:
    """A PDF or an image of at most 10 MB, judged by its first bytes: its type, or refused."""
    if not upload.content:
        raise ServiceError("required", field)
    if len(upload.content) > MAX_ATTACHMENT_BYTES:
        raise ServiceError("attachment_too_large", field, mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    kind = sniff(upload.content)
    if kind is None:
        raise ServiceError("attachment_not_document", field, name=upload.filename)
    return kind


def upload_document(
    escalation_id: int,
    *,
    upload: Upload,
    actor: User,
    store: DocumentStore,
    request_id: int | None = None,
) -> EscalationDocument:
    """A document for the firm, kept in the DocumentStore under its SHA-256; with `request_id`
    it answers that request of the firm's (marked answered). The firm is told."""
    escalation = _writable(escalation_id, actor)
    request = None
    if request_id is not None:
        request = session.scalar(
            select(EscalationMessage).where(
                EscalationMessage.id == request_id,
                EscalationMessage.escalation_id == escalation.id,
                EscalationMessage.kind == "request",
            )
        )
        if request is None:
            raise NotFound(request_id)
    kind = check_upload(upload)
    filename = (upload.filename or "document").replace("/", "_").replace("\\", "_")
    document = EscalationDocument(
        tenant_id=escalation.tenant_id,
        escalation_id=escalation.id,
        request_id=request.id if request is not None else None,
        side="creditor",
        uploaded_by_id=actor.id,
        filename=filename[-MAX_FILENAME:],
        content_type=kind,
        size=len(upload.content),
        sha256=store.put(upload.content),
    )
    session.add(document)
    if request is not None and request.answered_at is None:
        request.answered_at = utcnow()
    session.flush()
    core.record(
        escalation,
        "document",
        side="creditor",
        actor=actor,
        document_id=document.id,
        filename=document.filename,
        request_id=document.request_id,
    )
    return document


def get_document(escalation_id: int, document_id: int) -> EscalationDocument:
    document = session.scalar(
        select(EscalationDocument).where(
            EscalationDocument.id == document_id,
            EscalationDocument.escalation_id == escalation_id,
        )
    )
    if document is None:
        raise NotFound(document_id)
    return document


def seen_by_creditor(escalation: Escalation) -> None:
    """A member of the creditor opened the escalation: nothing waits on them any more."""
    if escalation.creditor_attention_at is not None:
        escalation.creditor_attention_at = None
        session.flush()


@dataclass
class Panel:
    """What the case page shows of an escalation."""

    escalation: Escalation
    events: list[EscalationEvent]
    messages: list[EscalationMessage]
    requests: list[EscalationMessage]
    documents: list[EscalationDocument]
    access: list[EscalationAccess]
    offers: list[EscalationOffer]


def panel(escalation: Escalation) -> Panel:
    def rows(model, *order):
        return list(
            session.scalars(
                select(model).where(model.escalation_id == escalation.id).order_by(*order)
            )
        )

    messages = rows(EscalationMessage, EscalationMessage.created_at, EscalationMessage.id)
    return Panel(
        escalation=escalation,
        events=rows(EscalationEvent, EscalationEvent.created_at.desc(), EscalationEvent.id.desc()),
        messages=messages,
        requests=[m for m in messages if m.kind == "request"],
        documents=rows(EscalationDocument, EscalationDocument.created_at, EscalationDocument.id),
        access=rows(
            EscalationAccess, EscalationAccess.created_at.desc(), EscalationAccess.id.desc()
        ),
        offers=rows(EscalationOffer, EscalationOffer.offered_at, EscalationOffer.id),
    )
