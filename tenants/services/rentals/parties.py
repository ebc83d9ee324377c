"""Parties: people and companies with a Spanish tax id (NIF/NIE/CIF) checked by python-stdnum."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from stdnum.es import cif, nie, nif

from tenants.db import session
from tenants.models import Party
from tenants.models.parties import PARTY_KINDS
from tenants.services.errors import NotFound, ServiceError
from tenants.services.rentals.properties import check_postal_code, normalise_province

# How a person is greeted on letters: "sr" (Sr. / Mr), "sra" (Sra. / Ms); "" or None not said.
FORMS_OF_ADDRESS = ("sr", "sra")
PARTY_FIELDS = (
    "kind",
    "name",
    "tax_id",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "province",
    "language",
    "form_of_address",
    "notes",
    "is_business",
)


def check_tax_id(raw: str | None) -> tuple[str | None, str | None]:
    """(compact id, "dni"/"nie"/"cif") or ServiceError("tax_id_invalid"). Empty is allowed."""
    value = nif.compact(raw or "")
    if not value:
        return None, None
    if value[0] in "XYZ":
        kind, valid = "nie", nie.is_valid(value)
    elif value[0].isdigit() or value[0] in "KLM":
        kind, valid = "dni", nif.is_valid(value)
    else:
        kind, valid = "cif", cif.is_valid(value)
    if not valid:
        raise ServiceError("tax_id_invalid", "tax_id")
    return value, kind


PHONE = re.compile(r"\+?[0-9][0-9 ().-]*")


def check_phone(raw: str) -> str:
    """A phone number as people write it ("+34 600 12 34 56", "91 123 45 67"): ASCII digits,
    spaces, dots, dashes and brackets, 9 to 15 digits (Spain's 9, E.164's most)."""
    text = raw.strip()
    digits = sum(ch.isdigit() for ch in text)
    if not PHONE.fullmatch(text) or not text.isascii() or not 9 <= digits <= 15:
        raise ServiceError("phone_invalid", "phone")
    return text


def _clean(fields: dict) -> dict:
    from tenants.services.platform.accounts import normalise_email  # accounts imports workspaces

    data = {
        k: (fields.get(k) or "").strip()
        if isinstance(fields.get(k), str) or fields.get(k) is None
        else fields.get(k)
        for k in PARTY_FIELDS
        if k in fields
    }
    if "name" in data and not data["name"]:
        raise ServiceError("required", "name")
    if "kind" in data and data["kind"] not in PARTY_KINDS:
        raise ServiceError("choice_invalid", "kind")
    if "tax_id" in data:
        data["tax_id"], data["tax_id_type"] = check_tax_id(data["tax_id"])
        if data["tax_id_type"] == "cif":
            data["kind"] = "company"  # a CIF always belongs to a company…
        elif data["tax_id_type"] and data.get("kind") == "company":
            # …and a DNI or NIE to a person: a self-employed one is a person who is a business.
            raise ServiceError("tax_id_not_company", "tax_id")
    if data.get("phone"):
        data["phone"] = check_phone(data["phone"])
    if data.get("province"):
        data["province"] = normalise_province(data["province"])
    if data.get("postal_code"):
        data["postal_code"] = check_postal_code(data["postal_code"], data.get("province"))
    if data.get("kind") == "company":
        data["is_business"] = True  # …and a company is a business debtor (Ley 3/2004)
    if data.get("email"):
        data["email"] = normalise_email(data["email"])
    if data.get("form_of_address") and data["form_of_address"] not in FORMS_OF_ADDRESS:
        raise ServiceError("choice_invalid", "form_of_address")
    if data.get("kind") == "company" and "form_of_address" in data:
        data["form_of_address"] = ""  # a company is greeted "Muy señores nuestros"
    if "language" in data and data["language"] not in ("es", "en"):
        data["language"] = "es"
    return {
        k: (v if v != "" else None) if k not in ("name", "notes", "is_business") else v
        for k, v in data.items()
    }


def create_party(**fields) -> Party:
    """A renter, guarantor or client of the current workspace."""
    data = _clean({"kind": "person", "language": "es", **fields})
    if not data.get("name"):
        raise ServiceError("required", "name")
    if data.get("tax_id"):
        existing = session.scalar(select(Party).where(Party.tax_id == data["tax_id"]))
        if existing is not None:
            raise ServiceError("tax_id_taken", "tax_id", name=existing.name)
    party = Party(**data)
    session.add(party)
    session.flush()
    return party


def update_party(party_id: int, **fields) -> Party:
    party = get_party(party_id)
    data = _clean(fields)
    if data.get("tax_id") and data["tax_id"] != party.tax_id:
        existing = session.scalar(select(Party).where(Party.tax_id == data["tax_id"]))
        if existing is not None:
            raise ServiceError("tax_id_taken", "tax_id", name=existing.name)
    for key, value in data.items():
        setattr(party, key, value)
    session.flush()
    return party


def get_party(party_id: int) -> Party:
    party = session.scalar(select(Party).where(Party.id == party_id))
    if party is None:
        raise NotFound(party_id)
    return party


def find_party_by_tax_id(tax_id: str) -> Party | None:
    compact = nif.compact(tax_id or "")
    if not compact:
        return None
    return session.scalar(select(Party).where(Party.tax_id == compact))


def list_parties(search: str = "", limit: int = 200, *, archived: bool = False) -> list[Party]:
    """The people and companies in use (or, `archived`, the ones put away)."""
    query = (
        select(Party)
        .where(Party.archived_at.is_not(None) if archived else Party.archived_at.is_(None))
        .order_by(Party.name)
        .limit(limit)
    )
    if search:
        like = f"%{search.strip()}%"
        query = query.where(
            or_(Party.name.ilike(like), Party.tax_id.ilike(like), Party.email.ilike(like))
        )
    return list(session.scalars(query))
