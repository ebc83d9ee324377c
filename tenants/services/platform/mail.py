"""Recording outgoing email. Delivery itself happens in a job (jobs/mail.py).

An email recorded in a workspace's context is that workspace's (tenant-scoped and under RLS);
one recorded with no tenant (verification, password reset) is the platform's."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from tenants.db import across_tenants, session
from tenants.models import Email


def record_email(
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    tenant_id: int | None = None,
    attachment_sha256: str | None = None,
    attachment_name: str | None = None,
    to_name: str = "",
    from_name: str = "",
    reply_to: str = "",
    message_domain: str = "amparo.invalid",
) -> Email:
    """The email with idempotency `key`, created if new. Sending the same key twice is a no-op.

    `attachment_sha256` names a DocumentStore document sent with it as `attachment_name`. The
    Message-ID is fixed here, at `message_domain`, before any attempt to send."""
    email = session.scalar(select(Email).where(Email.idempotency_key == key))
    if email is None:
        email = Email(
            idempotency_key=key,
            to=to,
            subject=subject[:255],
            text=text,
            html=html,
            tenant_id=tenant_id,
            attachment_sha256=attachment_sha256,
            attachment_name=attachment_name,
            to_name=to_name[:255],
            from_name=from_name[:255],
            reply_to=reply_to[:254],
        )
        session.add(email)
        session.flush()
        email.message_id = new_message_id(email.id, message_domain)
        session.flush()
    return email


def new_message_id(email_id: int, domain: str) -> str:
    """A Message-ID for one email row, sent on every attempt: a copy sent twice (a crash
    between the server's acceptance and our record of it) carries the same id, which the
    receiving side can drop (RFC 5322 3.6.4). The random part keeps ids unique across
    databases that reuse row ids (a restored backup, a staging copy)."""
    return f"<email-{email_id}-{secrets.token_hex(8)}@{domain}>"


def lock_email(email_id: int) -> Email | None:
    """The email row, locked until the transaction ends (two workers never both send it).

    Read afresh once locked: the session may hold this email from before the lock (the letter
    job records it first), and a stale "queued" would send it a second time."""
    return session.scalar(
        select(Email)
        .where(Email.id == email_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def recent_emails(limit: int = 50) -> list[Email]:
    """The development mailbox: every workspace's email and the platform's."""
    with across_tenants("development mailbox"):
        return list(session.scalars(select(Email).order_by(Email.id.desc()).limit(limit)))


def mailbox_email(email_id: int) -> Email | None:
    """One email of the development mailbox, whoever sent it."""
    with across_tenants("development mailbox"):
        return session.get(Email, email_id)
