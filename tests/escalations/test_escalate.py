"""Escalating a case from its page (issue 14 point 2): an ineligible case lists what is missing
and nothing changes; an eligible one is offered to the chosen firm on its fees, the ladder
stops for good, the dossier is asked for and the firm's people are emailed. Only the owner
escalates; withdrawing is possible until the firm files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import login

TABLES = (
    "escalations",
    "escalation_offers",
    "escalation_events",
    "outbox",
    "cases",
    "case_events",
    "letters",
)


@pytest.fixture
def state(rows):
    """Every row a refused escalation could have touched."""

    def take() -> dict:
        return {t: rows(f"SELECT * FROM {t} ORDER BY id") for t in TABLES}  # noqa: S608

    return take


def escalate_form(firm_id=None, case_type="eviction", accept=True) -> dict:
    data = {"escalate-case_type": case_type}
    if firm_id is not None:
        data["escalate-firm"] = str(firm_id)
    if accept:
        data["escalate-accept_terms"] = "y"
    return data


def post_escalate(creditor, case_id: int, data: dict, client=None):
    return creditor.post(
        f"/cases/{case_id}/escalate", data, page=f"/cases/{case_id}", client=client
    )


def test_an_ineligible_case_lists_every_missing_item_and_changes_nothing(
    creditor, make_case, law_firm, state, es
):
    firm = law_firm(min_amount="100000")
    data = make_case(creditor.id)
    page = creditor.page(f"/cases/{data.case_id}")
    assert es("Escalate to a lawyer") in page
    assert 'id="escalation-missing"' in page
    before = state()
    response = post_escalate(creditor, data.case_id, escalate_form(firm.id, "monitorio"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        es("The case cannot go to a lawyer yet: see what is missing below. Nothing was changed.")
        in html
    )
    assert html.count('class="missing-item"') == 3
    for code in ("certified_demand_missing", "masc_missing", "amount_below_minimum"):
        assert f'data-code="{code}"' in html
    assert state() == before


def test_an_eligible_case_is_offered_to_the_chosen_firm_and_the_ladder_stops(
    app, creditor, law_firm, escalatable_case, make_letter, rows, es, money
):
    """Two firms fit; the owner chooses the second. Its fees are copied onto the escalation,
    the claim of the day is what is claimed, the letter waiting for approval is cancelled,
    the case is held, the dossier is asked for, and the sweep afterwards sends nothing."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Case
    from tenants.services.collections import claims, sweep

    law_firm("Bufete Álvarez", flat_fee="150", success_percent="10")
    chosen = law_firm("Lex Cobros", flat_fee="200", success_percent=None)
    data = escalatable_case(creditor.id)
    waiting = make_letter(creditor.id, data.case_id, "formal_demand")  # awaiting approval
    page = creditor.page(f"/cases/{data.case_id}")
    terms = es("%(amount)s per case", amount=money("150")) + " + "
    terms += es("%(percent)s %% of what is recovered", percent="10")
    assert f"Bufete Álvarez · {terms} ({es('suggested')})" in page
    assert f"Lex Cobros · {es('%(amount)s per case', amount=money('200'))}</label>" in page
    with app.app_context(), tenant_context(creditor.id):
        claimed = claims.claim_of_case(db.session.get(Case, data.case_id), today_in_spain()).total
    response = post_escalate(creditor, data.case_id, escalate_form(chosen.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [escalation] = rows("SELECT * FROM escalations")
    assert escalation["firm_id"] == chosen.id
    assert escalation["status"] == "offered"
    assert escalation["case_type"] == "eviction"
    assert escalation["flat_fee"] == Decimal("200.00")
    assert escalation["success_percent"] is None
    assert escalation["terms_accepted_at"] is not None
    assert escalation["claimed_amount"] == claimed
    [offer] = rows("SELECT * FROM escalation_offers")
    assert offer["firm_id"] == chosen.id and offer["answer"] is None
    assert offer["expires_at"] - offer["offered_at"] == timedelta(hours=48)
    [case] = rows("SELECT * FROM cases")
    assert (case["status"], case["pause_reason"], case["next_action_at"]) == (
        "paused",
        "escalation",
        None,
    )
    [letter] = rows("SELECT status, note FROM letters WHERE id = :id", id=waiting)
    assert letter == {"status": "cancelled", "note": "escalation"}
    topics = [r["topic"] for r in rows("SELECT topic FROM outbox ORDER BY id")]
    assert "jobs.dossiers:build_dossier" in topics
    assert topics.count("jobs.escalations:escalation_email") == 1  # the offer, to the firm
    kinds = [r["kind"] for r in rows("SELECT kind FROM escalation_events ORDER BY id")]
    assert kinds == ["escalated", "offered"]
    # The sweep, weeks later, leaves the case alone: no letter, no wake-up.
    letters_before = rows("SELECT id FROM letters")
    with app.app_context(), tenant_context(creditor.id):
        result = sweep.sweep(db.utcnow() + timedelta(days=40))
        db.session.commit()
    assert result.letters == 0
    assert rows("SELECT id FROM letters") == letters_before
    assert rows("SELECT status, pause_reason FROM cases") == [
        {"status": "paused", "pause_reason": "escalation"}
    ]
    page = creditor.page(f"/cases/{data.case_id}")
    assert 'id="escalation-panel"' in page
    assert es("Lex Cobros") in page
    assert money("200") in page
    assert 'id="resume"' not in page  # the letters cannot be resumed while it runs


def test_the_firms_members_are_emailed_the_offer(
    creditor, law_firm, escalatable_case, inbox, run_worker, rows
):
    firm = law_firm("Lex Cobros", lawyers=1)
    data = escalatable_case(creditor.id)
    response = post_escalate(creditor, data.case_id, escalate_form(firm.id))
    assert response.status_code == 302
    run_worker()
    [escalation] = rows("SELECT id FROM escalations")
    for address in (firm.partner_email, *firm.lawyer_emails):
        [email] = inbox.to(address)
        assert email["Subject"] == "Un caso nuevo para su despacho: Javier Martín Ruiz"
        body = inbox.body(email)
        assert "12345678Z" in body and "Pisos Rosa" in body
        assert inbox.link(address, "/inbox/").endswith(f"/w/{firm.slug}/inbox/{escalation['id']}")
        assert "Calle Luna" not in body  # the debtor's address is the dossier's, not the email's
    # Emails of the firm are the firm's rows, not the creditor's.
    assert {r["tenant_id"] for r in rows("SELECT tenant_id FROM emails")} == {firm.id}


def test_without_ticking_the_fees_nothing_is_escalated(
    creditor, law_firm, escalatable_case, state, es
):
    firm = law_firm()
    data = escalatable_case(creditor.id)
    before = state()
    response = post_escalate(creditor, data.case_id, escalate_form(firm.id, accept=False))
    assert response.status_code == 422
    assert es("Tick “I accept these fees” to escalate: the firm charges them for this case.") in (
        response.get_data(as_text=True)
    )
    assert state() == before


def test_a_firm_that_does_not_fit_cannot_be_chosen(creditor, law_firm, escalatable_case, state):
    law_firm("Bufete Álvarez")
    elsewhere = law_firm("Abogados Sevilla", provinces=("Sevilla",))
    data = escalatable_case(creditor.id)
    before = state()
    response = post_escalate(creditor, data.case_id, escalate_form(elsewhere.id))
    assert response.status_code == 422
    assert 'data-code="firm_not_fitting"' in response.get_data(as_text=True)
    assert state() == before


@pytest.fixture
def manager(app, creditor, create_user, make_client):
    """Marta, a manager of Rosa's workspace, logged in."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email="marta@example.com", name="Marta Gil")
    with app.app_context(), tenant_context(creditor.id):
        db.session.add(Member(user_id=user_id, role="manager"))
        db.session.commit()
    client = make_client()
    login(client, "marta@example.com")
    return client


def test_a_manager_cannot_escalate_but_can_write_to_the_firm(
    creditor, manager, law_firm, escalatable_case, state, rows, es
):
    firm = law_firm()
    data = escalatable_case(creditor.id)
    page = creditor.path(f"/cases/{data.case_id}")
    body = manager.get(page).get_data(as_text=True)
    assert 'id="escalate-submit"' not in body
    before = state()
    response = post_escalate(creditor, data.case_id, escalate_form(firm.id), client=manager)
    assert response.status_code == 403
    assert state() == before
    assert post_escalate(creditor, data.case_id, escalate_form(firm.id)).status_code == 302
    response = creditor.post(
        f"/cases/{data.case_id}/escalation/messages",
        {"message-text": "¿Necesitan el contrato original?"},
        page=f"/cases/{data.case_id}",
        client=manager,
    )
    assert response.status_code == 302
    [message] = rows("SELECT side, kind, text FROM escalation_messages")
    assert message == {
        "side": "creditor",
        "kind": "message",
        "text": "¿Necesitan el contrato original?",
    }
    [event] = rows("SELECT detail FROM escalation_events WHERE kind = 'message'")
    assert event["detail"]["tell"] == ["firm"]
    assert rows("SELECT firm_attention_at FROM escalations")[0]["firm_attention_at"] is not None
    # The manager cannot withdraw it either: that is the owner's.
    response = creditor.post(
        f"/cases/{data.case_id}/escalation/withdraw",
        {"withdraw-reason": "Ya no"},
        page=f"/cases/{data.case_id}",
        client=manager,
    )
    assert response.status_code == 403


def test_withdrawing_before_filing_and_not_after(
    app, creditor, law_firm, escalatable_case, rows, es, message
):
    from sqlalchemy import select

    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import Escalation

    firm = law_firm()
    data = escalatable_case(creditor.id)
    assert post_escalate(creditor, data.case_id, escalate_form(firm.id)).status_code == 302
    path = f"/cases/{data.case_id}/escalation/withdraw"
    page = f"/cases/{data.case_id}"
    response = creditor.post(path, {"withdraw-reason": ""}, page=page)
    assert response.status_code == 422
    assert rows("SELECT status FROM escalations") == [{"status": "offered"}]
    response = creditor.post(path, {"withdraw-reason": "El inquilino ha llamado"}, page=page)
    assert response.status_code == 302
    [escalation] = rows("SELECT status, withdrawn_reason, closed_at FROM escalations")
    assert escalation["status"] == "withdrawn"
    assert escalation["withdrawn_reason"] == "El inquilino ha llamado"
    assert rows("SELECT answer FROM escalation_offers") == [{"answer": "withdrawn"}]
    # The case stays paused, by hand now: the owner decides whether the letters resume.
    assert rows("SELECT status, pause_reason FROM cases") == [
        {"status": "paused", "pause_reason": "manual"}
    ]
    [event] = rows("SELECT detail FROM escalation_events WHERE kind = 'withdrawn'")
    assert event["detail"]["tell"] == ["firm"]
    html = creditor.page(page)
    assert 'id="resume"' in html
    # Escalated again and filed by the firm: withdrawing is refused.
    assert post_escalate(creditor, data.case_id, escalate_form(firm.id)).status_code == 302
    with app.app_context(), tenant_context(creditor.id):
        escalation = db.session.scalars(
            select(Escalation).where(Escalation.status == "offered")
        ).one()
        escalation.status = "monitorio_filed"
        escalation.court = "Juzgado de Primera Instancia n.º 5 de Madrid"
        escalation.procedure_number = "1234/2026"
        escalation.accepted_at = utcnow()
        db.session.commit()
    response = creditor.post(path, {"withdraw-reason": "Ya no"}, page=page, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert message("escalation_filed") in html
    assert "Juzgado de Primera Instancia n.º 5 de Madrid, procedimiento 1234/2026" in html
    assert 'id="escalation-withdraw-form"' not in html
    assert sorted(r["status"] for r in rows("SELECT status FROM escalations")) == [
        "monitorio_filed",
        "withdrawn",
    ]
