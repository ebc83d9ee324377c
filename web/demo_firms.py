"""The demo's directory of law firms (issue 14.1): the demo law firm's entry, and a second firm,
so a demo creditor escalating a case has a choice of firms with different terms.

Both accepted the data-processing agreement five weeks ago (docs/law.md#gdpr-28-law-firms).
Idempotent: an entry that exists is left as it is. Only the directory: the demo escalations
are seeded elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tenants.db import session, tenant_context
from tenants.models import User
from tenants.models.escalations import CASE_TYPES, LawFirm
from tenants.services.escalations import core, firms
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service

MADRID_TZ = ZoneInfo("Europe/Madrid")
DPA_WEEKS_AGO = 5
MAIN_FIRM = "demo-lawfirm"
SECOND_FIRM = ("Despacho Levante Abogados", "levante@demo.amparo.test", "Jaume Ferrer Soler")


def _debtor_provinces() -> list[str]:
    """Where the demo landlord's flats and the demo business's clients are."""
    from web.demo import BUILDINGS, CLIENT_TOWNS  # web.demo imports this module

    return [building[4] for building in BUILDINGS] + [town[2] for town in CLIENT_TOWNS]


MAIN_TERMS = {
    "case_types": list(CASE_TYPES),
    "capacity": 25,
    "min_amount": "300",
    "flat_fee": "150",
    "success_percent": "10",
}
SECOND_TERMS = {
    "provinces": ["Valencia", "Alicante", "Madrid"],
    "case_types": ["monitorio"],
    "capacity": 10,
    "min_amount": "150",
    "flat_fee": "90",
    "success_percent": "15",
}


def _accepted(firm: LawFirm, partner: User, today: date) -> None:
    """The agreement accepted by `partner` at 10:00 (Madrid) five weeks before today."""
    if firm.dpa_version == core.DPA_VERSION:
        return
    day = today - timedelta(weeks=DPA_WEEKS_AGO)
    firm.dpa_version = core.DPA_VERSION
    firm.dpa_accepted_at = datetime.combine(day, time(10), MADRID_TZ)
    firm.dpa_accepted_by_id = partner.id
    with tenant_context(firm.workspace_id):
        event = ws_service.record_activity(partner, "firm.dpa", version=core.DPA_VERSION)
        event.created_at = firm.dpa_accepted_at
        session.flush()


def _main_firm(today: date) -> None:
    workspace = ws_service.workspace_by_slug(MAIN_FIRM)
    if workspace is None or session.get(LawFirm, workspace.id) is not None:
        return
    terms = firms.check_terms(
        provinces=["Barcelona", "Valencia", *_debtor_provinces()], **MAIN_TERMS
    )
    firm = firms.add_to_directory(workspace, terms)
    partner = accounts.find_user_by_email("lawyer@demo.amparo.test")
    _accepted(firm, partner, today)


def _second_firm(password: str, today: date) -> str:
    name, email, person = SECOND_FIRM
    partner = accounts.find_user_by_email(email)
    if partner is None:
        partner = accounts.create_user(name=person, email=email, password=password, verified=True)
    workspace = ws_service.workspace_by_slug("demo-levante")
    if workspace is None:
        workspace = firms.create_firm(
            name, partner_email=email, slug="demo-levante", **SECOND_TERMS
        )
    _accepted(session.get(LawFirm, workspace.id), partner, today)
    return f"{workspace.slug:15} {email}"


def seed_firms(password: str, today: date) -> Iterator[str]:
    _main_firm(today)
    yield _second_firm(password, today)
