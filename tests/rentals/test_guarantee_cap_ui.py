"""Who the landlord is in law, said on the letterhead page, and the lease page saying why the
two-month cap on additional guarantees binds a housing lease or not (LAU art. 36.5: housing
leases of up to 5 years, 7 if the landlord is a legal person; docs/law.md#lau-36-5-guarantees).

Worked out by hand: rent 1,000.00 → the cap is 2 × 1,000.00 = 2,000.00; the guarantee held is
3,000.00 (three months), so it is over the cap wherever the cap applies."""

from __future__ import annotations

import pytest

from tests.rentals.lease_pages import open_book

LETTERHEAD = "/settings/letterhead"


@pytest.fixture
def book(app, create_workspace, make_client):
    return open_book(app, create_workspace, make_client)


def say_the_landlord_is(book, kind: str):
    data = {
        "legal_name": "Inmuebles Vidal",
        "tax_id": "",
        "entity_kind": kind,
        "street": "Calle Mayor 12",
        "postal_code": "28013",
        "city": "Madrid",
        "province": "Madrid",
        "contact_email": "",
        "phone": "",
        "iban": "",
        "password": "",
    }
    response = book.submit(LETTERHEAD, data, page=LETTERHEAD)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def lease_until(book, unit: str, end: str) -> str:
    """A housing lease from 1 January 2025 to `end` with 3,000.00 of bank guarantee: its
    deposit panel."""
    lease_id = book.lease(
        book.unit(unit),
        [book.person("Marta Ruiz")],
        start_date="2025-01-01",
        end_date=end,
        rent="1000,00",
        guarantee_kind="bank_guarantee",
        guarantee_amount="3000",
    )
    return book.page(f"/leases/{lease_id}").split('id="deposit-panel"', 1)[1]


def test_the_landlord_kind_is_kept_on_the_letterhead_and_decides_the_guarantee_cap(book, rows):
    html = book.page(LETTERHEAD)
    assert "In law, the creditor is" in html
    assert "A natural person (persona física)" in html
    assert "A company or other legal person (persona jurídica)" in html

    say_the_landlord_is(book, "company")
    [row] = rows("SELECT entity_kind FROM workspaces WHERE id = :id", id=book.id)
    assert row["entity_kind"] == "company"
    assert '<option selected value="company">' in book.page(LETTERHEAD)

    # Six years (to 31 Dec 2030): within a company's seven, so the cap applies and says why.
    six = lease_until(book, "1º A", "2030-12-31")
    assert "may not exceed two months of rent: €2,000.00 (LAU art. 36.5)" in six
    assert "The cap applies: the lease ends on Dec 31, 2030, within 7 years of its start" in six
    assert "the landlord is a company (legal person)" in six

    # Ten years (to 31 Dec 2034): beyond seven, no warning, and the page says why.
    ten = lease_until(book, "1º B", "2034-12-31")
    assert "may not exceed" not in ten
    assert (
        "No cap on the additional guarantee: the lease ends on Dec 31, 2034, more than 7 years "
        "after its start, and the landlord is a company" in ten
    )

    # The same six years for a landlord who is a person: beyond five, not capped.
    say_the_landlord_is(book, "person")
    six_for_a_person = lease_until(book, "1º C", "2030-12-31")
    assert "may not exceed" not in six_for_a_person
    assert "more than 5 years after its start, and the landlord is a natural person" in (
        six_for_a_person
    )


def test_a_landlord_kind_not_offered_is_refused_and_changes_nothing(book, rows):
    say_the_landlord_is(book, "person")
    data = {
        "legal_name": "Inmuebles Vidal",
        "entity_kind": "cooperative",
        "iban": "",
        "password": "",
    }
    response = book.submit(LETTERHEAD, data, page=LETTERHEAD)
    assert response.status_code == 422
    [row] = rows("SELECT entity_kind FROM workspaces WHERE id = :id", id=book.id)
    assert row["entity_kind"] == "person"
