"""The platform's directory of law firms (issue 14.1): adding a firm with its first partner,
checking its coverage, capacity and fees, and which firms a case may be offered to
(tenants/services/escalations/core.py fitting_firms; docs/law.md#gdpr-28-law-firms)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.collections import conftest as collections_fixtures

make_case = collections_fixtures.make_case

TERMS = {
    "provinces": "Madrid, toledo",
    "case_types": ["monitorio", "eviction"],
    "capacity": 2,
    "min_amount": "300",
    "flat_fee": "150",
    "success_percent": "10",
}


@pytest.fixture
def create_firm(app):
    """A law firm in the directory, its partner `partner_email` (an account if `account`);
    with `dpa`, the current agreement accepted by that partner. Returns the workspace id."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.escalations import firms
    from tenants.services.platform import accounts
    from tests.conftest import PASSWORD

    def create(
        name="Bufete Uno", partner_email="socia@example.com", *, dpa=True, account=True, **terms
    ) -> int:
        with app.app_context():
            if account and accounts.find_user_by_email(partner_email) is None:
                accounts.create_user(
                    name="Socia", email=partner_email, password=PASSWORD, verified=True
                )
            workspace = firms.create_firm(
                name, partner_email=partner_email, partner_name="Socia", **{**TERMS, **terms}
            )
            if dpa:
                with tenant_context(workspace.id):
                    partner = accounts.find_user_by_email(partner_email)
                    firms.accept_dpa(partner, version=firms.core.DPA_VERSION, agreed=True)
            db.session.commit()
            return workspace.id

    return create


def fitting(app, **given) -> list[int]:
    from tenants.services.escalations import core

    case = {"case_type": "monitorio", "province": "Madrid", "amount": Decimal("1000")}
    with app.app_context():
        return [firm.workspace_id for firm in core.fitting_firms(**{**case, **given})]


def test_a_new_firm_has_its_workspace_entry_and_partner(app, create_firm):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member, Workspace
    from tenants.models.escalations import LawFirm

    firm_id = create_firm(dpa=False)
    with app.app_context():
        workspace = db.session.get(Workspace, firm_id)
        firm = db.session.get(LawFirm, firm_id)
        assert (workspace.kind.value, workspace.slug) == ("law_firm", "bufete-uno")
        assert firm.provinces == ["Madrid", "Toledo"]  # as the list spells them
        assert firm.case_types == ["monitorio", "eviction"]
        assert (firm.capacity, firm.min_amount, firm.flat_fee, firm.success_percent) == (
            2,
            Decimal("300.00"),
            Decimal("150.00"),
            Decimal("10.00"),
        )
        assert firm.active and firm.dpa_version is None
        with tenant_context(firm_id):
            roles = [(m.user.email, m.role) for m in db.session.scalars(select(Member))]
        assert roles == [("socia@example.com", "partner")]


def test_a_new_partner_address_is_invited_by_email(app, create_firm, inbox, run_worker):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Invitation, Member

    firm_id = create_firm(partner_email="nuevo@example.com", account=False, dpa=False)
    run_worker()
    with app.app_context(), tenant_context(firm_id):
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.email, invitation.role) == ("nuevo@example.com", "partner")
        assert invitation.sent_at is not None
        assert db.session.scalar(select(func.count(Member.id))) == 0
    assert "/invitations/" in inbox.link("nuevo@example.com", "/invitations/")


@pytest.mark.parametrize(
    ("terms", "code", "field"),
    [
        ({"provinces": "Madrid, Narnia"}, "firm_province_unknown", "provinces"),
        ({"provinces": " , "}, "firm_provinces_required", "provinces"),
        ({"case_types": []}, "firm_case_types_required", "case_types"),
        ({"case_types": ["divorce"]}, "firm_case_type_unknown", "case_types"),
        ({"capacity": 0}, "firm_capacity_invalid", "capacity"),
        ({"capacity": "veinte"}, "firm_capacity_invalid", "capacity"),
        ({"flat_fee": "-150"}, "amount_negative", "flat_fee"),
        ({"min_amount": "-1"}, "amount_negative", "min_amount"),
        ({"success_percent": "100,5"}, "firm_percent_range", "success_percent"),
        ({"flat_fee": "", "success_percent": "0"}, "firm_terms_required", "flat_fee"),
        ({"flat_fee": "1e30"}, "amount_invalid", "flat_fee"),
    ],
)
def test_bad_terms_are_refused_and_create_nothing(app, terms, code, field):
    from tenants import db
    from tenants.models import Workspace
    from tenants.models.escalations import LawFirm
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import firms

    with app.app_context():
        with pytest.raises(ServiceError) as refused:
            firms.create_firm("Bufete Malo", partner_email="x@example.com", **{**TERMS, **terms})
        db.session.rollback()
        assert (refused.value.code, refused.value.field) == (code, field)
        assert db.session.scalar(select(func.count(Workspace.id))) == 0
        assert db.session.scalar(select(func.count(LawFirm.workspace_id))) == 0


def test_update_changes_the_terms_and_keeps_what_is_valid(app, create_firm):
    from tenants import db
    from tenants.models.escalations import LawFirm
    from tenants.services.errors import ServiceError
    from tenants.services.escalations import firms

    firm_id = create_firm()
    with app.app_context():
        firms.update_firm(
            firm_id, **{**TERMS, "provinces": ["Barcelona"], "flat_fee": "", "capacity": "5"}
        )
        db.session.commit()
        firm = db.session.get(LawFirm, firm_id)
        assert (firm.provinces, firm.flat_fee, firm.capacity) == (["Barcelona"], None, 5)
        with pytest.raises(ServiceError):
            firms.update_firm(firm_id, **{**TERMS, "success_percent": "101"})
        db.session.rollback()
        assert db.session.get(LawFirm, firm_id).success_percent == Decimal("10.00")


def test_only_firms_that_accepted_the_current_agreement_are_offered_cases(app, create_firm):
    from tenants import db
    from tenants.models.escalations import LawFirm

    without = create_firm("Sin Encargo", "a@example.com", dpa=False)
    accepted = create_firm("Con Encargo", "b@example.com")
    assert fitting(app, any_terms=True) == [accepted]
    with app.app_context():  # a new version of the agreement: accepted again, or no case
        db.session.get(LawFirm, accepted).dpa_version = "2025-01"
        db.session.commit()
    assert without not in fitting(app, any_terms=True)
    assert fitting(app, any_terms=True) == []


def test_coverage_type_minimum_activity_and_fees_each_exclude(app, create_firm):
    from tenants import db
    from tenants.services.escalations import firms

    firm_id = create_firm()
    assert fitting(app, any_terms=True) == [firm_id]
    assert fitting(app, province="Toledo", any_terms=True) == [firm_id]
    assert fitting(app, province="Sevilla", any_terms=True) == []
    assert fitting(app, case_type="ordinary", any_terms=True) == []
    assert fitting(app, amount=Decimal("299.99"), any_terms=True) == []
    assert fitting(app, amount=Decimal("300.00"), any_terms=True) == [firm_id]
    # The creditor accepted terms: a firm charging more than them does not fit.
    accepted = {"max_flat_fee": Decimal("150"), "max_percent": Decimal("10")}
    assert fitting(app, **accepted) == [firm_id]
    assert fitting(app, max_flat_fee=Decimal("149.99"), max_percent=Decimal("10")) == []
    assert fitting(app, max_flat_fee=Decimal("150"), max_percent=Decimal("9.5")) == []
    assert fitting(app, max_flat_fee=Decimal("150")) == []  # no percentage accepted
    with app.app_context():
        firms.deactivate(firm_id)
        db.session.commit()
    assert fitting(app, any_terms=True) == []
    with app.app_context():
        firms.activate(firm_id)
        db.session.commit()
    assert fitting(app, any_terms=True) == [firm_id]


def test_a_full_firm_is_not_offered_cases_and_the_least_busy_comes_first(
    app, create_firm, create_workspace, make_case
):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models.escalations import Escalation
    from tenants.services.escalations import firms

    busy = create_firm("Bufete Ocupado", "a@example.com", capacity=2)
    free = create_firm("Bufete Libre", "b@example.com", capacity=2)
    creditor_id, _slug = create_workspace(name="Pisos Ana")
    case = make_case(creditor_id)

    def escalate(firm_id: int, status: str = "accepted") -> None:
        with app.app_context(), tenant_context(creditor_id):
            db.session.add(
                Escalation(
                    case_id=case.case_id,
                    firm_id=firm_id,
                    case_type="monitorio",
                    status=status,
                    claimed_amount=Decimal("1700"),
                    terms_accepted_at=utcnow() - timedelta(days=1),
                )
            )
            db.session.commit()

    escalate(busy)
    assert fitting(app, any_terms=True) == [free, busy]  # fewest open first
    escalate(busy, "recovered")  # a closed escalation frees its place
    escalate(busy, "withdrawn")
    assert fitting(app, any_terms=True) == [free, busy]
    escalate(busy)
    assert fitting(app, any_terms=True) == [free]  # 2 of 2: full
    with app.app_context():
        choices = firms.choices_for(case_type="monitorio", province="Madrid", amount=1000)
        assert [(c.name, c.open_count, c.capacity) for c in choices] == [("Bufete Libre", 0, 2)]
        rows = {row.workspace.name: row.open_count for row in firms.list_firms()}
        assert rows == {"Bufete Libre": 0, "Bufete Ocupado": 2}


def test_the_demo_has_two_firms_with_the_agreement_accepted_five_weeks_ago(app, create_workspace):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.services.escalations import firms
    from web.demo import DEMO
    from web.demo_firms import seed_firms

    # The demo law firm as web/demo.py creates it (the rest of the demo is not needed here).
    slug, name, _kind, email, _person = DEMO[2]
    create_workspace(name=name, kind="law_firm", owner_email=email, slug=slug)
    today = today_in_spain()
    with app.app_context():
        lines = list(seed_firms("amparo-demo", today))
        db.session.commit()
        assert [line.split()[:2] for line in lines] == [
            ["demo-levante", "levante@demo.amparo.test"]
        ]
        rows = {row.workspace.slug: row for row in firms.list_firms()}
        main, second = rows["demo-lawfirm"], rows["demo-levante"]
        # Madrid and Barcelona (the flats), the business's clients' provinces, and Valencia.
        assert {"Madrid", "Barcelona", "Valencia", "Sevilla", "Bizkaia", "A Coruña"} <= set(
            main.firm.provinces
        )
        assert main.firm.case_types == ["monitorio", "eviction", "ordinary"]
        assert (main.firm.capacity, main.firm.min_amount, main.firm.flat_fee) == (
            25,
            Decimal("300.00"),
            Decimal("150.00"),
        )
        assert main.firm.success_percent == Decimal("10.00")
        assert second.firm.case_types == ["monitorio"] and main.dpa_current and second.dpa_current
        accepted_on = main.firm.dpa_accepted_at.astimezone(ZoneInfo("Europe/Madrid")).date()
        assert accepted_on == today - timedelta(weeks=5)
        assert main.firm.dpa_accepted_by_id is not None
        madrid = {"province": "Madrid", "amount": 1000}
        names = [c.name for c in firms.choices_for(case_type="monitorio", **madrid)]
        assert sorted(names) == ["Bufete Demo Abogados", "Despacho Levante Abogados"]
        evictions = firms.choices_for(case_type="eviction", **madrid)
        assert [c.name for c in evictions] == ["Bufete Demo Abogados"]
        list(seed_firms("amparo-demo", today))  # again: nothing new
        db.session.commit()
        assert len(firms.list_firms()) == 2
