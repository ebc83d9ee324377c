"""A debtor telling why they have not paid, through the portal: a promise to pay by a date (it
pauses the ladder as a promise written down by the creditor does), or a dispute or explanation
with a reason, free text and up to 3 attachments. Disputing the amount, or saying it is paid
already, holds the case as a dispute does until someone looks into it.

Every message lands on the case's timeline and is emailed to the case's owner (after the
commit: outbox topic DEBTOR_TOLD); `reason_counts` is the collections overview's "why our
debtors don't pay".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from tenants import outbox
from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Case, DebtorAttachment, DebtorMessage
from tenants.models.portal import DISPUTING_REASONS, REASONS
from tenants.services.collections import case_actions
from tenants.services.collections.cases import get_case, record_event
from tenants.services.errors import ServiceError
from tenants.services.receivables.payments import parse_amount
from tenants.storage import DocumentStore

MAX_TEXT = 2000
MAX_FILENAME = 200
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Each message emails the case's owner: a debtor (or whoever holds the link) may send this many
# in 24 hours, so the owner's inbox cannot be flooded through a public page.
MAX_MESSAGES_PER_DAY = 5
# What a file is, by its first bytes (never by its name or the browser's word).
PDF, PNG, JPEG, WEBP = "application/pdf", "image/png", "image/jpeg", "image/webp"


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The type of a PDF, PNG, JPEG or WebP file from its magic bytes; None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    return None


def check_uploads(uploads: list[Upload], field: str = "files") -> list[tuple[Upload, str]]:
    """At most 3 files, each a PDF or an image of at most 10 MB: with its type, or refused."""
    uploads = [u for u in uploads if u.content or u.filename]
    if len(uploads) > MAX_ATTACHMENTS:
        raise ServiceError("attachments_too_many", field, most=MAX_ATTACHMENTS)
    checked = []
    for upload in uploads:
        if len(upload.content) > MAX_ATTACHMENT_BYTES:
            raise ServiceError(
                "attachment_too_large_named",
                field,
                name=upload.filename,
                mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
            )
        kind = sniff(upload.content)
        if kind is None:
            raise ServiceError("attachment_not_document", field, name=upload.filename)
        checked.append((upload, kind))
    return checked


def _open_case(case_id: int) -> Case:
    case = get_case(case_id)
    if case.status == "closed":
        raise ServiceError("case_closed")
    recent = session.scalar(
        select(func.count(DebtorMessage.id)).where(
            DebtorMessage.case_id == case.id,
            DebtorMessage.created_at > utcnow() - timedelta(hours=24),
        )
    )
    if recent >= MAX_MESSAGES_PER_DAY:
        raise ServiceError("debtor_messages_too_many", most=MAX_MESSAGES_PER_DAY)
    return case


def promise(case_id: int, *, until: date | None, amount, note: str, today: date) -> DebtorMessage:
    """The debtor promises to pay (`amount`, or everything) by `until`: the ladder waits until
    the day after. A case already held for a dispute stays held as it is."""
    case = _open_case(case_id)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ServiceError("too_long", "note", max=MAX_TEXT)
    promised = parse_amount(amount, "amount") if amount not in (None, "") else None
    if case.status == "paused" and case.pause_reason == "dispute":
        case_actions._check_until(until, today, required=True)
    else:
        case_actions.pause_case(
            case.id,
            reason="promise",
            note=note[:500],
            until=until,
            amount=promised,
            actor=None,
            today=today,
        )
    message = DebtorMessage(
        case_id=case.id, kind="promise", text=note, promised_on=until, amount=promised
    )
    return _record(case, message)


def explain(
    case_id: int,
    *,
    reason: str,
    text: str,
    uploads: list[Upload],
    today: date,
    store: DocumentStore,
) -> DebtorMessage:
    """A dispute or explanation: its reason, what the debtor says, and their documents. "The
    amount is wrong" and "I have paid already" hold the case as a dispute does."""
    case = _open_case(case_id)
    if reason not in REASONS:
        raise ServiceError("choice_invalid" if reason else "required", "reason")
    text = (text or "").strip()
    if not text:
        raise ServiceError("required", "text")
    if len(text) > MAX_TEXT:
        raise ServiceError("too_long", "text", max=MAX_TEXT)
    checked = check_uploads(uploads)
    if reason in DISPUTING_REASONS:
        case_actions.pause_case(
            case.id, reason="dispute", note=text[:500], until=None, actor=None, today=today
        )
    message = DebtorMessage(case_id=case.id, kind="dispute", reason=reason, text=text)
    for upload, kind in checked:
        message.attachments.append(
            DebtorAttachment(
                sha256=store.put(upload.content),
                filename=(upload.filename or "document")[:MAX_FILENAME],
                content_type=kind,
                size=len(upload.content),
            )
        )
    return _record(case, message)


def _record(case: Case, message: DebtorMessage) -> DebtorMessage:
    session.add(message)
    session.flush()
    record_event(
        case,
        "debtor_told",
        message_id=message.id,
        told=message.kind,
        reason=message.reason,
        text=message.text,
        until=message.promised_on,
        amount=message.amount,
        attachments=[{"id": a.id, "filename": a.filename} for a in message.attachments],
    )
    outbox.request(outbox.DEBTOR_TOLD, current_tenant_id(), message.id)
    session.flush()
    return message


def get_attachment(attachment_id: int) -> DebtorAttachment | None:
    return session.scalar(select(DebtorAttachment).where(DebtorAttachment.id == attachment_id))


def messages_of_case(case_id: int) -> list[DebtorMessage]:
    return list(
        session.scalars(
            select(DebtorMessage)
            .where(DebtorMessage.case_id == case_id)
            .order_by(DebtorMessage.created_at.desc(), DebtorMessage.id.desc())
        )
    )


def reason_counts() -> dict[str, int]:
    """Why this workspace's debtors don't pay: how many told each reason, and how many
    promised ("promise"), every reason listed even at zero."""
    counts = {reason: 0 for reason in ("promise", *REASONS)}
    rows = session.execute(
        select(func.coalesce(DebtorMessage.reason, DebtorMessage.kind), func.count()).group_by(
            func.coalesce(DebtorMessage.reason, DebtorMessage.kind)
        )
    )
    for key, count in rows:
        counts[key] = count
    return counts


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())
