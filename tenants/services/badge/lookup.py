"""What anyone may read of a badge token: the public state every image and verify page shows.

A token names a workspace's `Badge` or one registered invoice's `InvoiceBadge`; an invoice badge
shows its workspace badge's state. The caller is anyone on the internet holding the token (it is
in every embedded image's URL), so this is platform code reading across workspaces by name, and
what it returns is only what the creditor publishes by embedding the badge: its name, a masked
tax id, since when it is protected, and for an invoice its number, date and amount. Nothing of
the debtor, nothing of what is owed or paid.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from tenants.clock import date_in_spain
from tenants.db import across_tenants, session
from tenants.models import Badge, Charge, InvoiceBadge, Workspace

# The alphabet of secrets.token_urlsafe. Anything else (a path, spaces, another script) names
# no badge and never reaches the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def well_formed(token: str) -> bool:
    return bool(TOKEN.fullmatch(token or ""))


def public_badge(token: str) -> dict | None:
    """The public state of the badge `token` names, or None for a token that names none:
    `tenant_id`, `state` (active | suspended | revoked), `name` (the creditor's letterhead
    name), `version`, `tax_id_masked`, `member_since` (a date) and `invoice` (`number`,
    `issue_date`, `amount`, `currency`) for an invoice badge, else None."""
    if not well_formed(token):
        return None
    with across_tenants("badge: the public state of a token, for its image and verify page"):
        found = session.execute(
            select(Badge, Workspace)
            .join(Workspace, Workspace.id == Badge.tenant_id)
            .where(Badge.token == token)
        ).first()
        charge = None
        if found is None:
            found = session.execute(
                select(Badge, Workspace, Charge)
                .join(Workspace, Workspace.id == Badge.tenant_id)
                .join(InvoiceBadge, InvoiceBadge.tenant_id == Badge.tenant_id)
                .join(
                    Charge,
                    (Charge.id == InvoiceBadge.charge_id)
                    & (Charge.tenant_id == InvoiceBadge.tenant_id),
                )
                .where(InvoiceBadge.token == token)
            ).first()
            if found is None:
                return None
            charge = found[2]
    badge, workspace = found[0], found[1]
    return {
        "tenant_id": workspace.id,
        "state": badge.state,
        "name": workspace.letterhead_name,
        "version": badge.version,
        "tax_id_masked": mask_tax_id(workspace.tax_id),
        "member_since": date_in_spain(badge.issued_at or workspace.created_at),
        "invoice": None
        if charge is None
        else {
            "number": charge.number or "",
            "issue_date": charge.issue_date,
            "amount": charge.amount,
            "currency": charge.currency,
        },
    }


def mask_tax_id(tax_id: str) -> str:
    """A tax id as the verify page shows it. A company's CIF is public (the Registro Mercantil
    prints it): its letter and first digits are kept, enough to tell it from another, as
    "B1234***9". A person's DNI or NIE is shown as the Spanish data protection law allows a
    published identity number to be: only the four digits in positions 4 to 7, "***4567**"
    (LOPDGDD, disposición adicional séptima)."""
    value = (tax_id or "").strip().upper()
    if len(value) < 6:
        return "*" * len(value)
    if value[0].isdigit() or value[0] in "KLMXYZ":  # a person: DNI (and K, L, M) or NIE
        return "***" + value[3:7] + "*" * (len(value) - 7)
    return value[:5] + "*" * (len(value) - 6) + value[-1]
