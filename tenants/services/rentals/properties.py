"""Properties and their units."""

from __future__ import annotations

from sqlalchemy import func, select

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


def create_property(
    *, name: str, street: str, postal_code: str, city: str, province: str
) -> Property:
    name, street, city = (name or "").strip(), (street or "").strip(), (city or "").strip()
    for field, value in (("name", name), ("street", street), ("city", city)):
        if not value:
            raise ServiceError("required", field)
    postal_code = (postal_code or "").strip()
    if not (len(postal_code) == 5 and postal_code.isdigit()):
        raise ServiceError("postal_code_invalid", "postal_code")
    prop = Property(
        name=name,
        street=street,
        postal_code=postal_code,
        city=city,
        province=normalise_province(province),
    )
    session.add(prop)
    session.flush()
    return prop


def get_property(property_id: int) -> Property:
    prop = session.scalar(select(Property).where(Property.id == property_id))
    if prop is None:
        raise NotFound(property_id)
    return prop


def list_properties() -> list[Property]:
    return list(session.scalars(select(Property).order_by(Property.name)))


def add_unit(
    property_id: int, *, label: str, use: str = "housing", cadastral_ref: str | None = None
) -> Unit:
    prop = get_property(property_id)
    label = (label or "").strip()
    if not label:
        raise ServiceError("required", "label")
    if use not in USES:
        raise ServiceError("choice_invalid", "use")
    ref = (cadastral_ref or "").replace(" ", "").upper() or None
    if ref and (len(ref) != 20 or not ref.isalnum()):
        raise ServiceError("cadastral_ref_invalid", "cadastral_ref")
    if any(u.label.casefold() == label.casefold() for u in prop.units):
        raise ServiceError("unit_exists", "label")
    unit = Unit(property_id=prop.id, label=label, use=use, cadastral_ref=ref)
    session.add(unit)
    session.flush()
    return unit


def get_unit(unit_id: int) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.id == unit_id))
    if unit is None:
        raise NotFound(unit_id)
    return unit


def list_units() -> list[Unit]:
    return list(
        session.scalars(select(Unit).join(Unit.property).order_by(Property.name, Unit.label))
    )


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
