"""The platform's directory of partner law firms (issue 14.1), kept by the platform admin.

- `create_firm` makes the `law_firm` workspace, its directory entry (`LawFirm`) and its first
  partner: a person who already has an account joins at once; a new address gets the same
  emailed invitation a workspace's owner sends (jobs/invitations.py, after the commit).
- `update_firm` changes its coverage (provinces, case types), capacity, minimum claim and fee
  terms; `deactivate` / `activate` take it out of the directory and put it back.
- `accept_dpa`: a partner accepts the data-processing agreement (GDPR art. 28): until the
  current version (core.DPA_VERSION) is accepted the firm is offered no case
  (docs/law.md#gdpr-28-law-firms). The version, the date and who accepted it are kept.
- `firm_profile` (the firm's own page), `list_firms` (the admin's) and `choices_for` (the
  firms a creditor may choose among, by core.fitting_firms) read the directory.

`LawFirm` is platform data (no tenant_id); what happens in a firm's workspace (its members,
invitations, activity) is written inside that workspace's tenant context.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from tenants import permissions
from tenants.db import across_tenants, current_tenant_id, session, tenant_context, utcnow
from tenants.models import Invitation, JobRun, Member, User, Workspace, WorkspaceKind
from tenants.models.escalations import CASE_TYPES, LawFirm
from tenants.outbox import request as request_work
from tenants.services.errors import NotFound, ServiceError
from tenants.services.escalations import core
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service
from tenants.services.rentals.properties import PROVINCES, normalise_province
from tenants.services.values import Percent, parse_money

DELIVER_INVITATIONS = "jobs.invitations:deliver_invitations"  # (tenant_id, run_id, *ids)
MAX_CAPACITY = 9999
MAX_PERCENT = Percent(100)
NAME_MAX = 120  # Workspace.name


@dataclass(frozen=True)
class Terms:
    """A firm's coverage, capacity and fee terms, checked (see `check_terms`)."""

    provinces: list[str]
    case_types: list[str]
    capacity: int
    min_amount: Decimal
    flat_fee: Decimal | None
    success_percent: Decimal | None


@dataclass(frozen=True)
class FirmRow:
    """One firm as the admin's list and the firm's own profile show it."""

    workspace: Workspace
    firm: LawFirm
    open_count: int
    partners: list[str]  # "Name <email>" of its partners
    invited: list[str]  # emails invited and not joined yet

    @property
    def dpa_current(self) -> bool:
        return self.firm.dpa_version == core.DPA_VERSION


# --- checking what the admin typed ---------------------------------------------------------


def _split(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.split(",")
    return [item.strip() for item in (raw or []) if item and item.strip()]


def _provinces(raw) -> list[str]:
    names = _split(raw)
    if not names:
        raise ServiceError("firm_provinces_required", "provinces")
    known = set()
    for name in names:
        try:
            known.add(normalise_province(name))
        except ServiceError:
            raise ServiceError("firm_province_unknown", "provinces", province=name) from None
    return [p for p in PROVINCES if p in known]  # the list's order, each once


def _case_types(raw) -> list[str]:
    types = _split(raw)
    if not types:
        raise ServiceError("firm_case_types_required", "case_types")
    for kind in types:
        if kind not in CASE_TYPES:
            raise ServiceError("firm_case_type_unknown", "case_types", case_type=kind)
    return [kind for kind in CASE_TYPES if kind in types]


def _capacity(raw) -> int:
    try:
        capacity = int(str(raw).strip(), 10) if not isinstance(raw, int) else raw
    except ValueError:
        raise ServiceError("firm_capacity_invalid", "capacity", max=MAX_CAPACITY) from None
    if isinstance(raw, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise ServiceError("firm_capacity_invalid", "capacity", max=MAX_CAPACITY)
    return capacity


def _amount(raw, field: str, *, maximum=None) -> Decimal | None:
    """An amount of zero or more; empty: None. A minus is refused with its own words."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if (
        isinstance(raw, str)
        and raw.strip().startswith("-")
        or (isinstance(raw, Decimal | int) and raw < 0)
    ):
        raise ServiceError("amount_negative", field)
    kwargs = {"maximum": maximum} if maximum is not None else {}
    return parse_money(raw, field, allow_zero=True, **kwargs)


def check_terms(*, provinces, case_types, capacity, min_amount, flat_fee, success_percent) -> Terms:
    """The terms as stored, or ServiceError naming the first field that is wrong. A fee of
    zero is no fee: at least one of the flat fee and the success percentage is charged."""
    provinces, case_types = _provinces(provinces), _case_types(case_types)
    capacity = _capacity(capacity)
    minimum = _amount(min_amount, "min_amount") or Decimal("0.00")
    flat = _amount(flat_fee, "flat_fee")
    try:
        percent = _amount(success_percent, "success_percent", maximum=MAX_PERCENT)
    except ServiceError as error:
        if error.code == "amount_too_large":
            raise ServiceError("firm_percent_range", "success_percent") from None
        raise
    flat = flat or None
    percent = percent or None
    if flat is None and percent is None:
        raise ServiceError("firm_terms_required", "flat_fee")
    return Terms(provinces, case_types, capacity, minimum, flat, percent)


def _apply(firm: LawFirm, terms: Terms) -> None:
    firm.provinces = terms.provinces
    firm.case_types = terms.case_types
    firm.capacity = terms.capacity
    firm.min_amount = terms.min_amount
    firm.flat_fee = terms.flat_fee
    firm.success_percent = terms.success_percent


def _name(raw: str) -> str:
    name = (raw or "").strip()
    if not name:
        raise ServiceError("required", "name")
    if len(name) > NAME_MAX:
        raise ServiceError("firm_name_long", "name", max=NAME_MAX)
    return name


def _activity_terms(terms: Terms) -> dict:
    return {
        "provinces": terms.provinces,
        "case_types": terms.case_types,
        "capacity": terms.capacity,
        "min_amount": str(terms.min_amount),
        "flat_fee": str(terms.flat_fee) if terms.flat_fee is not None else None,
        "success_percent": str(terms.success_percent) if terms.success_percent else None,
    }


# --- the admin's changes ---------------------------------------------------------------------


def create_firm(
    name: str,
    *,
    provinces,
    case_types,
    capacity,
    min_amount,
    flat_fee,
    success_percent,
    partner_email: str,
    partner_name: str = "",
    actor: User | None = None,
    slug: str | None = None,
) -> Workspace:
    """A new law firm: its workspace, its directory entry and its first partner (an existing
    account joins now; a new address is invited by email once this commits). `actor` is the
    platform admin (None from the CLI)."""
    name = _name(name)
    terms = check_terms(
        provinces=provinces,
        case_types=case_types,
        capacity=capacity,
        min_amount=min_amount,
        flat_fee=flat_fee,
        success_percent=success_percent,
    )
    try:
        email = accounts.normalise_email(partner_email)
    except ServiceError:
        raise ServiceError("email_invalid", "partner_email") from None
    partner_name = (partner_name or "").strip()[:120]
    workspace = Workspace(
        name=name,
        kind=WorkspaceKind.LAW_FIRM,
        slug=slug or ws_service.unique_slug(name),
        contact_email=email,
    )
    session.add(workspace)
    session.flush()
    add_to_directory(workspace, terms)
    partner = accounts.find_user_by_email(email)
    with tenant_context(workspace.id):
        ws_service.record_activity(
            actor, "firm.created", name=name, partner=partner_name, **_activity_terms(terms)
        )
        if partner is not None:
            session.add(Member(user_id=partner.id, role="partner"))
            ws_service.record_activity(partner, "member.joined", email=email, role="partner")
        else:
            invitation = ws_service.invite_member(workspace, actor, email, "partner")
            _send_invitation(workspace, invitation)
        session.flush()
    return workspace


def add_to_directory(workspace: Workspace, terms: Terms) -> LawFirm:
    """The directory entry of an existing law-firm workspace (the demo's, an older one)."""
    if workspace.kind != WorkspaceKind.LAW_FIRM:
        raise ServiceError("kind_invalid")
    firm = LawFirm(workspace_id=workspace.id)
    _apply(firm, terms)
    session.add(firm)
    session.flush()
    return firm


def _send_invitation(workspace: Workspace, invitation: Invitation) -> None:
    """The invitation email, as the members page sends it (after the commit, with progress)."""
    run = JobRun(kind="invitations", total=1)
    session.add(run)
    session.flush()
    request_work(DELIVER_INVITATIONS, workspace.id, run.id, invitation.id)


def get_firm(workspace_id: int) -> tuple[Workspace, LawFirm]:
    firm = session.get(LawFirm, workspace_id)
    workspace = session.get(Workspace, workspace_id)
    if firm is None or workspace is None or workspace.kind != WorkspaceKind.LAW_FIRM:
        raise NotFound(workspace_id)
    return workspace, firm


def firm_by_slug(slug: str) -> tuple[Workspace, LawFirm]:
    workspace = ws_service.workspace_by_slug(slug or "")
    if workspace is None:
        raise NotFound(slug)
    return get_firm(workspace.id)


def update_firm(
    workspace_id: int,
    *,
    name: str | None = None,
    provinces,
    case_types,
    capacity,
    min_amount,
    flat_fee,
    success_percent,
    actor: User | None = None,
) -> LawFirm:
    """Change a firm's coverage, capacity, minimum and fee terms (and its name). Escalations
    already placed keep the terms their creditor accepted."""
    workspace, firm = get_firm(workspace_id)
    new_name = _name(name) if name is not None else workspace.name
    terms = check_terms(
        provinces=provinces,
        case_types=case_types,
        capacity=capacity,
        min_amount=min_amount,
        flat_fee=flat_fee,
        success_percent=success_percent,
    )
    workspace.name = new_name
    _apply(firm, terms)
    with tenant_context(workspace.id):
        ws_service.record_activity(actor, "firm.updated", name=new_name, **_activity_terms(terms))
        session.flush()
    return firm


def set_active(workspace_id: int, active: bool, *, actor: User | None = None) -> LawFirm:
    """Take the firm out of the directory (no new offers; its escalations stay) or back in."""
    workspace, firm = get_firm(workspace_id)
    if firm.active != active:
        firm.active = active
        with tenant_context(workspace.id):
            ws_service.record_activity(actor, "firm.activated" if active else "firm.deactivated")
            session.flush()
    return firm


def deactivate(workspace_id: int, *, actor: User | None = None) -> LawFirm:
    return set_active(workspace_id, False, actor=actor)


def activate(workspace_id: int, *, actor: User | None = None) -> LawFirm:
    return set_active(workspace_id, True, actor=actor)


# --- the firm's side -----------------------------------------------------------------------


def current_firm() -> LawFirm:
    """The directory entry of the current workspace (a law firm)."""
    firm = session.get(LawFirm, current_tenant_id())
    if firm is None:
        raise NotFound(current_tenant_id())
    return firm


def needs_dpa() -> bool:
    """The current law firm has not accepted the current agreement (no entry: it has not)."""
    firm = session.get(LawFirm, current_tenant_id())
    return firm is None or firm.dpa_version != core.DPA_VERSION


def accept_dpa(actor: User, *, version: str, agreed: bool) -> LawFirm:
    """A partner accepts the data-processing agreement of `version` (the one they read, which
    must be the current one) for the firm. The first acceptance of a version is the record:
    accepting it again changes nothing."""
    permissions.check(actor, "firm.dpa")
    firm = current_firm()
    if not agreed:
        raise ServiceError("dpa_not_ticked", "agree")
    if version != core.DPA_VERSION:
        raise ServiceError("dpa_version_changed", "agree", version=core.DPA_VERSION)
    if firm.dpa_version == core.DPA_VERSION:
        return firm
    firm.dpa_version = core.DPA_VERSION
    firm.dpa_accepted_at = utcnow()
    firm.dpa_accepted_by_id = actor.id
    ws_service.record_activity(actor, "firm.dpa", version=core.DPA_VERSION)
    session.flush()
    return firm


@dataclass(frozen=True)
class Profile:
    workspace: Workspace
    firm: LawFirm
    open_count: int
    dpa_current: bool
    dpa_accepted_by: User | None
    accepted_at: datetime | None


def firm_profile() -> Profile:
    """What the current firm's settings pages show: its terms, its load, its agreement."""
    firm = current_firm()
    workspace = session.get(Workspace, firm.workspace_id)
    accepted_by = session.get(User, firm.dpa_accepted_by_id) if firm.dpa_accepted_by_id else None
    return Profile(
        workspace=workspace,
        firm=firm,
        open_count=core.open_counts([firm.workspace_id]).get(firm.workspace_id, 0),
        dpa_current=firm.dpa_version == core.DPA_VERSION,
        dpa_accepted_by=accepted_by,
        accepted_at=firm.dpa_accepted_at,
    )


# --- reading the directory -----------------------------------------------------------------


def list_firms() -> list[FirmRow]:
    """Every law firm in the directory, by name, with its load and its people (the admin)."""
    rows = session.execute(
        select(Workspace, LawFirm)
        .join(LawFirm, LawFirm.workspace_id == Workspace.id)
        .where(Workspace.kind == WorkspaceKind.LAW_FIRM)
        .order_by(Workspace.name, Workspace.id)
    ).all()
    ids = [workspace.id for workspace, _firm in rows]
    counts = core.open_counts(ids)
    partners: dict[int, list[str]] = {i: [] for i in ids}
    invited: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        with across_tenants("platform admin: the partners of every law firm"):
            for tenant_id, user in session.execute(
                select(Member.tenant_id, User)
                .join(User, User.id == Member.user_id)
                .where(Member.tenant_id.in_(ids), Member.role == "partner")
                .order_by(Member.created_at)
            ):
                partners[tenant_id].append(f"{user.name} <{user.email}>")
            for invitation in session.scalars(
                select(Invitation)
                .where(Invitation.tenant_id.in_(ids))
                .order_by(Invitation.created_at)
            ):
                if invitation.is_open:
                    invited[invitation.tenant_id].append(invitation.email)
    return [
        FirmRow(ws, firm, counts.get(ws.id, 0), partners[ws.id], invited[ws.id])
        for ws, firm in rows
    ]


@dataclass(frozen=True)
class Choice:
    """A firm a creditor may choose for a case, with what it charges and how busy it is."""

    workspace_id: int
    name: str
    flat_fee: Decimal | None
    success_percent: Decimal | None
    min_amount: Decimal
    open_count: int
    capacity: int


def choices_for(*, case_type: str, province: str | None, amount: Decimal) -> list[Choice]:
    """The firms that fit the case (core.fitting_firms, whatever their terms: the creditor
    sees each firm's terms and accepts one), the least busy first: the first is suggested."""
    firms = core.fitting_firms(
        case_type=case_type, province=province, amount=amount, any_terms=True
    )
    counts = core.open_counts([firm.workspace_id for firm in firms])
    names = dict(
        session.execute(
            select(Workspace.id, Workspace.name).where(
                Workspace.id.in_([firm.workspace_id for firm in firms])
            )
        ).all()
    )
    return [
        Choice(
            workspace_id=firm.workspace_id,
            name=names.get(firm.workspace_id, ""),
            flat_fee=firm.flat_fee,
            success_percent=firm.success_percent,
            min_amount=firm.min_amount,
            open_count=counts.get(firm.workspace_id, 0),
            capacity=firm.capacity,
        )
        for firm in firms
    ]
