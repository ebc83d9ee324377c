"""Instalment plans through the pages: the debtor proposes on the portal (no login), the
creditor answers on the case page; bad input comes back next to its field; a viewer gets 403
and another workspace's plan 404."""

from __future__ import annotations

import re

from tests.collections.conftest import days_from_today
from tests.collections.test_portal import token_of


def day_text(day) -> str:
    return day.isoformat()


def propose_on_portal(client, token, count="3", first=None, amount=""):
    return client.post(
        f"/p/{token}/instalments",
        data={
            "plan-count": count,
            "plan-first_due_on": day_text(first or days_from_today(5)),
            "plan-amount_each": amount,
            "plan-note": "",
        },
    )


def plan_rows(rows, case_id):
    return rows("SELECT * FROM instalment_plans WHERE case_id = :c ORDER BY id", c=case_id)


def test_the_debtor_proposes_and_the_creditor_accepts(client, landlord, make_case, rows, es, money):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert es("Propose instalments") in page

    # Bad input: next to its field, in the debtor's language, nothing recorded.
    response = propose_on_portal(client, token, count="3", amount="500")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert money("566.66") in html and "plan-amount_each-error" in html
    response = propose_on_portal(client, token, first=days_from_today(-1))
    assert response.status_code == 422
    assert es("The first instalment cannot be before today.") in response.get_data(as_text=True)
    assert plan_rows(rows, data.case_id) == []

    response = propose_on_portal(client, token)
    assert response.status_code == 302
    [plan] = plan_rows(rows, data.case_id)
    assert (plan["status"], plan["count"], str(plan["amount_each"])) == ("proposed", 3, "566.66")

    case_page = landlord.page(f"/cases/{data.case_id}")
    assert 'id="plan-waiting"' in case_page
    response = landlord.post(
        f"/cases/{data.case_id}/instalments/{plan['id']}/accept",
        {},
        page=f"/cases/{data.case_id}",
    )
    assert response.status_code == 302
    [plan] = plan_rows(rows, data.case_id)
    assert plan["status"] == "accepted"
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("paused", "plan")
    case_page = landlord.page(f"/cases/{data.case_id}")
    assert len(re.findall(r'class="plan-instalment"', case_page)) == 3
    assert es("Instalment plan agreed: the letters wait while it is paid on time.") in case_page
    portal = client.get(f"/p/{token}").get_data(as_text=True)
    assert len(re.findall(r'class="plan-instalment"', portal)) == 3
    assert 'id="plan-pay-card"' in portal


def test_the_creditor_rejects_with_a_reason_the_debtor_sees(client, landlord, make_case, rows, es):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    propose_on_portal(client, token, count="12")
    [plan] = plan_rows(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    response = landlord.post(
        f"{path}/instalments/{plan['id']}/reject", {"reject-reason": ""}, page=path
    )
    assert response.status_code == 422
    response = landlord.post(
        f"{path}/instalments/{plan['id']}/reject",
        {"reject-reason": "Doce meses es demasiado"},
        page=path,
    )
    assert response.status_code == 302
    portal = client.get(f"/p/{token}").get_data(as_text=True)
    assert "Doce meses es demasiado" in portal


def test_the_creditor_ends_a_running_plan_and_the_debtor_is_told_why(
    client, landlord, make_case, rows, es, inbox, run_worker
):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    propose_on_portal(client, token, count="3")
    [plan] = plan_rows(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    assert (
        landlord.post(f"{path}/instalments/{plan['id']}/accept", {}, page=path).status_code == 302
    )
    assert es("End the plan") in landlord.page(path)
    cancel = f"{path}/instalments/{plan['id']}/cancel"
    response = landlord.post(cancel, {"cancel-reason": ""}, page=path)
    assert response.status_code == 422
    assert plan_rows(rows, data.case_id)[0]["status"] == "accepted"
    response = landlord.post(cancel, {"cancel-reason": "Ha cambiado de trabajo"}, page=path)
    assert response.status_code == 302
    [case] = rows("SELECT status, pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert (case["status"], case["pause_reason"]) == ("open", None)
    page = landlord.page(path)
    assert "Ha cambiado de trabajo" in page and 'id="plan-cancelled"' in page
    portal = client.get(f"/p/{token}").get_data(as_text=True)
    assert 'id="plan-cancelled"' in portal and "Ha cambiado de trabajo" in portal
    run_worker()
    told = [m for m in inbox.to("javier@example.com") if "Ha cambiado de trabajo" in inbox.body(m)]
    assert len(told) == 1


def test_a_counter_proposal_the_debtor_accepts(client, landlord, make_case, rows):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    propose_on_portal(client, token, count="6")
    [plan] = plan_rows(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    response = landlord.post(
        f"{path}/instalments/{plan['id']}/counter",
        {
            "counter-count": "2",
            "counter-first_due_on": day_text(days_from_today(7)),
            "counter-amount_each": "",
        },
        page=path,
    )
    assert response.status_code == 302
    old, counter = plan_rows(rows, data.case_id)
    assert (old["status"], counter["status"], counter["count"]) == ("countered", "offered", 2)
    portal = client.get(f"/p/{token}").get_data(as_text=True)
    assert 'id="plan-offered"' in portal
    response = client.post(f"/p/{token}/instalments/{counter['id']}/accept")
    assert response.status_code == 302
    assert plan_rows(rows, data.case_id)[1]["status"] == "accepted"


def test_a_viewer_cannot_accept_and_another_workspace_gets_404(
    client, landlord, viewer, make_case, rows, create_workspace, make_client
):
    from tests.conftest import login, post_form

    data = make_case(landlord.id)
    propose_on_portal(client, token_of(rows, data.case_id))
    [plan] = plan_rows(rows, data.case_id)
    path = landlord.path(f"/cases/{data.case_id}/instalments/{plan['id']}/accept")
    response = post_form(viewer, path, {}, token_from=landlord.path("/cases"))
    assert response.status_code == 403
    _other_id, other_slug = create_workspace(name="Otra", owner_email="otra@example.com")
    other = make_client()
    login(other, "otra@example.com")
    response = post_form(
        other,
        f"/w/{other_slug}/cases/{data.case_id}/instalments/{plan['id']}/accept",
        {},
        token_from=f"/w/{other_slug}/cases",
    )
    assert response.status_code == 404
    assert plan_rows(rows, data.case_id)[0]["status"] == "proposed"


def test_the_creditor_offers_a_plan_the_debtor_accepts(client, landlord, make_case, rows, es):
    data = make_case(landlord.id)
    token = token_of(rows, data.case_id)
    path = f"/cases/{data.case_id}"
    assert 'id="plan-offer-form"' in landlord.page(path)
    response = landlord.post(
        f"{path}/instalments/offer",
        {"offer-count": "13", "offer-first_due_on": day_text(days_from_today(3))},
        page=path,
    )
    assert response.status_code == 422
    assert 'id="offer-count-error"' in response.get_data(as_text=True)  # 2 to 12 only
    response = landlord.post(
        f"{path}/instalments/offer",
        {"offer-count": "4", "offer-first_due_on": day_text(days_from_today(3))},
        page=path,
    )
    assert response.status_code == 302
    [plan] = plan_rows(rows, data.case_id)
    assert (plan["status"], plan["proposed_by"], plan["count"]) == ("offered", "creditor", 4)
    portal = client.get(f"/p/{token}").get_data(as_text=True)
    assert 'id="plan-offered"' in portal
    assert client.post(f"/p/{token}/instalments/{plan['id']}/accept").status_code == 302
    assert plan_rows(rows, data.case_id)[0]["status"] == "accepted"
    # Another case's token never reaches this plan.
    other = make_case(landlord.id, renter="Otra Persona", tax_id="00000000T")
    response = client.post(f"/p/{token_of(rows, other.case_id)}/instalments/{plan['id']}/accept")
    assert response.status_code == 422
