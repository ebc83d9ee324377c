"""Composing account and workspace email, and the job that delivers it exactly once."""

from __future__ import annotations

import smtplib

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from jobs.enqueue import enqueue_after_commit
from jobs.queues import MAIL
from jobs.runtime import job
from letters.mail import (
    Attachment,
    SmtpSettings,
    build_message,
    header_text,
    message_domain,
    send,
)
from tenants import db
from tenants.db import across_tenants, utcnow
from tenants.models import Email, Letter
from tenants.services.platform.mail import lock_email, new_message_id, record_email
from tenants.storage import DocumentStore


def smtp_settings(config) -> SmtpSettings | None:
    """None when no SMTP server is configured: mail then stays in the development mailbox."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        username=config.get("SMTP_USERNAME", ""),
        password=config.get("SMTP_PASSWORD", ""),
        starttls=bool(config["SMTP_STARTTLS"]),
        use_ssl=bool(config["SMTP_SSL"]),
        timeout=float(config["SMTP_TIMEOUT"]),
    )


def compose_email(
    template: str,
    *,
    to: str,
    language: str,
    key: str,
    tenant_id: int | None = None,
    attachment_sha256: str | None = None,
    attachment_name: str | None = None,
    to_name: str = "",
    from_name: str = "",
    reply_to: str = "",
    **context,
) -> Email:
    """Render `emails/<template>.txt` (and `.html`) in the recipient's language and record it.

    The template's first line is the subject (names in it go through the `one_line` filter).
    `attachment_sha256` (a DocumentStore document) goes with the email as `attachment_name`.
    `to_name` and `from_name` are the display names of the To and From headers (From keeps
    MAIL_FROM's address), `reply_to` an address replies go to.
    """
    with force_locale(language if language in ("es", "en") else "es"):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context, layout_title=gettext("Amparo"))
    subject, _, body = text.partition("\n")
    return record_email(
        key=key,
        to=to,
        subject=header_text(subject),
        text=body.strip() + "\n",
        html=html,
        tenant_id=tenant_id,
        attachment_sha256=attachment_sha256,
        attachment_name=attachment_name,
        to_name=header_text(to_name),
        from_name=header_text(from_name),
        reply_to=header_text(reply_to),
        message_domain=_message_domain(),
    )


def _message_domain() -> str:
    return message_domain(current_app.config["MAIL_FROM"], current_app.config["BASE_URL"])


def queue_email(template: str, **kwargs) -> Email:
    """Compose an email in a request and deliver it after the request commits."""
    email = compose_email(template, **kwargs)
    if email.status == "queued":
        enqueue_after_commit(deliver_email, email.id)
    return email


class DeliveryFailed(RuntimeError):
    """SMTP refused or was unreachable; the job fails and RQ retries it."""


class DeliveryRefused(DeliveryFailed):
    """The server refused the message for good (a 5xx reply): trying again would not help."""


FINAL_STATUSES = ("sent", "stored", "refused")


def is_permanent(exc: BaseException) -> bool:
    """A 5xx reply is the server's final word (RFC 5321 4.2.1); 4xx and network errors pass."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _attachments(email: Email) -> tuple[Attachment, ...]:
    if not email.attachment_sha256:
        return ()
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    content = store.get(email.attachment_sha256)
    found = [Attachment(email.attachment_name or "document.pdf", content)]
    # A letter to a business client goes with the PDFs of the invoices it claims, when they
    # are on file (letters/context.py lists them on the letter when it is written).
    for extra in _letter_invoice_files(email):
        if store.exists(extra["sha256"]):
            found.append(Attachment(extra["name"], store.get(extra["sha256"])))
    return tuple(found)


def _letter_invoice_files(email: Email) -> list[dict]:
    key = email.idempotency_key or ""
    if not key.startswith("letter:") or not key[len("letter:") :].isdigit():
        return []
    letter = db.session.get(Letter, int(key[len("letter:") :]))
    if letter is None or letter.tenant_id != email.tenant_id:
        return []
    files = (letter.context or {}).get("invoice_files") or []
    return [f for f in files if isinstance(f, dict) and f.get("sha256") and f.get("name")]


def deliver_now(email_id: int) -> Email | None:
    """Send one recorded email unless it already left. Commits its outcome.

    The row lock makes a second worker wait, then see `sent` and skip. The one window left is a
    crash between the SMTP server's "250 OK" and our commit; then the email goes twice rather
    than never, both copies with the row's one Message-ID, which the receiving side can drop.
    Any failure, to build the message or to send it, is an attempt, recorded on the row.
    """
    email = lock_email(email_id)
    if email is None or email.status in FINAL_STATUSES:
        db.session.commit()
        return email
    if email.message_id is None:  # recorded before Message-IDs were: fixed before any attempt
        email.message_id = new_message_id(email.id, _message_domain())
        db.session.commit()
        email = lock_email(email_id)
        if email.status in FINAL_STATUSES:
            db.session.commit()
            return email
    email.attempts += 1
    config = current_app.config
    settings = smtp_settings(config)
    if settings is None:
        email.status = "stored"
        db.session.commit()
        return email
    try:
        send(settings, _message(email, config["MAIL_FROM"]))
    except Exception as exc:  # any build, SMTP or socket error is recorded, then retried by RQ
        refused = is_permanent(exc)
        email.status = "refused" if refused else "failed"
        email.error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise (DeliveryRefused if refused else DeliveryFailed)(email.error) from exc
    email.status = "sent"
    email.error = ""
    email.sent_at = utcnow()
    db.session.commit()
    return email


def _message(email: Email, mail_from: str):
    return build_message(
        sender=mail_from,
        sender_name=email.from_name,
        to=email.to,
        to_name=email.to_name,
        reply_to=email.reply_to,
        subject=email.subject,
        text=email.text,
        html=email.html,
        message_id=email.message_id,
        attachments=_attachments(email),
    )


@job(MAIL, tenant=False)
def deliver_email(email_id: int) -> None:
    # Platform code: the one email named by id, a workspace's (re-queued by cron) or an
    # account email, which no tenant context would show.
    with across_tenants("mail: deliver one recorded email"):
        try:
            deliver_now(email_id)
        except DeliveryRefused:
            pass  # recorded on the email; a retry would be refused again
