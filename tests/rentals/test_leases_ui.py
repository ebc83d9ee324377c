"""Leases as a landlord meets them in the browser: the new lease form, the lease page with its
charges, payments and ledger, ending a lease, and the yearly rent updates.

The clock of the pages is fixed on 10 March 2025 where charges matter ("Generate charges up to
today" creates every month up to today's). Amounts are worked out by hand in each test.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.rentals.lease_pages import (
    Book,
    count,
    definition,
    element,
    field_error,
    follow,
    message,
    open_book,
    speak_english,
    table_rows,
)

TODAY = date(2025, 3, 10)


@pytest.fixture
def book(app, create_workspace, make_client):
    return open_book(app, create_workspace, make_client)


@pytest.fixture
def clock(monkeypatch):
    """The pages' today: 10 March 2025."""
    monkeypatch.setattr("web.rentals.leases.today_in_spain", lambda: TODAY)
    return TODAY


@pytest.fixture
def marta(book):
    """A flat, its renter Marta and her guarantor Jorge."""
    return book.unit("2º B"), book.person("Marta Ruiz"), book.person("Jorge Ruiz")


# --- the form ---------------------------------------------------------------------------------


def test_the_form_preselects_the_unit_and_offers_the_people(book, marta):
    unit_id, renter, guarantor = marta
    other_unit = book.unit("Local 1", use="other")
    html = book.page(f"/leases/new?unit_id={other_unit}")
    # Each unit reads with its building: "Calle Mayor 12 · Local 1".
    selected = f'<option data-use="other" selected value="{other_unit}">Calle Mayor 12 · Local 1<'
    assert selected in html
    assert f'value="{unit_id}">Calle Mayor 12 · 2º B</option>' in html
    assert "Marta Ruiz" in html and "Jorge Ruiz" in html
    assert "31 means the last day of every month" in html


def test_a_lease_with_renter_guarantor_and_extra_is_created(book, marta, admin_engine):
    unit_id, renter, guarantor = marta
    response = book.new_lease(unit_id, [renter], guarantor_ids=[guarantor])
    html = follow(book, response)
    assert "The lease has been saved." in html
    assert "Calle Mayor 12, 2º B" in html
    assert definition(html, "Renters") == "Marta Ruiz"
    assert definition(html, "Guarantors") == "Jorge Ruiz"
    assert definition(html, "Term") == "Jan 15, 2025 – Jan 14, 2030"
    assert definition(html, "Every month") == (
        "Rent: €900.00 Community fees (Comunidad): €50.00 Total: €950.00"
    )
    assert definition(html, "Due") == "on day 5 of each month"
    assert definition(html, "Paid by") == "Bank transfer · ES9121000418450200051332"
    assert count(admin_engine, "leases") == 1

    listing = book.page("/leases")
    assert "2º B" in listing and "Marta Ruiz" in listing and "€950.00" in listing
    assert "No leases with this status." in book.page("/leases?status=ended")


def test_the_lease_page_warns_what_the_law_would_question(book, marta):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter], signed_on="2025-01-10", update_clause="ipc")
    html = book.page(f"/leases/{lease_id}")
    assert (
        "Housing leases signed from 25 May 2023 are updated by the IRAV index, not the IPC "
        "(LAU art. 18)." in html
    )
    assert definition(html, "Yearly update") == "IPC (consumer prices)"


def test_a_viewer_reads_the_lease_but_cannot_change_it(app, book, marta, create_user, make_client):
    from tenants import db
    from tenants.models import Member
    from tests.conftest import login, post_form

    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    book.run(lambda: db.session.add(Member(user_id=user_id, role="viewer")))
    luis = make_client()
    login(luis, "luis@example.com")
    page = book.path(f"/leases/{lease_id}")
    html = luis.get(page).get_data(as_text=True)
    assert "Marta Ruiz" in html
    assert "Record payment" not in html and "End the lease" not in html
    data = {"payment-received_on": "2025-02-01", "payment-amount": "100"}
    assert post_form(luis, f"{page}/payments", data, token_from=page).status_code == 403


# --- charges, payments and the ledger ---------------------------------------------------------


def generate(book, lease_id: int) -> str:
    page = f"/leases/{lease_id}"
    return follow(book, book.submit(f"{page}/charges", {}, page=page))


def pay(book, lease_id: int, amount: str, on: str, reference: str = ""):
    page = f"/leases/{lease_id}"
    data = {
        "payment-received_on": on,
        "payment-amount": amount,
        "payment-method": "transfer",
        "payment-reference": reference,
    }
    return book.submit(f"{page}/payments", data, page=page)


def test_charges_appear_after_generating_and_a_partial_payment_shows(book, marta, clock):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    assert "No charges yet." in book.page(f"/leases/{lease_id}")

    html = generate(book, lease_id)
    # January from the 15th: 17 of 31 days of 900 rent and 50 community fees.
    # 900 × 17/31 = 493.548… → 493.55; 50 × 17/31 = 27.419… → 27.42; together 520.97.
    assert table_rows(html, "charges-table") == [
        "01/2025 (15/01–31/01) Jan 15, 2025 Rent: €493.55 Community fees (Comunidad): €27.42 "
        "€520.97 €0.00 Unpaid",
        "02/2025 Feb 5, 2025 Rent: €900.00 Community fees (Comunidad): €50.00 €950.00 €0.00 Unpaid",
        "03/2025 Mar 5, 2025 Rent: €900.00 Community fees (Comunidad): €50.00 €950.00 €0.00 Unpaid",
    ]
    assert element(html, "balance-today") == "Owed: €2,420.97"
    assert "The charges were already up to date." in generate(book, lease_id)

    html = follow(book, pay(book, lease_id, "500,50", "2025-02-01", "TRANSF MARTA"))
    assert "The payment has been recorded." in html
    january, february, _march = table_rows(html, "charges-table")
    assert january.endswith("€520.97 €500.50 Partly paid")
    assert february.endswith("€950.00 €0.00 Unpaid")
    assert element(html, "balance-today") == "Owed: €1,920.47"  # 2,420.97 − 500.50
    assert table_rows(html, "ledger-table") == [
        "Jan 15, 2025 Rent 01/2025 (15/01–31/01) €520.97 €520.97",
        "Feb 1, 2025 Payment · TRANSF MARTA €500.50 €20.47",
        "Feb 5, 2025 Rent 02/2025 €950.00 €970.47",
        "Mar 5, 2025 Rent 03/2025 €950.00 €1,920.47",
    ]


def test_an_overpayment_is_kept_as_credit(book, marta, clock):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    generate(book, lease_id)
    html = follow(book, pay(book, lease_id, "2.500,00", "2025-03-06"))
    assert [row.rsplit(" ", 3)[1:] for row in table_rows(html, "charges-table")] == [
        ["€520.97", "€520.97", "Paid"],
        ["€950.00", "€950.00", "Paid"],
        ["€950.00", "€950.00", "Paid"],
    ]
    assert element(html, "balance-today") == "In credit: €79.03"  # 2,500 − 2,420.97
    assert element(html, "credit") == "Credit: €79.03, used for the next charges."


def test_the_balance_on_a_past_date(book, marta, clock):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    generate(book, lease_id)
    pay(book, lease_id, "500,50", "2025-02-01")

    html = book.page(f"/leases/{lease_id}?on=2025-02-10")  # January and February were due
    assert element(html, "balance-on-date").startswith(
        "On Feb 10, 2025 the renters owed €970.47."  # 520.97 + 950 − 500.50
    )
    assert len(table_rows(html, "ledger-table")) == 3  # March is not in the ledger yet
    html = book.page(f"/leases/{lease_id}?on=2025-01-31")  # paid on 1 February, not yet
    assert element(html, "balance-on-date").startswith("On Jan 31, 2025 the renters owed €520.97.")

    response = book.client.get(book.path(f"/leases/{lease_id}?on=31/02/2025"))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "on")


def test_ending_a_lease_early_prorates_the_last_month(book, marta, clock):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(
        unit_id,
        [renter],
        start_date="2025-01-01",
        **{"extras-0-description": "", "extras-0-amount": ""},
    )
    generate(book, lease_id)
    page = f"/leases/{lease_id}"
    response = book.submit(
        f"{page}/end", {"end-ended_on": "2025-03-15", "end-keys_returned_on": ""}, page=page
    )
    html = follow(book, response)
    assert "Terminated early" in html
    assert "ended on Mar 15, 2025" in html
    # March to the 15th: 900 × 15/31 = 435.483… → 435.48
    assert [row.split(" €")[1] for row in table_rows(html, "charges-table")] == [
        "900.00",
        "900.00",
        "435.48",
    ]
    assert "End the lease" not in html


def test_a_lease_cannot_end_before_it_starts(book, marta):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    page = f"/leases/{lease_id}"
    response = book.submit(f"{page}/end", {"end-ended_on": "2024-12-31"}, page=page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "end-ended_on") == message(book.app, "end_before_start")
    assert "Active" in book.page(page)


def test_a_bad_payment_is_refused_next_to_its_field(book, marta, clock, admin_engine):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(unit_id, [renter])
    response = pay(book, lease_id, "0", "2025-03-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "payment-amount") == message(book.app, "amount_not_positive")
    response = pay(book, lease_id, "cien", "2025-03-01")
    assert field_error(response.get_data(as_text=True), "payment-amount") == message(
        book.app, "amount_invalid"
    )
    assert count(admin_engine, "payments") == 0


# --- bad input on the new lease form ----------------------------------------------------------

BAD_LEASES = {
    "end before start": ({"end_date": "2025-01-01"}, "end_date", "end_before_start"),
    "zero rent": ({"rent": "0"}, "rent", "amount_not_positive"),
    "negative rent": ({"rent": "-900"}, "rent", "amount_not_positive"),
    "invalid IBAN": ({"iban": "ES91 2100 0418 4502 0005 1333"}, "iban", "iban_invalid"),
    "no IBAN for a transfer": ({"iban": ""}, "iban", "iban_required"),
    "no IBAN for a direct debit": (
        {"iban": "", "payment_method": "direct_debit"},
        "iban",
        "iban_required",
    ),
    "due day 0": ({"due_day": "0"}, "due_day", "due_day_invalid"),
    "due day 32": ({"due_day": "32"}, "due_day", "due_day_invalid"),
    "no renter": ({"renter_ids": []}, "renter_ids", "renter_required"),
    "extra without amount": ({"extras-0-amount": ""}, "extras-0-amount", "amount_invalid"),
}


@pytest.mark.parametrize("case", BAD_LEASES.values(), ids=BAD_LEASES.keys())
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_created(
    book, marta, admin_engine, case
):
    changes, field_id, code = case
    unit_id, renter, _guarantor = marta
    response = book.new_lease(unit_id, [renter], **changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, field_id) == message(book.app, code)
    for table in ("leases", "lease_parties", "lease_extras", "deposits"):
        assert count(admin_engine, table) == 0
    assert 'value="Comunidad"' in html  # what was typed is still there


def test_cash_needs_no_iban_and_day_31_is_the_last_day(book, marta, clock):
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(
        unit_id, [renter], start_date="2025-01-01", payment_method="cash", iban="", due_day="31"
    )
    html = generate(book, lease_id)
    assert definition(html, "Paid by") == "Cash"
    assert definition(html, "Due") == "on the last day of each month"
    due_dates = [row.split(" Rent:")[0] for row in table_rows(html, "charges-table")]
    assert due_dates == ["01/2025 Jan 31, 2025", "02/2025 Feb 28, 2025", "03/2025 Mar 31, 2025"]


def test_a_second_lease_on_the_same_unit_and_dates_is_refused(book, marta, admin_engine):
    unit_id, renter, _guarantor = marta
    book.lease(unit_id, [renter])
    response = book.new_lease(unit_id, [renter], start_date="2026-06-01", end_date="")
    assert response.status_code == 422
    shown = field_error(response.get_data(as_text=True), "start_date")
    assert shown == message(book.app, "lease_overlap", since=date(2025, 1, 15))
    assert "(from Jan 15, 2025)" in shown  # the date as the reader writes it, not 2025-01-15
    assert count(admin_engine, "leases") == 1


# --- rent updates -----------------------------------------------------------------------------


def propose_update(book, lease_id: int) -> None:
    """What the daily job does on 1 March 2025 for a lease that started on 1 April 2024."""
    from tenants.services.rentals import rent_updates

    proposed, missing = book.run(lambda: rent_updates.propose_rent_updates(date(2025, 3, 1)))
    assert len(proposed) == 1 and not missing


@pytest.fixture
def irav_lease(book, marta):
    """800 a month from 1 April 2024, updated by the IRAV: on 1 April 2025 the value of
    February 2025 applies, 2.08 %: 800 × 1.0208 = 816.64."""
    unit_id, renter, _guarantor = marta
    lease_id = book.lease(
        unit_id,
        [renter],
        start_date="2024-04-01",
        rent="800",
        update_clause="irav",
        **{"extras-0-amount": "", "extras-0-description": ""},
    )
    propose_update(book, lease_id)
    return lease_id


def test_confirming_a_rent_update_changes_the_rent(book, irav_lease):
    html = book.page("/rent-updates")
    assert "Rent updates <span" in html  # the navigation shows there is one waiting
    assert table_rows(html, "rent-updates-table") == [
        "Calle Mayor 12, 2º B · Marta Ruiz €800.00 IRAV 02/2025 2.08 % €816.64 Apr 1, 2025 "
        "Confirm Dismiss"
    ]

    update_id = int(html.split("/rent-updates/")[1].split("/")[0])
    response = book.submit(f"/rent-updates/{update_id}/confirm", {}, page="/rent-updates")
    html = follow(book, response)
    assert "The new rent of €816.64 applies." in html
    assert "No rent updates are waiting for you." in html
    assert "Rent updates <span" not in html
    assert "Rent: €816.64" in book.page(f"/leases/{irav_lease}")
    again = book.submit(f"/rent-updates/{update_id}/confirm", {}, page="/rent-updates")
    assert message(book.app, "update_decided") in follow(book, again)


def test_dismissing_a_rent_update_keeps_the_rent(book, irav_lease):
    html = book.page("/rent-updates")
    update_id = int(html.split("/rent-updates/")[1].split("/")[0])
    response = book.submit(f"/rent-updates/{update_id}/dismiss", {}, page="/rent-updates")
    assert "No rent updates are waiting for you." in follow(book, response)
    assert "Rent: €800.00" in book.page(f"/leases/{irav_lease}")


# --- navigation and isolation -----------------------------------------------------------------


def test_only_landlords_see_leases_in_the_navigation(book, create_workspace, make_client):
    assert "Leases</a>" in book.page("/")
    _id, slug = create_workspace(name="Facturas Ana", kind="business")
    html = book.client.get(f"/w/{slug}/").get_data(as_text=True)
    assert f'href="/w/{slug}/leases"' not in html


def test_another_workspaces_lease_is_not_found(app, two_tenants, admin_engine):
    ana, bea = two_tenants
    speak_english(bea.client, f"/w/{bea.slug}/")
    bea_book = Book(app, bea.id, bea.slug, bea.client)
    lease_id = bea_book.lease(
        bea_book.unit(),
        [bea_book.person("Pedro Gil")],
        start_date="2024-04-01",
        update_clause="irav",
    )
    propose_update(bea_book, lease_id)
    update_id = count(admin_engine, "rent_updates")  # the only one: ids start at 1

    ana_book = Book(app, ana.id, ana.slug, ana.client)
    assert ana_book.client.get(ana_book.path(f"/leases/{lease_id}")).status_code == 404
    for path, data in [
        (
            f"/leases/{lease_id}/payments",
            {"payment-amount": "10", "payment-received_on": "2025-02-01"},
        ),
        (f"/leases/{lease_id}/charges", {}),
        (f"/leases/{lease_id}/end", {"end-ended_on": "2025-02-01"}),
        (f"/rent-updates/{update_id}/confirm", {}),
        (f"/rent-updates/{update_id}/dismiss", {}),
    ]:
        assert ana_book.submit(path, data).status_code == 404, path
    assert count(admin_engine, "payments") == 0
    assert count(admin_engine, "charges") == 0
    html = bea_book.page(f"/leases/{lease_id}")
    assert "Active" in html and "Rent: €900.00" in html
    assert "Marta" not in ana_book.page("/leases") and "Pedro Gil" not in ana_book.page("/leases")


def test_a_fixed_update_too_large_is_refused_in_percent_not_euros(book, marta, admin_engine):
    unit_id, renter, _guarantor = marta
    response = book.new_lease(unit_id, [renter], update_clause="fixed", update_fixed_pct="5000")
    assert response.status_code == 422
    shown = field_error(response.get_data(as_text=True), "update_fixed_pct")
    assert "999.99 %" in shown and "€" not in shown
    assert count(admin_engine, "leases") == 0
