"""The deposit (fianza) as a landlord meets it on the lease page (LAU art. 36): the legal amount,
the cap on additional guarantees, the lodgement, deductions, and the settlement with the legal
interest owed when it is returned late.

Expected amounts come from the law, worked out by hand: 1 month of rent for housing, 2 for other
uses; additional guarantees on housing at most 2 months; the balance is due one month after the
keys come back, then earns the interés legal del dinero (3.25 % in 2024, simple, actual/365).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.rentals.lease_pages import (
    Book,
    count,
    element,
    field_error,
    follow,
    input_value,
    message,
    open_book,
    page_text,
    speak_english,
    table_rows,
)

NO_EXTRAS = {"extras-0-description": "", "extras-0-amount": ""}


@pytest.fixture
def book(app, create_workspace, make_client):
    return open_book(app, create_workspace, make_client)


@pytest.fixture
def people(book):
    """The renter Marta Ruiz."""
    return [book.person("Marta Ruiz")]


def deposit_of(html: str) -> str:
    """The deposit section of the lease page."""
    return html.split('id="deposit-panel"', 1)[1]


def end(book: Book, lease_id: int, ended_on: str, keys: str = ""):
    page = f"/leases/{lease_id}"
    data = {"end-ended_on": ended_on, "end-keys_returned_on": keys}
    return follow(book, book.submit(f"{page}/end", data, page=page))


def post(book: Book, lease_id: int, action: str, data: dict):
    page = f"/leases/{lease_id}"
    return book.submit(f"{page}/deposit/{action}", data, page=page)


# --- the amount ---------------------------------------------------------------------------------


def test_the_legal_amount_is_prefilled_from_the_rent_and_the_use(book, people):
    flat, shop = book.unit("1º A"), book.unit("Local 1", use="other")
    # The form comes back (no renter chosen) with the deposit filled in from what was typed.
    response = book.new_lease(flat, [], rent="900,00")
    assert input_value(page_text(response), "deposit_amount") == "900.00"
    response = book.new_lease(shop, [], rent="1.250,50")  # 2 months for other uses
    assert input_value(page_text(response), "deposit_amount") == "2501.00"
    response = book.new_lease(flat, [], rent="900,00", use="other")
    assert input_value(page_text(response), "deposit_amount") == "1800.00"
    response = book.new_lease(flat, [], rent="900,00", deposit_amount="1.000")
    assert input_value(page_text(response), "deposit_amount") == "1.000"  # hers stays
    # In the browser the same happens as the rent is typed (web/static/lease_form.js).
    html = book.page("/leases/new")
    assert 'src="/static/lease_form.js"' in html and 'data-use="other"' in html


def test_left_empty_the_legal_amount_is_held_without_warning(book, people):
    lease_id = book.lease(book.unit(), people, **NO_EXTRAS)
    html = deposit_of(book.page(f"/leases/{lease_id}"))
    assert element(html, "deposit-held") == "€900.00"
    assert "The law sets the deposit" not in html


def test_a_deposit_other_than_the_legal_one_is_kept_with_a_warning(book, people):
    lease_id = book.lease(book.unit(), people, deposit_amount="1.000")
    html = book.page(f"/leases/{lease_id}")
    assert element(deposit_of(html), "deposit-held") == "€1,000.00"
    assert (
        "The law sets the deposit at 1 month of rent: €900.00 (LAU art. 36.1)."
        in deposit_of(html)
    )


def test_an_additional_guarantee_above_two_months_warns(book, people):
    over = book.lease(
        book.unit("1º A"), people, guarantee_kind="bank_guarantee", guarantee_amount="2000"
    )
    html = deposit_of(book.page(f"/leases/{over}"))
    assert "Bank guarantee: €2,000.00" in html
    assert "may not exceed two months of rent: €1,800.00 (LAU art. 36.5)" in html

    at_cap = book.lease(
        book.unit("1º B"), people, guarantee_kind="bank_guarantee", guarantee_amount="1800"
    )
    assert "may not exceed" not in book.page(f"/leases/{at_cap}")


# --- lodgement and deductions --------------------------------------------------------------------


def test_the_lodgement_deadline_then_the_lodgement(book, people):
    lease_id = book.lease(book.unit(), people, deposit_region="madrid", signed_on="2025-01-10")
    html = deposit_of(book.page(f"/leases/{lease_id}"))
    # Madrid: within 30 days of signing, 10 January + 30 days = 9 February.
    assert element(html, "lodgement").startswith(
        "Lodge it with Agencia de Vivienda Social (Comunidad de Madrid) by Feb 9, 2025."
    )

    data = {"lodgement-region": "madrid", "lodgement-reference": "", "lodgement-lodged_on": ""}
    response = post(book, lease_id, "lodgement", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "lodgement-reference") == "This field is required."
    assert field_error(html, "lodgement-lodged_on") == "This field is required."

    data = {**data, "lodgement-reference": "AVS-2025-0042", "lodgement-lodged_on": "2025-02-03"}
    html = deposit_of(follow(book, post(book, lease_id, "lodgement", data)))
    assert element(html, "lodgement") == (
        "Lodged with Agencia de Vivienda Social (Comunidad de Madrid) on Feb 3, 2025, "
        "reference AVS-2025-0042."
    )
    assert "Record the lodgement" not in html


def test_a_deduction_lowers_the_balance_to_return(book, people, admin_engine):
    lease_id = book.lease(book.unit(), people, **NO_EXTRAS)
    end(book, lease_id, "2025-06-30", keys="2025-06-30")
    bad = {"deduction-kind": "damages", "deduction-description": "Cristal", "deduction-amount": "0"}
    response = post(book, lease_id, "deductions", bad)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "deduction-amount") == message(
        book.app, "amount_not_positive"
    )
    assert count(admin_engine, "deposit_deductions") == 0

    good = {**bad, "deduction-description": "Broken kitchen window", "deduction-amount": "150,25"}
    html = deposit_of(follow(book, post(book, lease_id, "deductions", good)))
    assert table_rows(html, "deductions") == ["Damages Broken kitchen window €150.25"]
    assert element(html, "to-return") == "€749.75"  # 900 − 150.25


def test_unpaid_rent_is_taken_from_the_ledger(book, people, monkeypatch):
    monkeypatch.setattr("web.rentals.leases.today_in_spain", lambda: date(2025, 4, 15))
    shop = book.unit("Local 1", use="other")  # other use: the legal deposit is 2 months, 1,800
    lease_id = book.lease(shop, people, start_date="2025-01-01", **NO_EXTRAS)
    page = f"/leases/{lease_id}"
    follow(book, book.submit(f"{page}/charges", {}, page=page))  # January to April, 900 each
    data = {"payment-received_on": "2025-02-05", "payment-amount": "1800", "payment-method": "cash"}
    follow(book, book.submit(f"{page}/payments", data, page=page))  # January and February
    end(book, lease_id, "2025-03-31", keys="2025-03-31")  # April's charge goes

    html = follow(book, post(book, lease_id, "unpaid-rent", {}))
    assert "The unpaid rent has been taken from the deposit." in html
    assert table_rows(deposit_of(html), "deductions") == ["Unpaid rent €900.00"]
    assert element(html, "to-return") == "€900.00"  # 1,800 − 900
    assert table_rows(html, "charges-table")[-1].endswith("€900.00 €900.00 Paid")
    assert element(html, "balance-today") == "Nothing owed"

    html = follow(book, post(book, lease_id, "unpaid-rent", {}))
    assert "There is no unpaid rent to take from the deposit." in html
    assert len(table_rows(deposit_of(html), "deductions")) == 1


# --- settlement ----------------------------------------------------------------------------------


def test_the_settlement_shows_the_deadline_and_the_interest_when_returned_late(book, people):
    lease_id = book.lease(
        book.unit(), people, start_date="2023-01-01", end_date="", rent="800", **NO_EXTRAS
    )
    html = deposit_of(end(book, lease_id, "2024-01-10", keys="2024-01-10"))
    # One month after the keys came back.
    assert element(html, "return-deadline").startswith("Feb 10, 2024")
    assert element(html, "to-return") == "€800.00"

    data = {"return-returned_on": "2024-05-10", "return-returned_amount": "806,41"}
    html = deposit_of(follow(book, post(book, lease_id, "return", data)))
    assert element(html, "returned") == "€806.41 on May 10, 2024"
    # 11 February to 10 May 2024: 19 + 31 + 30 + 10 = 90 days late.
    # 800 × 3.25 % × 90 / 365 = 6.4109… → 6.41
    assert element(html, "days-late") == "90"
    assert element(html, "interest") == "€6.41 accrued since the deadline"
    assert table_rows(html, "interest-breakdown") == ["Feb 11, 2024 May 10, 2024 90 3.25 % €6.41"]
    assert "No legal interest rate is recorded" not in html
    assert "Record the return" not in html


def test_a_missing_legal_rate_is_a_visible_warning(book, people):
    lease_id = book.lease(
        book.unit(), people, start_date="2026-01-01", end_date="", rent="800", **NO_EXTRAS
    )
    end(book, lease_id, "2026-10-01", keys="2026-10-01")
    data = {"return-returned_on": "2027-03-01", "return-returned_amount": "800"}
    html = deposit_of(follow(book, post(book, lease_id, "return", data)))
    # 2 November to 31 December 2026 at 3.25 %: 800 × 3.25 % × 60 / 365 = 4.27; 2027 has no rate.
    assert table_rows(html, "interest-breakdown") == ["Nov 2, 2026 Dec 31, 2026 60 3.25 % €4.27"]
    assert "No legal interest rate is recorded from Jan 1, 2027 to Mar 1, 2027" in html


def test_keys_returned_later_start_the_deadline(book, people):
    lease_id = book.lease(book.unit(), people, **NO_EXTRAS)
    html = deposit_of(end(book, lease_id, "2025-06-30"))
    assert "The one-month return deadline starts when the keys come back." in html
    response = post(book, lease_id, "keys", {"keys-keys_returned_on": "2024-12-01"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "keys-keys_returned_on") == message(
        book.app, "keys_before_start"
    )
    html = deposit_of(
        follow(book, post(book, lease_id, "keys", {"keys-keys_returned_on": "2025-07-04"}))
    )
    assert element(html, "return-deadline").startswith("Aug 4, 2025")

    data = {"return-returned_on": "2025-07-01", "return-returned_amount": "900"}
    response = post(book, lease_id, "return", data)  # before the keys came back
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "return-returned_on") == message(
        book.app, "date_invalid"
    )


# --- isolation -----------------------------------------------------------------------------------


def test_another_workspaces_deposit_is_not_found(app, two_tenants, admin_engine):
    ana, bea = two_tenants
    speak_english(bea.client, f"/w/{bea.slug}/")
    bea_book = Book(app, bea.id, bea.slug, bea.client)
    lease_id = bea_book.lease(bea_book.unit(), [bea_book.person("Pedro Gil")])
    end(bea_book, lease_id, "2025-06-30", keys="2025-06-30")

    ana_book = Book(app, ana.id, ana.slug, ana.client)
    for action, data in [
        (
            "lodgement",
            {
                "lodgement-region": "madrid",
                "lodgement-reference": "X",
                "lodgement-lodged_on": "2025-02-01",
            },
        ),
        (
            "deductions",
            {"deduction-kind": "damages", "deduction-description": "X", "deduction-amount": "1"},
        ),
        ("unpaid-rent", {}),
        ("keys", {"keys-keys_returned_on": "2025-07-01"}),
        ("return", {"return-returned_on": "2025-07-01", "return-returned_amount": "1"}),
    ]:
        response = ana_book.submit(f"/leases/{lease_id}/deposit/{action}", data)
        assert response.status_code == 404, action
    assert count(admin_engine, "deposit_deductions") == 0
    html = deposit_of(bea_book.page(f"/leases/{lease_id}"))
    assert "Not lodged yet" in html and "Record the return" in html
