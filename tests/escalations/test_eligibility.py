"""What must be true before a case goes to a lawyer (issue 14 point 2): the list names every
missing item at once, with the date an eviction may go (LEC art. 22.4), and the case types
fit the debt."""

from __future__ import annotations

from tests.collections.conftest import days_from_today


def _check(app, tenant_id: int, case_id: int, case_type: str, firm_id=None) -> list:
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Case
    from tenants.services.escalations import eligibility

    with app.app_context(), tenant_context(tenant_id):
        case = db.session.get(Case, case_id)
        return eligibility.check(case, case_type, firm_id, today=today_in_spain())


def codes(missing) -> list[str]:
    return [m.code for m in missing]


def test_an_escalatable_case_is_eligible_as_eviction_and_monitorio(
    app, creditor, law_firm, escalatable_case
):
    firm = law_firm()
    data = escalatable_case(creditor.id)
    assert _check(app, creditor.id, data.case_id, "eviction") == []
    assert _check(app, creditor.id, data.case_id, "monitorio", firm.id) == []


def test_eviction_waits_30_days_after_the_certified_demand_was_delivered(
    app, creditor, law_firm, escalatable_case
):
    """docs/law.md#lec-22-4-enervacion: delivered 10 days ago, an eviction may go in 20 days;
    the monitorio need not wait."""
    law_firm()
    data = escalatable_case(creditor.id, delivered_days_ago=10)
    [missing] = _check(app, creditor.id, data.case_id, "eviction")
    assert missing.code == "eviction_wait"
    assert missing.params["ready_on"] == days_from_today(20)
    assert missing.params["delivered_on"] == days_from_today(-10)
    assert _check(app, creditor.id, data.case_id, "monitorio") == []


def test_a_fresh_case_lists_everything_missing_at_once(app, creditor, make_case, law_firm):
    """No certified demand, no demand that reached the debtor, a disputed charge, and a firm
    whose minimum the claim does not reach: all four are listed."""
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import Charge

    firm = law_firm(min_amount="100000")
    data = make_case(creditor.id)
    with app.app_context(), tenant_context(creditor.id):
        charge = db.session.get(Charge, data.charge_ids[0])
        charge.disputed_at, charge.dispute_reason = utcnow(), "La caldera no funciona"
        db.session.commit()
    missing = _check(app, creditor.id, data.case_id, "monitorio", firm.id)
    assert codes(missing) == [
        "certified_demand_missing",
        "masc_missing",
        "charge_disputed",
        "amount_below_minimum",
    ]
    assert missing[3].params["minimum"] == 100000
    assert missing[2].link == "charges"


def test_eviction_needs_a_lease(app, creditor, law_firm, escalatable_case):
    """A business debt (no lease) may go as a monitorio or an ordinary claim, never as an
    eviction (docs/law.md#court-routes)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Case
    from tenants.services.escalations import eligibility

    law_firm()
    data = escalatable_case(creditor.id)
    with app.app_context(), tenant_context(creditor.id):
        case = db.session.get(Case, data.case_id)
        assert eligibility.case_types_for(case) == ("monitorio", "eviction", "ordinary")
    assert "eviction_needs_lease" not in codes(_check(app, creditor.id, data.case_id, "eviction"))
    assert codes(_check(app, creditor.id, data.case_id, "appeal")) == ["case_type_invalid"]


def test_a_debtor_dispute_on_the_portal_holds_the_escalation_until_the_case_resumes(
    app, creditor, law_firm, escalatable_case
):
    """docs/law.md#escalation-no-dispute: "I have paid already" on the portal holds the case;
    resuming it (the creditor looked into it) clears that item."""
    from flask import current_app

    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.collections import case_actions
    from tenants.services.portal import telling
    from tenants.storage import DocumentStore

    law_firm()
    data = escalatable_case(creditor.id)
    with app.app_context(), tenant_context(creditor.id):
        telling.explain(
            data.case_id,
            reason="paid",
            text="Pagué en efectivo el día 3.",
            uploads=[],
            today=today_in_spain(),
            store=DocumentStore(current_app.config["DOCUMENTS_DIR"]),
        )
        db.session.commit()
    assert codes(_check(app, creditor.id, data.case_id, "monitorio")) == ["case_disputed"]
    with app.app_context(), tenant_context(creditor.id):
        rosa = db.session.query(User).filter_by(email="rosa@example.com").one()
        case_actions.resume_case(data.case_id, actor=rosa, today=today_in_spain())
        db.session.commit()
    assert _check(app, creditor.id, data.case_id, "monitorio") == []


def test_no_firm_that_fits_and_the_plan(app, creditor, law_firm, escalatable_case):
    """A firm in another province does not fit; on the Gratis plan escalating needs
    Profesional."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models.plans import Subscription

    law_firm(provinces=("Sevilla",))
    data = escalatable_case(creditor.id)
    assert codes(_check(app, creditor.id, data.case_id, "monitorio")) == ["no_firm_fits"]
    with app.app_context(), tenant_context(creditor.id):
        db.session.query(Subscription).one().status = "canceled"
        db.session.commit()
    missing = _check(app, creditor.id, data.case_id, "monitorio")
    assert codes(missing) == ["plan", "no_firm_fits"]
    assert missing[0].params == {"plan": "profesional"}


def test_an_eviction_needs_the_certified_demand_delivered(
    app, creditor, law_firm, make_case, make_letter
):
    """Posted but with no acknowledgement of receipt: the monitorio may go (it was sent), but
    not an eviction (its 30 days count from delivery), and the out-of-court attempt is not
    on record until a demand reached the debtor."""
    law_firm()
    data = make_case(creditor.id)
    make_letter(creditor.id, data.case_id, "certified_demand", status="posted")
    assert codes(_check(app, creditor.id, data.case_id, "eviction")) == [
        "certified_demand_not_delivered",
        "masc_missing",
    ]
    assert codes(_check(app, creditor.id, data.case_id, "monitorio")) == ["masc_missing"]
