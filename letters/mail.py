"""The one SMTP sender. Knows nothing of the database or Flask: settings in, message out."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    use_ssl: bool = False
    timeout: float = 30.0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    message_id_key: str = "",
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "amparo.local"
    message["Message-ID"] = make_msgid(idstring=message_id_key or None, domain=domain)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mime_type.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message; raises smtplib/OSError errors for the caller to record and retry."""
    if settings.use_ssl:
        client = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.starttls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(message)
