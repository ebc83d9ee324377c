"""Stamping an invoice (issue 13.5): the issued PDF back with the badge and the verify QR.

Stamping registers the invoice (its own badge token: its verify page shows its number, date and
amount), draws the stamp (the `stamp` the caller passes: `tenants` imports no `letters`, see
DESIGN.md), stores the result in the document store and remembers it on the InvoiceBadge, so
the invoice's page offers the stamped copy again. Only while the workspace badge is active: a
stamp is a promise that the invoice is monitored, and a suspended badge promises nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Party, User, Workspace
from tenants.models.badges import InvoiceBadge
from tenants.services.badge import issuance
from tenants.services.errors import ServiceError
from tenants.services.receivables import invoices
from tenants.storage import DocumentStore


class BadgeNotActive(ServiceError):
    """Stamping refused: the workspace badge is not active. `reason` says why: a requirement
    of issuance.REQUIREMENTS, "closed" (revoked) or "pending" (qualifies, not issued yet)."""

    def __init__(self, reason: str):
        super().__init__(f"badge_inactive_{reason}")
        self.reason = reason


@dataclass(frozen=True)
class StampFacts:
    """What the stamp draws: the creditor's badge and the QR of the invoice's verify page."""

    token: str  # the invoice's own badge token
    amount: Decimal
    number: str
    name: str  # the creditor, as on the badge
    language: str  # the debtor's: the badge speaks to them


Stamper = Callable[[bytes, StampFacts], bytes]


def refusal() -> BadgeNotActive | None:
    """Why the current workspace may not stamp now, or None when it may."""
    badge = issuance.workspace_badge()
    if badge is not None and badge.state == "active":
        return None
    if badge is not None and badge.state == "revoked":
        return BadgeNotActive("closed")
    if badge is not None and badge.reason in issuance.REQUIREMENTS:
        return BadgeNotActive(badge.reason)
    missing = issuance.missing_requirements()
    return BadgeNotActive(missing[0] if missing else "pending")


def stamp_invoice(
    charge_id: int,
    pdf: bytes,
    *,
    store: DocumentStore,
    stamp: Stamper,
    actor: User | None = None,
) -> InvoiceBadge:
    """Stamp `pdf` as invoice `charge_id` and keep the stamped copy; returns its InvoiceBadge
    (`stamped_sha256` names the copy in `store`). The PDF also becomes the invoice's attached
    PDF when it had none. Refused (ServiceError, nothing changed) while the badge is not active,
    or for a file `stamp` cannot read (encrypted, broken, not a PDF)."""
    invoice = invoices.get_invoice(charge_id)  # NotFound for another workspace's id
    refused = refusal()
    if refused is not None:
        raise refused
    badge = issuance.register_invoice(invoice.id)
    debtor = invoices.debtor_of(invoice)
    facts = StampFacts(
        token=badge.token,
        amount=invoice.amount,
        number=invoice.number or "",
        name=session.get(Workspace, current_tenant_id()).name,
        language=_language(debtor),
    )
    stamped = stamp(pdf, facts)  # raises before anything is stored
    if not invoice.attachment_sha256:
        original = store.put(pdf)
        invoices.attach_document(invoice.id, sha256=original, filename=f"{facts.number}.pdf")
    badge.stamped_sha256 = store.put(stamped)
    badge.stamped_at = utcnow()
    from tenants.services.platform.workspaces import record_activity  # it imports plans

    record_activity(actor, "invoice.stamped", number=facts.number)
    session.flush()
    return badge


def stamp_attached(
    charge_id: int, *, store: DocumentStore, stamp: Stamper, actor: User | None = None
) -> InvoiceBadge:
    """Stamp the PDF already attached to the invoice."""
    invoice = invoices.get_invoice(charge_id)
    if not invoice.attachment_sha256 or not store.exists(invoice.attachment_sha256):
        raise ServiceError("stamp_no_pdf")
    return stamp_invoice(
        charge_id, store.get(invoice.attachment_sha256), store=store, stamp=stamp, actor=actor
    )


def stamped_copy(charge_id: int, store: DocumentStore) -> bytes | None:
    """The last stamped copy of the invoice, None if it was never stamped."""
    invoices.get_invoice(charge_id)
    badge = invoice_badge(charge_id)
    if badge is None or not badge.stamped_sha256 or not store.exists(badge.stamped_sha256):
        return None
    return store.get(badge.stamped_sha256)


def invoice_badge(charge_id: int) -> InvoiceBadge | None:
    """The invoice's own badge, None while it is not registered."""
    return session.scalar(select(InvoiceBadge).where(InvoiceBadge.charge_id == charge_id))


def _language(debtor: Party | None) -> str:
    return debtor.language if debtor is not None and debtor.language in ("es", "en") else "es"
