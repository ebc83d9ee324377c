"""What is let: a property (a building or a house) and its units (flats, premises, parking)."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow

USES = ("housing", "other")  # LAU: vivienda / uso distinto de vivienda


class Property(TenantOwned, Base):
    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]  # hidden from lists and choices, kept for the books

    units: Mapped[list[Unit]] = relationship(
        back_populates="property", order_by="Unit.label", cascade="all, delete-orphan"
    )


class Unit(TenantOwned, Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(60))  # "2º B", "Local 1", "Plaza 14"
    use: Mapped[str] = mapped_column(String(16), default="housing")
    cadastral_ref: Mapped[str | None] = mapped_column(String(20))  # referencia catastral
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    property: Mapped[Property] = relationship(back_populates="units", lazy="joined")

    @builtins.property  # the relationship above shadows the builtin inside this class
    def full_label(self) -> str:
        return f"{self.property.name}, {self.label}"

    @builtins.property
    def choice_label(self) -> str:
        """How a unit reads in a list of choices: "C/ Mayor 3 · 1º A"."""
        return f"{self.property.name} · {self.label}"
