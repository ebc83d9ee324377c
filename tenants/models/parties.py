"""People and companies a workspace deals with: renters, guarantors, clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import Base, TenantOwned, utcnow

PARTY_KINDS = ("person", "company")


class Party(TenantOwned, Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="person")  # person / company
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(16), index=True)  # NIF, NIE or CIF, compact
    tax_id_type: Mapped[str | None] = mapped_column(String(8))  # dni / nie / cif
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str] = mapped_column(String(2), default="ES")
    language: Mapped[str] = mapped_column(String(2), default="es")
    # How a person is greeted: "sr" (Sr. / Mr), "sra" (Sra. / Ms), None while not said (the
    # letter then names them in full). Not used for companies.
    form_of_address: Mapped[str | None] = mapped_column(String(8))
    # A business debtor owes Ley 3/2004 interest and 40 EUR per late invoice; a consumer
    # (a residential renter, a private client) only the legal interest. A CIF implies business.
    is_business: Mapped[bool] = mapped_column(default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]  # hidden from lists and choices, kept for the books

    @property
    def address_lines(self) -> list[str]:
        return address_lines(self.street, self.postal_code, self.city, self.province)


def address_lines(street, postal_code, city, province) -> list[str]:
    """A Spanish postal address as printed: street, then "28013 Madrid (Madrid)"."""
    place = " ".join(p for p in (postal_code, city) if p)
    if province and province != city:
        place = f"{place} ({province})" if place else province
    return [line for line in (street, place) if line]
