"""Cases as the owner meets them: the list with its filters and empty state, one case's page
(debtor, balance, charges, ladder, letters, timeline) and what the owner does there: pause,
dispute, promise to pay, resume, notes, the debtor's replies, one charge left out."""

from __future__ import annotations

import re

import pytest

from tests.collections.conftest import RENDER_WARNING, RENTER, days_from_today

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)


def test_the_empty_list_explains_what_a_case_is(landlord, es):
    html = landlord.page("/cases")
    assert (
        es(
            "A case is the file of one debtor. When a charge is overdue, Amparo opens a case for "
            "the person or company that owes it, and every overdue charge of that debtor goes "
            "into the same case."
        )
        in html
    )
    # The menu leads there, with the letters waiting for the owner counted.
    assert es("Collections") in html and es("Ladder settings") in html


def test_the_list_shows_each_debtor_with_what_is_owed(landlord, make_case, es, money):
    make_case(landlord.id)
    html = landlord.page("/cases")
    [row] = re.findall(r'<tr class="case-row".*?</tr>', html, re.S)
    assert RENTER in row
    assert money("1700") in row  # two months of 850 EUR
    assert re.search(r'<td class="text-end">2</td>', row)  # two charges
    assert es("Open") in row
    # Filters: the open case is among the open ones, not among the closed ones.
    assert RENTER in landlord.page("/cases?status=open")
    closed = landlord.page("/cases?status=closed")
    assert RENTER not in closed and es("No case with this status.") in closed


def test_the_case_page_shows_charges_ladder_and_timeline(landlord, make_case, es, money):
    data = make_case(landlord.id)
    html = landlord.page(f"/cases/{data.case_id}")
    assert RENTER in html
    assert money("1700") in re.search(r'id="case-balance">(.*?)<', html).group(1)
    assert len(re.findall(r'class="charge-row"', html)) == 2
    # Every step of the ladder, with the one to come marked.
    for step in ("Friendly reminder", "Formal demand", "Certified demand"):
        assert es(step) in html
    assert "step-next" in html
    assert "Expediente abierto con 2 cargos vencidos." in html  # a plural, not "cargo(s)"
    assert "Anna Schmidt" in html  # the guarantor gets copies


def test_pausing_the_case_stops_it_and_resuming_starts_it(landlord, make_case, es, row_of):
    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    response = landlord.post(
        f"{page}/pause", {"pause-note": "Está de viaje", "pause-until": ""}, page=page
    )
    assert response.status_code == 302
    assert row_of("cases", data.case_id)["status"] == "paused"
    html = landlord.page(page)
    assert es("The case is paused until you resume it.") in html
    assert es("Case paused: %(note)s", note="Está de viaje") in html

    response = landlord.post(f"{page}/resume", {}, page=page)
    assert response.status_code == 302
    assert row_of("cases", data.case_id)["status"] == "open"
    assert es("The letters resume.") in landlord.page(page)


def test_a_pause_date_in_the_past_is_refused_with_a_message(landlord, make_case, message, row_of):
    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    yesterday = days_from_today(-1).isoformat()
    response = landlord.post(
        f"{page}/pause", {"pause-note": "Viaje", "pause-until": yesterday}, page=page
    )
    assert response.status_code == 422
    assert message("date_not_future") in response.get_data(as_text=True)
    assert row_of("cases", data.case_id)["status"] == "open"
    # And a pause without its reason says the field is required.
    response = landlord.post(f"{page}/pause", {"pause-note": ""}, page=page)
    assert response.status_code == 422
    assert message("required") in response.get_data(as_text=True)


def test_a_dispute_a_promise_and_the_debtors_reply_reach_the_timeline(
    landlord, make_case, es, money, row_of
):
    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    assert (
        landlord.post(
            f"{page}/notes",
            {"note-kind": "debtor_reply", "note-text": "Dice que paga el viernes"},
            page=page,
        ).status_code
        == 302
    )
    until = days_from_today(10)
    response = landlord.post(
        f"{page}/promise",
        {"promise-until": until.isoformat(), "promise-amount": "850", "promise-note": ""},
        page=page,
    )
    assert response.status_code == 302
    case = row_of("cases", data.case_id)
    assert (case["status"], case["pause_reason"], str(case["promised_amount"])) == (
        "paused",
        "promise",
        "850.00",
    )
    html = landlord.page(page)
    assert es("The debtor replied: %(text)s", text="Dice que paga el viernes") in html
    assert money("850") in html and "timeline-promised" in html

    landlord.post(f"{page}/resume", {}, page=page)
    response = landlord.post(f"{page}/dispute", {"dispute-note": "No reconoce la deuda"}, page=page)
    assert response.status_code == 302
    assert row_of("cases", data.case_id)["pause_reason"] == "dispute"
    assert es("The debtor disputes the debt: %(note)s", note="No reconoce la deuda") in (
        landlord.page(page)
    )


def test_a_promise_needs_its_date(landlord, make_case, message):
    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    response = landlord.post(f"{page}/promise", {"promise-amount": "abc"}, page=page)
    assert response.status_code == 422
    assert message("required") in response.get_data(as_text=True)
    response = landlord.post(
        f"{page}/promise",
        {"promise-until": days_from_today(5).isoformat(), "promise-amount": "abc"},
        page=page,
    )
    assert response.status_code == 422
    assert message("amount_invalid") in response.get_data(as_text=True)


def test_one_charge_can_be_left_out_of_the_letters(landlord, make_case, es, message, row_of):
    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    charge_id = data.charge_ids[0]
    response = landlord.post(
        f"/cases/charges/{charge_id}/pause", {f"charge-{charge_id}-reason": ""}, page=page
    )
    assert response.status_code == 422
    assert message("required") in response.get_data(as_text=True)

    until = days_from_today(20)
    response = landlord.post(
        f"/cases/charges/{charge_id}/pause",
        {
            f"charge-{charge_id}-reason": "Obra en el piso",
            f"charge-{charge_id}-until": until.isoformat(),
        },
        page=page,
    )
    assert response.status_code == 302
    assert row_of("charges", charge_id)["chase_paused_until"] == until
    html = landlord.page(page)
    assert "Obra en el piso" in html
    assert es("Put back in the letters") in html

    assert landlord.post(f"/cases/charges/{charge_id}/resume", {}, page=page).status_code == 302
    assert row_of("charges", charge_id)["chase_paused_until"] is None


def test_a_bounced_letter_stands_out_on_the_timeline(landlord, make_case, make_letter, es):
    data = make_case(landlord.id)
    make_letter(landlord.id, data.case_id, kind="claim_1", status="bounced")
    html = landlord.page(f"/cases/{data.case_id}")
    [item] = re.findall(r'<li class="list-group-item timeline-letter_bounced[^"]*"', html)
    assert "list-group-item-danger" in item
    assert "550 mailbox unavailable" in html
    assert es("Bounced") in html


def test_a_viewer_reads_the_case_but_cannot_change_it(landlord, viewer, make_case, es, row_of):
    data = make_case(landlord.id)
    page = landlord.path(f"/cases/{data.case_id}")
    html = viewer.get(page).get_data(as_text=True)
    assert RENTER in html
    assert es("Pause the case") not in html and es("Record the promise") not in html
    response = landlord.post(
        f"/cases/{data.case_id}/pause",
        {"pause-note": "No"},
        page=f"/cases/{data.case_id}",
        client=viewer,
    )
    assert response.status_code == 403
    assert row_of("cases", data.case_id)["status"] == "open"


def test_another_workspaces_case_is_not_found(landlord, two_tenants, make_case):
    _a, b = two_tenants
    theirs = make_case(b.id)
    assert landlord.get(f"/cases/{theirs.case_id}").status_code == 404
    assert RENTER not in landlord.page("/cases")


def test_the_lease_page_links_to_its_case(landlord, make_case, es):
    data = make_case(landlord.id)
    html = landlord.page(f"/leases/{data.lease_id}")
    case_url = landlord.path(f"/cases/{data.case_id}")
    assert f'id="collections-case" href="{case_url}">{es("Collections: open the case")}' in html


def test_the_invoice_page_links_to_its_case(app, create_workspace, make_client, es):
    from datetime import date

    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.collections import cases
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties
    from tests.conftest import login

    workspace_id, slug = create_workspace(
        name="Comercial Rosa", kind="business", owner_email="rosa@example.com"
    )
    with app.app_context(), tenant_context(workspace_id):
        client = parties.create_party(name="Talleres Sur S.L.", tax_id="B12345674")
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number="F-7",
                issue_date=date(2025, 1, 1),
                due_date=date(2025, 1, 31),
                total="121",
            )
        )
        cases.take_in_overdue(today_in_spain(), "business")
        db.session.flush()
        db.session.refresh(invoice)  # the intake updates the charges in bulk
        invoice_id, case_id = invoice.id, invoice.case_id
        db.session.commit()
    assert case_id is not None
    browser = make_client()
    login(browser, "rosa@example.com")
    html = browser.get(f"/w/{slug}/invoices/{invoice_id}").get_data(as_text=True)
    assert f'href="/w/{slug}/cases/{case_id}">{es("Collections: open the case")}' in html
    case_page = browser.get(f"/w/{slug}/cases/{case_id}").get_data(as_text=True)
    assert "Talleres Sur S.L." in case_page and "F-7" in case_page


def test_a_debtor_named_like_markup_shows_as_text(landlord, make_case):
    """The issue's safety case, on the pages: the name is text, never an element or a style."""
    name = '<img src="file:///etc/passwd"> <style>body{background:url(http://evil.example/x)}'
    data = make_case(landlord.id, renter=name)
    for path in ("/cases", f"/cases/{data.case_id}"):
        html = landlord.page(path)
        assert '<img src="file:///etc/passwd">' not in html
        assert "<style>body{background" not in html
        assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def test_a_case_is_followed_by_the_owner_and_can_be_handed_over(
    landlord, viewer, make_case, es, message, row_of, rows
):
    data = make_case(landlord.id)
    [rosa] = rows("SELECT id, name FROM users WHERE email = 'rosa@example.com'")
    [luis] = rows("SELECT id FROM users WHERE email = 'luis@example.com'")
    assert row_of("cases", data.case_id)["owner_id"] == rosa["id"]  # new cases: the owner
    page = f"/cases/{data.case_id}"
    assert rosa["name"] in landlord.page("/cases")

    # A viewer may not follow a case: refused with a message, nothing changes.
    response = landlord.post(f"{page}/owner", {"owner-owner": luis["id"]}, page=page)
    assert response.status_code == 422
    assert message("choice_invalid") in response.get_data(as_text=True)
    assert row_of("cases", data.case_id)["owner_id"] == rosa["id"]

    landlord.post(f"{page}/owner", {"owner-owner": 0}, page=page)
    assert row_of("cases", data.case_id)["owner_id"] is None
    assert es("Nobody follows the case now.") in landlord.page(page)


def test_the_lease_page_lists_the_letters_of_its_collections_case(
    landlord, make_case, make_letter, es
):
    """Issue 11.14: the lease page said "No letters yet" to a renter who had received ten."""
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id, kind="formal_demand")
    html = landlord.page(f"/leases/{data.lease_id}")
    assert es("No letters yet.") not in html
    [row] = re.findall(
        rf'<tr class="letter-row[^"]*" id="letter-{letter_id}">(.*?)</tr>', html, re.S
    )
    assert es("Formal demand") in row and RENTER in row


def test_the_ladder_is_a_stepper_with_each_steps_day_and_the_actions_open_on_demand(
    app, landlord, make_case, make_letter, es
):
    """Issue 11.14: the case page leads with the ladder, each step dated, and keeps the four
    action forms behind their buttons until one is needed."""
    from babel.dates import format_date

    from tenants.clock import date_in_spain
    from tenants.db import tenant_context
    from tenants.models import Case
    from tenants.services.collections import ladders

    data = make_case(landlord.id)
    page = f"/cases/{data.case_id}"
    with app.app_context(), tenant_context(landlord.id):
        from tenants import db

        case = db.session.get(Case, data.case_id)
        stage, positions = case.stage, [s.position for s in case.ladder.steps]
        next_day = date_in_spain(case.next_action_at)
        shift = next_day - ladders.step_due_on(case.ladder, case.anchor_date, stage + 1)
        later = {
            p: ladders.step_due_on(case.ladder, case.anchor_date, p) + shift
            for p in positions
            if p > stage + 1
        }
    html = landlord.page(page)

    def step(position: int) -> str:
        return re.search(rf'id="step-{position}">(.*?)</li>', html, re.S).group(1)

    def day(d) -> str:
        return format_date(d, "medium", locale="es")

    assert es("due %(date)s", date=day(next_day)) in step(stage + 1)
    for position, expected in later.items():
        assert es("around %(date)s", date=day(expected)) in step(position), position
    # The actions are buttons (pause, dispute, promise, note, offer instalments); their forms
    # are closed until asked for…
    actions = html[html.index('id="actions"') :]
    assert actions.count('<details class="case-action">') == 5
    assert "<details class=\"case-action\" open>" not in actions
    # …and one that came back with an error is open, its message showing.
    response = landlord.post(f"{page}/pause", {"pause-note": ""}, page=page)
    assert response.status_code == 422
    assert '<details class="case-action" open>' in response.get_data(as_text=True)
