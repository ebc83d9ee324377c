"""Letter jobs: render a letter once, email it once, thank a debtor who paid.

The services record what must happen (a Letter row in `rendering`, a case closed as paid) and
ask for these jobs after their commit (tenants/outbox.py, jobs/enqueue.py). RQ runs a job at
least once, so each job checks its record first: a letter with a PDF is never rendered again,
and an email is an `Email` row with a unique idempotency key that `deliver_now` sends under a
row lock, whatever the number of jobs that ask for it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, get_translations
from sqlalchemy import select

from jobs import signing
from jobs.mail import DeliveryFailed, DeliveryRefused, compose_email, deliver_now
from jobs.maintenance import MAX_EMAIL_ATTEMPTS
from jobs.queues import LETTERS, MAIL
from jobs.runtime import job
from letters.context import build_context
from tenants import db
from tenants.db import utcnow
from tenants.models import Case, Email, Letter, Workspace
from tenants.services.collections import cases, letters
from tenants.storage import DocumentStore

RENDER_TIMEOUT = 120  # WeasyPrint on a long statement takes seconds, not minutes
MAX_RENDER_ATTEMPTS = 5  # a first job's 4 tries, then one more asked by the sweep
SEND_TIMEOUT = 120


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def plain(value):
    """The context as JSON keeps it: dates as ISO strings, money as exact decimal strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def warm_up() -> None:
    """Load in the worker, before it forks a work horse per job, what every letter job would
    otherwise load again: WeasyPrint and its fonts, the compiled letter and email templates,
    the translations."""
    from letters import compose
    from letters.sample import sample_context

    for language in ("es", "en"):
        compose.render_letter(sample_context("claim_1"), language)
        with force_locale(language):
            get_translations()
    for name in ("letter", "case_paid"):
        for suffix in ("txt", "html"):
            current_app.jinja_env.get_template(f"emails/{name}.{suffix}")


@job(LETTERS, timeout=RENDER_TIMEOUT)
def render_letter(tenant_id: int, letter_id: int) -> str | None:
    """Build the letter's context, render its PDF/A, archive it, and let it go on its way
    (approval, email, or the postal tray). Returns the PDF's SHA-256, None if nothing to do.

    Each try is counted before it starts; a letter whose rendering keeps failing ends `failed`
    at MAX_RENDER_ATTEMPTS, with the reason on its case's timeline, and is asked for no more."""
    letter = _letter_to_render(letter_id)
    if letter is None:
        return None
    if letter.render_attempts >= MAX_RENDER_ATTEMPTS:  # the earlier tries died without a word
        letters.mark_render_failed(letter, "rendering interrupted", final=True)
        return None
    # Committed before the try: a rendering that kills its worker (out of memory, killed by
    # the worker past its timeout) counts too. The lock is taken again for the rendering.
    letter.render_attempts += 1
    db.session.commit()
    letter = _letter_to_render(letter_id)
    if letter is None:
        return None
    # Imported here: WeasyPrint loads only in the workers that render, not in every process
    # that enqueues a letter job (the web app, the sweep).
    from letters import compose

    try:
        now = utcnow()
        context = build_context(letter, now, store=_store(), base_url=_base_url())
        # A certified demand is signed PAdES (docs/law.md#signatures): archived signed.
        signer = signing.identity() if letter.kind in compose.CERTIFIED_KINDS else None
        rendered = compose.render_letter(context, letter.language, now=now, signer=signer)
        sha256 = _store().put(rendered.pdf)
    except Exception as exc:
        if _render_failed(letter_id, exc):
            return None  # failed for good: an outcome, not an error to retry
        raise  # RQ tries again
    letters.mark_rendered(
        letter,
        pdf_sha256=sha256,
        content_sha256=rendered.content_sha256,
        context=plain(context),
        total=context.get("total"),
    )
    return sha256


def _letter_to_render(letter_id: int) -> Letter | None:
    """The letter, locked, if it still waits for its PDF (a cancelled one is not rendered)."""
    letter = letters.lock_letter(letter_id)
    if letter is None or letter.pdf_sha256 or letter.status != "rendering":
        return None
    return letter


def _render_failed(letter_id: int, exc: Exception) -> bool:
    """Put the failure on the timeline and commit it. True when the letter failed for good
    (its tries reached the cap) or no longer waits for rendering."""
    db.session.rollback()
    letter = _letter_to_render(letter_id)
    final = letter is None or letter.render_attempts >= MAX_RENDER_ATTEMPTS
    if letter is not None:
        letters.mark_render_failed(letter, f"{type(exc).__name__}: {exc}", final=final)
    db.session.commit()
    return final


def _letter_email(tenant_id: int, letter: Letter) -> Email:
    """The covering email of `letter`, with its PDF attached, recorded once (key letter:<id>)."""
    workspace = db.session.get(Workspace, tenant_id)
    case = db.session.get(Case, letter.case_id) if letter.case_id else None
    context = letter.context or {}
    reference = context.get("reference") or f"AMP-{letter.id}"
    return compose_email(
        "letter",
        to=letter.party.email,
        language=letter.language,
        key=f"letter:{letter.id}",
        tenant_id=tenant_id,
        attachment_sha256=letter.pdf_sha256,
        attachment_name=f"{reference}.pdf",
        to_name=letter.party.name,
        from_name=workspace.letterhead_name,
        reply_to=workspace.contact_email or "",
        letter=letter,
        creditor=workspace.letterhead_name,
        contact_email=workspace.contact_email,
        recipient=letter.party.name,
        debtor=case.party.name if case is not None else letter.party.name,
        is_copy=letter.copy_of_id is not None,
        reference=reference,
        total=letter.total if case is not None else None,
        # The debtor's page shows the whole case; a guarantor's copy lists only their lease.
        portal_url=(
            f"{_base_url()}/p/{case.portal_token}"
            if case is not None and letter.copy_of_id is None
            else None
        ),
    )


@job(LETTERS, timeout=SEND_TIMEOUT)
def deliver_letter(tenant_id: int, letter_id: int) -> str | None:
    """Email a rendered letter with its PDF. Returns the letter's status after the attempt.

    A 5xx refusal bounces the letter for good; a temporary failure is written on the case's
    timeline, committed, and raised so RQ tries again."""
    letter = letters.lock_letter(letter_id)
    if letter is None or letter.status != "sending":
        return None
    if not letter.party.email:
        letters.mark_failed(letter, "no email address", bounced=True)
        return letter.status
    # The Email row is committed before the send: every attempt, whichever job makes it,
    # sends that one row (with the same Message-ID) under its lock in deliver_now.
    try:
        email = _letter_email(tenant_id, letter)
        db.session.commit()
    except Exception as exc:
        # Our own template and the letter's data: the same letter fails the same way every
        # time, so it fails now, for a person to see, instead of being asked for forever.
        db.session.rollback()
        return _after_failure(letter_id, f"{type(exc).__name__}: {exc}", refused=False, final=True)
    # Locked again through the send: a payment cancelling the letter waits for it to leave.
    letter = letters.lock_letter(letter_id)
    if letter.status != "sending":
        return None
    try:
        email = deliver_now(email.id)
    except DeliveryFailed as exc:
        return _after_failure(letter_id, str(exc), refused=isinstance(exc, DeliveryRefused))
    if email.status == "refused":  # refused by an earlier run that died before saying so
        return _after_failure(letter_id, email.error, refused=True)
    letter = letters.lock_letter(letter_id)
    # Another job for the same letter may have recorded it already. A letter cancelled in the
    # instant after deliver_now's commit did leave: the record says so.
    if letter.status in ("sending", "cancelled"):
        letters.mark_sent(letter, email.id)
    return letter.status


def _after_failure(letter_id: int, error: str, *, refused: bool, final: bool = False) -> str | None:
    """Put the failure on the timeline and commit it; raise for RQ when a retry may help.
    The letter fails for good when `final`, or when its email has had MAX_EMAIL_ATTEMPTS."""
    letter = letters.lock_letter(letter_id)  # deliver_now's commit released the lock
    if letter is None or letter.status != "sending":
        db.session.commit()
        return None
    letters.mark_failed(letter, error, bounced=refused)
    email = db.session.scalar(select(Email).where(Email.idempotency_key == f"letter:{letter.id}"))
    given_up = final or (email is not None and email.attempts >= MAX_EMAIL_ATTEMPTS)
    if not refused and given_up:
        letter.status = "failed"  # the server kept saying "later" for too long: a person looks
    db.session.commit()
    if refused or given_up:
        return letter.status
    raise DeliveryFailed(error)


@job(MAIL)
def thank_debtor(tenant_id: int, case_id: int, cycle: int) -> int | None:
    """Thank a debtor whose case a payment closed, in their language, once per climb."""
    case = db.session.get(Case, case_id)
    debtor = case.party if case is not None else None
    if debtor is None or not debtor.email:
        return None
    key = f"case-paid:{case.id}:{cycle}"
    first_time = db.session.scalar(select(Email.id).where(Email.idempotency_key == key)) is None
    workspace = db.session.get(Workspace, tenant_id)
    email = compose_email(
        "case_paid",
        to=debtor.email,
        language=debtor.language or "es",
        key=key,
        tenant_id=tenant_id,
        to_name=debtor.name,
        from_name=workspace.letterhead_name,
        reply_to=workspace.contact_email or "",
        name=debtor.name,
        creditor=workspace.letterhead_name,
        contact_email=workspace.contact_email,
    )
    if first_time:
        cases.record_event(case, "thanked", to=debtor.email, cycle=cycle)
    db.session.commit()
    try:
        deliver_now(email.id)
    except DeliveryRefused:
        return email.id  # recorded on the email; asking again would be refused again
    return email.id
