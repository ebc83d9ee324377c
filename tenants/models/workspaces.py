"""Workspaces (the tenants), their members, invitations and API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import Base, TenantOwned, utcnow
from tenants.models.accounts import User
from tenants.models.parties import address_lines


class WorkspaceKind(enum.StrEnum):
    LANDLORD = "landlord"
    BUSINESS = "business"
    LAW_FIRM = "law_firm"


# Roles per kind, strongest first. A law firm's people are partners and lawyers.
ROLES = {
    WorkspaceKind.LANDLORD: ("owner", "manager", "viewer"),
    WorkspaceKind.BUSINESS: ("owner", "manager", "viewer"),
    WorkspaceKind.LAW_FIRM: ("partner", "lawyer"),
}
# The role an owner can grant "may approve demands" to (tenants/permissions.py).
GRANTEE_ROLE = "manager"
# Roles that may manage members, invitations and API tokens.
ADMIN_ROLES = frozenset({"owner", "partner"})
# Roles that may change data (viewers only read).
WRITE_ROLES = frozenset({"owner", "manager", "partner", "lawyer"})


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[WorkspaceKind] = mapped_column(
        Enum(
            WorkspaceKind,
            native_enum=False,
            length=16,
            values_callable=lambda kinds: [k.value for k in kinds],
        )
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The letterhead: who signs the letters, where the debtor pays, the logo.
    legal_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    tax_id: Mapped[str] = mapped_column(String(16), default="", server_default="")
    street: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    province: Mapped[str] = mapped_column(String(50), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Who the creditor is in law: "person" (persona física) or "company" (persona jurídica);
    # "" while not said. A landlord company's housing leases cap additional guarantees up to
    # 7 years, a person's up to 5 (docs/law.md#lau-36-5-guarantees).
    entity_kind: Mapped[str] = mapped_column(String(8), default="", server_default="")
    iban: Mapped[str] = mapped_column(String(34), default="", server_default="")  # compact
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    # Who signs the letters ("Fdo.: Ana Pérez, abogada"); "" falls back to the owner's name.
    signatory_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    signatory_role: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # Set while the workspace holds a valid "Protegido por Amparo" badge (the badge issue).
    is_protected: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when the owner closes the workspace: its badge is revoked and nothing is chased.
    closed_at: Mapped[datetime | None]

    @property
    def letterhead_name(self) -> str:
        return self.legal_name or self.name

    @property
    def address_lines(self) -> list[str]:
        return address_lines(self.street, self.postal_code, self.city, self.province)

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES[self.kind]


class Member(TenantOwned, Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # The owner's grant to a manager: approve or skip the letters waiting for approval
    # (tenants/permissions.py says what it covers).
    may_approve_demands: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def can_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES


class Invitation(TenantOwned, Base):
    """An emailed invitation to join a workspace. The link is signed and expires."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class ApiToken(TenantOwned, Base):
    """A bearer token for the API. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so a token can be told apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
