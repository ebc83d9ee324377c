"""Law firms and escalatable cases, for every test of issue 14.

- `law_firm(name, provinces, case_types, ...)` makes a `law_firm` workspace with its directory
  entry (LawFirm, the current data-processing agreement accepted) straight in the database,
  its partner (and, if asked, a lawyer) logged in with two-factor sign-in. Returns a `Firm`.
- `escalatable_case(landlord_id, ...)` builds a rent case (tests/collections make_case) whose
  certified demand was delivered `delivered_days_ago` days ago (31: an eviction may be escalated
  today, LEC art. 22.4), its PDF and acknowledgement of receipt archived. Returns CaseData.
- `creditor` is Rosa's landlord workspace (tests/collections `landlord`), Rosa logged in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.collections import conftest as collections_fixtures
from tests.collections.conftest import CaseData, Landlord  # noqa: F401 - for this package

# The collections fixtures, for this package's tests (and escalatable_case below).
landlord = collections_fixtures.landlord
make_case = collections_fixtures.make_case
make_letter = collections_fixtures.make_letter
row_of = collections_fixtures.row_of

_numbers = itertools.count(1)


@dataclass
class Firm:
    id: int
    slug: str
    name: str
    partner_email: str
    client: object  # the partner, logged in (password and TOTP)
    lawyer_emails: list[str] = field(default_factory=list)

    def path(self, path: str) -> str:
        return f"/w/{self.slug}{path}"


@pytest.fixture
def law_firm(app, create_workspace, create_user, make_client):
    """`law_firm(name, provinces=("Madrid",), case_types=(...all...), capacity=20,
    min_amount="0", flat_fee="150", success_percent="10", lawyers=0, language="es",
    dpa=True)` -> Firm."""
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import LawFirm, Member
    from tenants.services.escalations import core
    from tests.conftest import login

    def make(
        name: str = "Bufete Álvarez",
        provinces=("Madrid",),
        case_types=("monitorio", "eviction", "ordinary"),
        *,
        capacity: int = 20,
        min_amount="0",
        flat_fee="150",
        success_percent="10",
        lawyers: int = 0,
        language: str = "es",
        dpa: bool = True,
    ) -> Firm:
        number = next(_numbers)
        partner_email = f"partner{number}@firm{number}.example.com"
        create_user(email=partner_email, name=f"Socia {number} {name}", language=language)
        firm_id, slug = create_workspace(name=name, kind="law_firm", owner_email=partner_email)
        lawyer_emails = []
        with app.app_context():
            for index in range(lawyers):
                email = f"lawyer{number}-{index}@firm{number}.example.com"
                user_id = create_user(
                    email=email, name=f"Abogado {number}-{index}", language=language
                )
                with tenant_context(firm_id):
                    db.session.add(Member(user_id=user_id, role="lawyer"))
                    db.session.commit()
                lawyer_emails.append(email)
            db.session.add(
                LawFirm(
                    workspace_id=firm_id,
                    provinces=list(provinces),
                    case_types=list(case_types),
                    capacity=capacity,
                    min_amount=Decimal(min_amount),
                    flat_fee=Decimal(flat_fee) if flat_fee is not None else None,
                    success_percent=(
                        Decimal(success_percent) if success_percent is not None else None
                    ),
                    dpa_version=core.DPA_VERSION if dpa else None,
                    dpa_accepted_at=utcnow() if dpa else None,
                )
            )
            db.session.commit()
        client = make_client()
        login(client, partner_email)
        return Firm(firm_id, slug, name, partner_email, client, lawyer_emails)

    return make


@pytest.fixture
def escalatable_case(app, make_case, make_letter):
    """`escalatable_case(tenant_id, delivered_days_ago=31, **make_case_kwargs)` -> CaseData: a
    rent case whose certified demand was delivered that many days ago."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Letter

    def make(tenant_id: int, delivered_days_ago: int = 31, **kwargs) -> CaseData:
        data = make_case(tenant_id, **kwargs)
        letter_id = make_letter(tenant_id, data.case_id, "certified_demand", status="delivered")
        with app.app_context(), tenant_context(tenant_id):
            letter = db.session.get(Letter, letter_id)
            letter.delivered_on = today_in_spain() - timedelta(days=delivered_days_ago)
            db.session.commit()
        return data

    return make


@pytest.fixture
def creditor(landlord):
    """Rosa's landlord workspace (on its Profesional trial), Rosa its owner, logged in."""
    return landlord
