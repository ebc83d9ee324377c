"""Putting rent-book records away: deleted when nothing depends on them, else archived.

A property, unit, person or lease that payments, charges, letters or other records point at
stays in the books (the ledger and the letters must still read right), so it is archived:
hidden from the lists and the choices, shown on the archive page, restorable. One that nothing
points at (made by mistake) is deleted. Something still running (an open lease) is neither:
end it first.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from tenants.db import session, utcnow
from tenants.models import Case, Charge, Lease, LeaseParty, Letter, Payment, Unit
from tenants.services.errors import ServiceError
from tenants.services.rentals.leases import OPEN_STATUSES, get_lease
from tenants.services.rentals.parties import get_party
from tenants.services.rentals.properties import get_property, get_unit

KINDS = ("property", "unit", "party", "lease")


def _any(query) -> bool:
    return bool(session.scalar(select(exists(query))))


def _open_lease_on(*conditions) -> bool:
    return _any(select(Lease.id).where(Lease.status.in_(OPEN_STATUSES), *conditions))


# --- what depends on what -----------------------------------------------------------------


def property_in_use(property_id: int) -> bool:
    """A property with units (archived ones included) cannot be deleted."""
    return _any(select(Unit.id).where(Unit.property_id == property_id))


def unit_in_use(unit_id: int) -> bool:
    return _any(select(Lease.id).where(Lease.unit_id == unit_id))


def party_in_use(party_id: int) -> bool:
    """On a lease, or the debtor of an invoice, a payment, a case or a letter."""
    return any(
        _any(select(model.id).where(model.party_id == party_id))
        for model in (LeaseParty, Charge, Payment, Case, Letter)
    )


def lease_in_use(lease_id: int) -> bool:
    """A lease with charges, payments or letters is part of the books."""
    return any(
        _any(select(model.id).where(model.lease_id == lease_id))
        for model in (Charge, Payment, Letter)
    )


# --- delete -------------------------------------------------------------------------------


def delete_property(property_id: int) -> None:
    prop = get_property(property_id)
    if property_in_use(prop.id):
        raise ServiceError("property_in_use")
    session.delete(prop)
    session.flush()


def delete_unit(unit_id: int) -> None:
    unit = get_unit(unit_id)
    if unit_in_use(unit.id):
        raise ServiceError("unit_in_use")
    session.delete(unit)
    session.flush()


def delete_party(party_id: int) -> None:
    party = get_party(party_id)
    if party_in_use(party.id):
        raise ServiceError("party_in_use")
    session.delete(party)
    session.flush()


def delete_lease(lease_id: int) -> None:
    """A lease entered by mistake: nothing charged, paid or written on it yet. Its deposit,
    extras and proposed rent updates go with it."""
    lease = get_lease(lease_id)
    if lease_in_use(lease.id):
        raise ServiceError("lease_in_use")
    session.delete(lease)
    session.flush()


# --- archive and restore ------------------------------------------------------------------


def archive_property(property_id: int) -> None:
    prop = get_property(property_id)
    if _open_lease_on(Lease.unit_id.in_(select(Unit.id).where(Unit.property_id == prop.id))):
        raise ServiceError("archive_open_lease")
    prop.archived_at = prop.archived_at or utcnow()
    session.flush()


def archive_unit(unit_id: int) -> None:
    unit = get_unit(unit_id)
    if _open_lease_on(Lease.unit_id == unit.id):
        raise ServiceError("archive_open_lease")
    unit.archived_at = unit.archived_at or utcnow()
    session.flush()


def archive_party(party_id: int) -> None:
    """Someone no longer dealt with. Not while they are on a running lease or a case is open
    against them: the rent and the letters still need them."""
    party = get_party(party_id)
    on_open_lease = _open_lease_on(
        Lease.id.in_(select(LeaseParty.lease_id).where(LeaseParty.party_id == party.id))
    )
    if on_open_lease:
        raise ServiceError("archive_open_lease")
    if _any(select(Case.id).where(Case.party_id == party.id, Case.status != "closed")):
        raise ServiceError("archive_open_case")
    party.archived_at = party.archived_at or utcnow()
    session.flush()


def archive_lease(lease_id: int) -> None:
    lease = get_lease(lease_id)
    if lease.status in OPEN_STATUSES:
        raise ServiceError("archive_open_lease")
    lease.archived_at = lease.archived_at or utcnow()
    session.flush()


def restore(kind: str, object_id: int) -> None:
    """Back in the lists and the choices."""
    getter = {"property": get_property, "unit": get_unit, "party": get_party, "lease": get_lease}
    getter[kind](object_id).archived_at = None
    session.flush()


def archived_leases() -> list[Lease]:
    return list(
        session.scalars(
            select(Lease).where(Lease.archived_at.is_not(None)).order_by(Lease.start_date.desc())
        )
    )
