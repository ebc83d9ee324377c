"""Properties and their units."""

from __future__ import annotations

from sqlalchemy import func, select

from tenants.clock import province_code
from tenants.db import session
from tenants.models import Lease, Property, Unit
from tenants.models.properties import USES
from tenants.services.errors import NotFound, ServiceError

# The 50 provinces plus Ceuta and Melilla, as people write them.
PROVINCES = (
    "A Coruña",
    "Álava",
    "Albacete",
    "Alicante",
    "Almería",
    "Asturias",
    "Ávila",
    "Badajoz",
    "Baleares",
    "Barcelona",
    "Burgos",
    "Cáceres",
    "Cádiz",
    "Cantabria",
    "Castellón",
    "Ciudad Real",
    "Córdoba",
    "Cuenca",
    "Girona",
    "Granada",
    "Guadalajara",
    "Gipuzkoa",
    "Huelva",
    "Huesca",
    "Jaén",
    "La Rioja",
    "Las Palmas",
    "León",
    "Lleida",
    "Lugo",
    "Madrid",
    "Málaga",
    "Murcia",
    "Navarra",
    "Ourense",
    "Palencia",
    "Pontevedra",
    "Salamanca",
    "Santa Cruz de Tenerife",
    "Segovia",
    "Sevilla",
    "Soria",
    "Tarragona",
    "Teruel",
    "Toledo",
    "Valencia",
    "Valladolid",
    "Bizkaia",
    "Zamora",
    "Zaragoza",
    "Ceuta",
    "Melilla",
)
_PROVINCE_KEYS = {p.casefold(): p for p in PROVINCES}


def normalise_province(raw: str) -> str:
    province = _PROVINCE_KEYS.get((raw or "").strip().casefold())
    if province is None:
        raise ServiceError("province_invalid", "province")
    return province


def _property_fields(name, street, postal_code, city, province) -> dict:
    name, street, city = (name or "").strip(), (street or "").strip(), (city or "").strip()
    for field, value in (("name", name), ("street", street), ("city", city)):
        if not value:
            raise ServiceError("required", field)
    province = normalise_province(province)
    return {
        "name": name,
        "street": street,
        "postal_code": check_postal_code(postal_code, province),
        "city": city,
        "province": province,
    }


def check_postal_code(raw: str | None, province: str | None) -> str:
    """A Spanish postal code: 5 ASCII digits, starting with the province's number (every
    28xxx is in Madrid), so a letter is not sent to a town that does not exist."""
    postal_code = (raw or "").strip()
    if not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
        raise ServiceError("postal_code_invalid", "postal_code")
    expected = province_code(province)
    if expected and postal_code[:2] != expected:
        raise ServiceError(
            "postal_code_province", "postal_code", province=province, prefix=expected
        )
    return postal_code


def create_property(
    *, name: str, street: str, postal_code: str, city: str, province: str
) -> Property:
    prop = Property(**_property_fields(name, street, postal_code, city, province))
    session.add(prop)
    session.flush()
    return prop


def update_property(
    property_id: int, *, name: str, street: str, postal_code: str, city: str, province: str
) -> Property:
    """Correct a property's name or address (its units and leases follow)."""
    prop = get_property(property_id)
    for key, value in _property_fields(name, street, postal_code, city, province).items():
        setattr(prop, key, value)
    session.flush()
    return prop


def get_property(property_id: int) -> Property:
    prop = session.scalar(select(Property).where(Property.id == property_id))
    if prop is None:
        raise NotFound(property_id)
    return prop


def list_properties(*, archived: bool = False) -> list[Property]:
    """The properties in use (or, `archived`, the ones put away)."""
    put_away = Property.archived_at.is_not(None)
    query = select(Property).where(put_away if archived else ~put_away)
    return list(session.scalars(query.order_by(Property.name)))


def _unit_fields(prop: Property, label, use, cadastral_ref, unit_id=None) -> dict:
    label = (label or "").strip()
    if not label:
        raise ServiceError("required", "label")
    if use not in USES:
        raise ServiceError("choice_invalid", "use")
    ref = (cadastral_ref or "").replace(" ", "").upper() or None
    if ref and (len(ref) != 20 or not ref.isalnum()):
        raise ServiceError("cadastral_ref_invalid", "cadastral_ref")
    if any(u.label.casefold() == label.casefold() and u.id != unit_id for u in prop.units):
        raise ServiceError("unit_exists", "label")
    return {"label": label, "use": use, "cadastral_ref": ref}


def add_unit(
    property_id: int, *, label: str, use: str = "housing", cadastral_ref: str | None = None
) -> Unit:
    prop = get_property(property_id)
    unit = Unit(property_id=prop.id, **_unit_fields(prop, label, use, cadastral_ref))
    session.add(unit)
    session.flush()
    return unit


def update_unit(unit_id: int, *, label: str, use: str, cadastral_ref: str | None = None) -> Unit:
    """Correct a unit's name, use or cadastral reference. Its leases keep the use they were
    signed with (a lease's use is its own)."""
    unit = get_unit(unit_id)
    for key, value in _unit_fields(unit.property, label, use, cadastral_ref, unit.id).items():
        setattr(unit, key, value)
    session.flush()
    return unit


def get_unit(unit_id: int) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.id == unit_id))
    if unit is None:
        raise NotFound(unit_id)
    return unit


def list_units(*, archived: bool = False) -> list[Unit]:
    """The units in use, of properties in use (or, `archived`, the units put away on their own:
    an archived property's units go with it)."""
    query = select(Unit).join(Unit.property).order_by(Property.name, Unit.label)
    if archived:
        query = query.where(Unit.archived_at.is_not(None), Property.archived_at.is_(None))
    else:
        query = query.where(Unit.archived_at.is_(None), Property.archived_at.is_(None))
    return list(session.scalars(query))


def occupied_unit_ids(on) -> set[int]:
    """Units with an active lease running on date `on`."""
    return set(
        session.scalars(
            select(Lease.unit_id).where(
                Lease.status == "active",
                Lease.start_date <= on,
                (Lease.end_date.is_(None)) | (Lease.end_date >= on),
            )
        )
    )


def count_units() -> int:
    return session.scalar(select(func.count(Unit.id)))
