"""The one SMTP sender. Knows nothing of the database or Flask: settings in, message out.

Every value that reaches a header goes through `header_text`: names come from people (a
letterhead, a debtor, a user) and may hold a line break or a control character, which would
make the message impossible to build or, in a lenient library, let the name start a header of
its own. Names are refused at input; this is the wall for what is already stored.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlsplit

from tenants.text import one_line

# A header value of at most this many UTF-8 bytes stays on one line of fewer than SMTP's 998
# characters once encoded (RFC 5322 2.1.1), whatever its script. The long lines are on
# purpose: Python's email package folds long non-ASCII headers wrongly (it loses and adds
# spaces between encoded words), and a header that needs no folding is not folded.
HEADER_BYTES = 600
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*$")


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


def header_text(value: str | None) -> str:
    """`value` fit for a mail header: one line (line breaks and control characters folded to
    spaces) of at most HEADER_BYTES bytes, cut between characters."""
    text = one_line(value)
    cut = text.encode("utf-8")[:HEADER_BYTES].decode("utf-8", "ignore")
    return cut.strip()


def mailbox(name: str | None, address: str) -> Address:
    """`"Name" <address>`, the name quoted or RFC 2047-encoded as it needs."""
    return Address(display_name=header_text(name), addr_spec=header_text(address))


def message_domain(mail_from: str, base_url: str = "") -> str:
    """The domain our Message-IDs end with: the From address's, else the site's host."""
    candidates = (parseaddr(mail_from)[1].rpartition("@")[2], urlsplit(base_url).hostname or "")
    for domain in candidates:
        if domain and _DOMAIN.match(domain):
            return domain.lower()
    return "amparo.invalid"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    sender_name: str = "",
    to_name: str = "",
    reply_to: str = "",
    html: str = "",
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    """The message, every header through `header_text`. `sender` is the configured MAIL_FROM
    ("Amparo <no-reply@…>"); `sender_name`, when given, replaces its display name (a letter
    comes from the creditor's letterhead name, at our address)."""
    default_name, sender_address = parseaddr(sender)
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = mailbox(sender_name or default_name, sender_address or sender)
    message["To"] = mailbox(to_name, to)
    if reply_to:
        message["Reply-To"] = mailbox(sender_name, reply_to)
    message["Subject"] = header_text(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = header_text(message_id)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mime_type.split("/", 1)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=header_text(attachment.filename),
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
