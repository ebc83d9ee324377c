"""The workspace's letterhead: who signs the claim letters, where the debtor pays, the logo.

Every field is checked before any is written, so a bad value changes nothing. The NIF/CIF is
checked with python-stdnum (as for parties), the IBAN with stdnum.iban, and the logo must be a
real PNG or JPEG of at most 1 MB, whatever its name or the browser's content type says.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import iban as iban_check

from tenants import permissions
from tenants.db import session
from tenants.models import User, Workspace
from tenants.services.badge import issuance
from tenants.services.errors import ServiceError
from tenants.services.rentals.parties import check_tax_id
from tenants.services.rentals.properties import normalise_province
from tenants.text import breaks_lines

# Who the creditor is in law ("" while not said): a natural or a legal person.
ENTITY_KINDS = ("", "person", "company")
MAX_LOGO_BYTES = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
LIMITS = {
    "legal_name": 200,
    "street": 200,
    "postal_code": 10,
    "city": 100,
    "contact_email": 254,
    "phone": 32,
}
# Who signs the letters: "Fdo.: Ana Pérez Gil, abogada" (the columns' lengths).
SIGNATORY_LIMITS = {"signatory_name": 120, "signatory_role": 80}


@dataclass(frozen=True)
class PayeeChange:
    """The IBAN debtors pay to changed: the caller tells every owner (an email after commit)."""

    old: str
    new: str


def mask_iban(iban: str) -> str:
    """Enough to recognise an IBAN, not to use it: its last four characters."""
    return f"•••• {iban[-4:]}" if iban else "—"


def check_logo(content: bytes) -> None:
    """A PNG or a JPEG of at most 1 MB (by its first bytes, not its name)."""
    if len(content) > MAX_LOGO_BYTES:
        raise ServiceError("logo_too_large", "logo", kb=MAX_LOGO_BYTES // 1024)
    if not (content.startswith(PNG_MAGIC) or content.startswith(JPEG_MAGIC)):
        raise ServiceError("logo_not_image", "logo")


def logo_type(content: bytes) -> str:
    return "image/png" if content.startswith(PNG_MAGIC) else "image/jpeg"


def update_letterhead(
    workspace: Workspace,
    *,
    actor: User,
    password: str = "",
    legal_name: str,
    tax_id: str,
    street: str,
    postal_code: str,
    city: str,
    province: str,
    contact_email: str,
    phone: str,
    iban: str,
    logo_sha256: str | None = None,
    entity_kind: str | None = None,
    signatory_name: str | None = None,
    signatory_role: str | None = None,
) -> PayeeChange | None:
    """Replace the letterhead. `logo_sha256` (a stored DocumentStore document already checked
    with `check_logo`) replaces the logo when given; None keeps the current one.

    `entity_kind` says who the creditor is in law: "person" (persona física), "company"
    (persona jurídica) or "" (not said); None keeps it. It decides for how long a housing
    lease's additional guarantee is capped (docs/law.md#lau-36-5-guarantees).

    The IBAN is where debtors' money goes: only the owner changes it, with their password
    typed again, and the change goes on the activity log (masked). Returns the change then.

    `signatory_name` and `signatory_role` say who signs the letters ("Fdo.: Ana Pérez,
    abogada"); "" for both signs with the owner's name, as before; None keeps them."""
    from tenants.services.platform.accounts import (  # accounts imports workspaces
        check_password,
        normalise_email,
    )
    from tenants.services.platform.workspaces import record_activity

    permissions.check(actor, "letterhead.edit")

    values = {
        "legal_name": (legal_name or "").strip(),
        "street": (street or "").strip(),
        "postal_code": (postal_code or "").strip(),
        "city": (city or "").strip(),
        "contact_email": (contact_email or "").strip(),
        "phone": (phone or "").strip(),
    }
    for field, limit in LIMITS.items():
        if len(values[field]) > limit:
            raise ServiceError("too_long", field, max=limit)
    signatory = {
        field: (value or "").strip()
        for field, value in (
            ("signatory_name", signatory_name),
            ("signatory_role", signatory_role),
        )
        if value is not None
    }
    for field, value in signatory.items():
        if breaks_lines(value):
            raise ServiceError("one_line", field)
        if len(value) > SIGNATORY_LIMITS[field]:
            raise ServiceError("too_long", field, max=SIGNATORY_LIMITS[field])
    if not values["legal_name"]:
        raise ServiceError("required", "legal_name")
    compact_tax_id, _kind = check_tax_id(tax_id)
    if entity_kind is not None and entity_kind not in ENTITY_KINDS:
        raise ServiceError("choice_invalid", "entity_kind")
    postal = values["postal_code"]
    if postal and not (len(postal) == 5 and postal.isdigit()):
        raise ServiceError("postal_code_invalid", "postal_code")
    province = (province or "").strip()
    if province:
        province = normalise_province(province)
    if values["contact_email"]:
        try:
            values["contact_email"] = normalise_email(values["contact_email"])
        except ServiceError:
            raise ServiceError("email_invalid", "contact_email") from None
    compact_iban = iban_check.compact(iban or "")
    if compact_iban and not iban_check.is_valid(compact_iban):
        raise ServiceError("iban_invalid", "iban")
    change = None
    if compact_iban != workspace.iban:
        permissions.check(actor, "payee.edit")
        check_password(actor, password, "password")
        change = PayeeChange(old=workspace.iban, new=compact_iban)
        record_activity(
            actor, "payee.changed", old=mask_iban(change.old), new=mask_iban(change.new)
        )
    for field, value in {**values, **signatory}.items():
        setattr(workspace, field, value)
    if workspace.tax_id != (compact_tax_id or ""):
        issuance.request_refresh()  # a valid NIF/CIF is one of the badge's requirements
    workspace.tax_id = compact_tax_id or ""
    workspace.province = province
    if entity_kind is not None:
        workspace.entity_kind = entity_kind
    workspace.iban = compact_iban
    if logo_sha256 is not None:
        workspace.logo_sha256 = logo_sha256
    session.flush()
    return change


def remove_logo(workspace: Workspace) -> None:
    workspace.logo_sha256 = None
    session.flush()
