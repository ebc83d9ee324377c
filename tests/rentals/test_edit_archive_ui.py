"""Correcting and putting away the rent book, as a landlord does it in the browser: properties,
units, people and leases edited; deleted when nothing depends on them, archived (hidden from
the lists and the choices, restorable) when something does; a lease ended only after its page
has said which charges go; and every deposit of the book on one page.

Ana reads Amparo in English (tests/rentals/lease_pages.py). The pages' today is 10 March 2025.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import login, post_form
from tests.rentals.lease_pages import (
    IBAN,
    count,
    definition,
    field_error,
    follow,
    message,
    open_book,
    page_text,
    table_rows,
)

TODAY = date(2025, 3, 10)


@pytest.fixture
def book(app, create_workspace, make_client, monkeypatch):
    monkeypatch.setattr("web.rentals.leases.today_in_spain", lambda: TODAY)
    return open_book(app, create_workspace, make_client)


def rows(admin_engine, sql: str) -> list[tuple]:
    from sqlalchemy import text

    with admin_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def property_of(book, unit_id: int) -> int:
    from tenants.services.rentals import properties

    return book.run(lambda: properties.get_unit(unit_id).property_id)


def flashed(book, response) -> str:
    """The page a refused (or done) action sends back to, with its message."""
    return follow(book, response)


# --- editing ----------------------------------------------------------------------------------


def test_a_property_and_its_unit_are_corrected(book, admin_engine):
    unit_id = book.unit("1º A")
    property_id = property_of(book, unit_id)
    edit = f"/properties/{property_id}/edit"
    form = {
        "name": "C/ Mayor 3",
        "street": "Calle Mayor 3",
        "postal_code": "28014",
        "city": "Madrid",
        "province": "madrid",
    }
    html = follow(book, book.submit(edit, form, page=edit))
    assert "The changes have been saved." in html
    assert "C/ Mayor 3" in html and "Calle Mayor 3, 28014 Madrid (Madrid)" in html

    unit_edit = f"/units/{unit_id}/edit"
    data = {"label": "1º B", "use": "other", "cadastral_ref": "9872023 vh5797s 0001 wx"}
    follow(book, book.submit(unit_edit, data, page=unit_edit))
    assert rows(admin_engine, "SELECT label, use, cadastral_ref FROM units") == [
        ("1º B", "other", "9872023VH5797S0001WX")
    ]
    # Bad input: refused next to its field, nothing changed.
    response = book.submit(edit, {**form, "postal_code": "2801", "name": "X"}, page=edit)
    assert response.status_code == 422
    html = page_text(response)
    assert field_error(html, "postal_code") == message(book.app, "postal_code_invalid")
    assert rows(admin_engine, "SELECT name, postal_code FROM properties") == [
        ("C/ Mayor 3", "28014")
    ]


def test_a_unit_cannot_take_the_name_of_another_unit_of_its_building(book, admin_engine):
    from tenants.services.rentals import properties

    unit_id = book.unit("1º A")
    property_id = property_of(book, unit_id)
    book.run(lambda: properties.add_unit(property_id, label="1º B"))
    edit = f"/units/{unit_id}/edit"
    response = book.submit(edit, {"label": "1º b", "use": "housing"}, page=edit)
    assert response.status_code == 422
    assert field_error(page_text(response), "label") == message(book.app, "unit_exists")
    assert sorted(r[0] for r in rows(admin_engine, "SELECT label FROM units")) == ["1º A", "1º B"]


def test_a_lease_is_edited_in_what_may_change_after_signing(book, admin_engine):
    unit_id, renter = book.unit("2º B"), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    edit = f"/leases/{lease_id}/edit"
    page = book.page(edit)
    assert "the rent changes through the yearly rent updates" in page
    assert f'href="/w/{book.slug}/parties/{renter}"' in page  # her contact is on her page

    data = {
        "end_date": "2031-01-14",
        "due_day": "10",
        "payment_method": "cash",
        "iban": "",
        "reference": "CONTRATO-7",
        "update_clause": "fixed",
        "update_fixed_pct": "2,5",
    }
    html = follow(book, book.submit(edit, data, page=edit))
    assert "The changes have been saved." in html
    assert definition(html, "Due") == "on day 10 of each month"
    assert definition(html, "Paid by") == "Cash"
    assert definition(html, "Term") == "Jan 15, 2025 – Jan 14, 2031"
    assert definition(html, "Yearly update") == "Fixed percentage: 2.50 %"
    assert rows(admin_engine, "SELECT rent, reference FROM leases")[0][1] == "CONTRATO-7"

    # A transfer needs the account; an end before the start is refused. Nothing changes.
    for changes, field, code in (
        ({"payment_method": "transfer", "iban": ""}, "iban", "iban_required"),
        ({"end_date": "2024-12-31"}, "end_date", "end_before_start"),
        ({"due_day": "32"}, "due_day", "due_day_invalid"),
    ):
        response = book.submit(edit, {**data, **changes}, page=edit)
        assert response.status_code == 422, changes
        assert field_error(page_text(response), field) == message(book.app, code)
    assert rows(admin_engine, "SELECT due_day, payment_method, iban FROM leases") == [
        (10, "cash", None)
    ]


def test_the_agreed_end_cannot_cut_months_already_charged(book, admin_engine):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter], start_date="2025-01-01")
    book.submit(f"/leases/{lease_id}/charges", {}, page=f"/leases/{lease_id}")
    edit = f"/leases/{lease_id}/edit"
    data = {"end_date": "2025-02-15", "due_day": "5", "payment_method": "transfer", "iban": IBAN}
    response = book.submit(edit, {**data, "update_clause": "none"}, page=edit)
    assert response.status_code == 422
    assert "To stop earlier, end the lease instead" in field_error(page_text(response), "end_date")
    assert rows(admin_engine, "SELECT end_date FROM leases") == [(date(2030, 1, 14),)]


def test_a_party_is_edited_and_the_unit_choices_show_the_building(book):
    unit_id, renter = book.unit("1º A", building="C/ Mayor 3"), book.person("Marta Ruiz")
    page = f"/parties/{renter}"
    data = {"kind": "person", "name": "Marta Ruiz Gil", "email": "marta@example.com"}
    html = follow(book, book.submit(page, {**data, "language": "es"}, page=page))
    assert "Marta Ruiz Gil" in html and "marta@example.com" in html
    assert f'value="{unit_id}">C/ Mayor 3 · 1º A</option>' in book.page("/leases/new")


# --- deleting what nothing depends on, archiving the rest -------------------------------------


def test_what_nothing_depends_on_is_deleted(book, admin_engine):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    stray = book.person("Pedro Error")
    lease_id = book.lease(unit_id, [renter])  # entered by mistake: nothing charged or paid
    property_id = property_of(book, unit_id)

    html = book.page(f"/leases/{lease_id}/edit")
    assert "Nothing depends on it yet" in html
    done = flashed(book, book.submit(f"/leases/{lease_id}/delete", {}, page=f"/leases/{lease_id}"))
    assert "The lease has been deleted." in done
    assert count(admin_engine, "leases") == 0 and count(admin_engine, "deposits") == 0

    page = f"/parties/{stray}"
    assert "They have been deleted." in flashed(book, book.submit(f"{page}/delete", {}, page=page))
    page = f"/units/{unit_id}/edit"
    assert "The unit has been deleted." in flashed(
        book, book.submit(f"/units/{unit_id}/delete", {}, page=page)
    )
    page = f"/properties/{property_id}"
    done = flashed(book, book.submit(f"{page}/delete", {}, page=page))
    assert "The property has been deleted." in done
    assert [count(admin_engine, t) for t in ("properties", "units", "parties")] == [0, 0, 1]


def test_delete_is_refused_with_a_message_when_something_depends_on_it(book, admin_engine):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter], start_date="2025-01-01")
    book.submit(f"/leases/{lease_id}/charges", {}, page=f"/leases/{lease_id}")
    property_id = property_of(book, unit_id)
    before = [count(admin_engine, t) for t in ("properties", "units", "parties", "leases")]

    for path, code in (
        (f"/properties/{property_id}/delete", "property_in_use"),
        (f"/units/{unit_id}/delete", "unit_in_use"),
        (f"/parties/{renter}/delete", "party_in_use"),
        (f"/leases/{lease_id}/delete", "lease_in_use"),
        # Archiving waits for the running lease to end.
        (f"/properties/{property_id}/archive", "archive_open_lease"),
        (f"/units/{unit_id}/archive", "archive_open_lease"),
        (f"/parties/{renter}/archive", "archive_open_lease"),
        (f"/leases/{lease_id}/archive", "archive_open_lease"),
    ):
        html = flashed(book, book.submit(path, {}, page=f"/leases/{lease_id}"))
        assert message(book.app, code) in html, path
    after = [count(admin_engine, t) for t in ("properties", "units", "parties", "leases")]
    assert after == before
    assert rows(admin_engine, "SELECT count(*) FROM leases WHERE archived_at IS NOT NULL") == [(0,)]
    # The edit page says why and offers archiving instead of deleting.
    assert "This unit has leases." in book.page(f"/units/{unit_id}/edit")


def test_archived_records_leave_the_lists_and_choices_and_come_back(book, admin_engine):
    unit_id, renter = book.unit("1º A"), book.person("Marta Ruiz")
    other_unit = book.unit("Local 1", building="Calle Luna 3")
    lease_id = book.lease(unit_id, [renter], start_date="2025-01-01")
    book.submit(f"/leases/{lease_id}/charges", {}, page=f"/leases/{lease_id}")
    book.submit(
        f"/leases/{lease_id}/end",
        {"end-ended_on": "2025-03-31", "end-keys_returned_on": ""},
        page=f"/leases/{lease_id}",
    )
    property_id = property_of(book, unit_id)
    lease_page = f"/leases/{lease_id}"
    for path in (
        f"{lease_page}/archive",
        f"/parties/{renter}/archive",
        f"/units/{unit_id}/archive",
    ):
        response = book.submit(path, {}, page=lease_page)
        assert response.status_code == 302, path
        assert "archived" in flashed(book, response), path

    assert "Marta Ruiz" not in book.page("/leases")
    assert "Marta Ruiz" not in book.page("/parties")
    assert "Marta Ruiz" in book.page("/parties?archived=1")
    new_lease = book.page("/leases/new")
    assert "Calle Mayor 12 · 1º A" not in new_lease and "Marta Ruiz" not in new_lease
    assert f'value="{other_unit}">Calle Luna 3 · Local 1<' in new_lease
    assert 'id="unit-' + str(unit_id) + '"' not in book.page(f"/properties/{property_id}")
    # The lease keeps its page and its books.
    assert 'id="archived-badge"' in book.page(lease_page)

    book.submit(f"/properties/{property_id}/archive", {}, page=lease_page)
    assert f'id="property-{property_id}"' not in book.page("/properties")
    archive = book.page("/archive")
    for element_id in (
        f"archived-property-{property_id}",
        f"archived-lease-{lease_id}",
        f"archived-party-{renter}",
    ):
        assert f'id="{element_id}"' in archive, element_id

    for path in (f"/properties/{property_id}/restore", f"/units/{unit_id}/restore"):
        assert "back in the lists" in flashed(book, book.submit(path, {}, page="/archive"))
    book.submit(f"/parties/{renter}/restore", {}, page="/archive")
    assert f'id="property-{property_id}"' in book.page("/properties")
    assert f'value="{unit_id}">Calle Mayor 12 · 1º A<' in book.page("/leases/new")
    assert "Marta Ruiz" in book.page("/parties")
    assert "Marta Ruiz" not in book.page("/leases")  # the lease itself is still archived
    assert rows(admin_engine, "SELECT count(*) FROM leases WHERE archived_at IS NULL") == [(0,)]


# --- ending a lease: confirm first ------------------------------------------------------------


def test_ending_a_lease_shows_the_charges_it_removes_then_removes_only_those(book, admin_engine):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(
        unit_id,
        [renter],
        start_date="2025-01-01",
        **{"extras-0-description": "", "extras-0-amount": ""},
    )
    page = f"/leases/{lease_id}"
    book.submit(f"{page}/charges", {}, page=page)  # January to March, 900 each
    book.submit(
        f"{page}/charges/other",
        {"charge-description": "Boiler", "charge-amount": "120", "charge-due_date": "2025-03-20"},
        page=page,
    )
    book.submit(
        f"{page}/payments",
        {"payment-received_on": "2025-01-05", "payment-amount": "900", "payment-method": "cash"},
        page=page,
    )
    before = rows(admin_engine, "SELECT id, kind, period_start, amount FROM charges ORDER BY id")

    review = book.page(f"{page}/end?end-ended_on=2025-02-14&end-keys_returned_on=2025-02-14")
    assert table_rows(review, "removed-table") == ["March 2025 Mar 5, 2025 €900.00 €0.00"]
    # February to the 14th: 900 × 14/28 = 450.00; kept: 900 + 450 + 120, paid 900.
    assert "€450.00 instead of €900.00" in review
    assert "Still owed once it has ended: €570.00." in review
    assert count(admin_engine, "charges") == len(before)  # looking changes nothing
    assert rows(admin_engine, "SELECT status FROM leases") == [("active",)]

    token_page = f"{page}/end?end-ended_on=2025-02-14&end-keys_returned_on=2025-02-14"
    response = book.submit(
        f"{page}/end",
        {"end-ended_on": "2025-02-14", "end-keys_returned_on": "2025-02-14"},
        page=token_page,
    )
    assert "The lease has ended." in follow(book, response)
    after = rows(admin_engine, "SELECT id, kind, period_start, amount FROM charges ORDER BY id")
    removed = [c for c in before if c[0] not in {a[0] for a in after}]
    assert [(c[1], c[2]) for c in removed] == [("rent", date(2025, 3, 1))]
    assert [c[3] for c in after] == [900, 450, 120]


def test_the_review_refuses_a_bad_end_day_next_to_its_field(book):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    response = book.client.get(book.path(f"/leases/{lease_id}/end?end-ended_on=2024-12-31"))
    assert response.status_code == 422
    html = page_text(response)
    assert field_error(html, "end-ended_on") == message(book.app, "end_before_start")


def test_the_review_of_an_ended_lease_says_it_has_ended(book):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    page = f"/leases/{lease_id}"
    book.submit(f"{page}/end", {"end-ended_on": "2025-02-01"}, page=page)
    response = book.client.get(book.path(f"{page}/end?end-ended_on=2025-02-10"))
    assert message(book.app, "lease_not_open") in follow(book, response)


def test_the_lease_page_sends_the_end_form_to_the_review_first(book):
    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    html = book.page(f"/leases/{lease_id}")
    assert f'<form method="get" action="/w/{book.slug}/leases/{lease_id}/end"' in html


# --- the deposits of the book -----------------------------------------------------------------


def test_the_deposits_page_lists_every_deposit_with_its_state(book):
    from tenants.services.rentals import deposits, leases

    first, second = book.unit("1º A"), book.unit("Local 1", building="Calle Luna 3")
    lodged = book.lease(first, [book.person("Marta Ruiz")], deposit_region="madrid")
    book.lease(second, [book.person("Pedro Gil")], deposit_region="madrid")

    def lodge():
        deposit = leases.deposit_of(lodged)
        deposits.record_lodgement(
            deposit.id, region="madrid", reference="AVS-123", lodged_on=date(2025, 1, 20)
        )

    book.run(lodge)
    home = book.page("/")
    assert f'href="/w/{book.slug}/deposits"' in home
    html = book.page("/deposits")
    by_renter = {
        row.split(" · ")[1].split(" ")[0]: row for row in table_rows(html, "deposits-table")
    }
    assert set(by_renter) == {"Marta", "Pedro"}, by_renter
    marta, pedro = by_renter["Marta"], by_renter["Pedro"]
    assert "€900.00" in marta and "lodged with Agencia de Vivienda Social" in marta
    assert "AVS-123" in marta and marta.endswith("held")
    assert "not lodged" in pedro and "by Feb 14, 2025" in pedro
    assert "Held today: €1,800.00." in html


# --- who may ----------------------------------------------------------------------------------


def test_a_viewer_cannot_edit_or_remove_anything(book, create_user, make_client, admin_engine):
    from tenants import db
    from tenants.models import Member

    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    property_id = property_of(book, unit_id)
    user_id = create_user(email="luis@example.com", name="Luis Gómez")
    book.run(lambda: db.session.add(Member(user_id=user_id, role="viewer")))
    luis = make_client()
    login(luis, "luis@example.com")
    lease_page = book.path(f"/leases/{lease_id}")
    html = luis.get(lease_page).get_data(as_text=True)
    assert "Edit or remove" not in html
    for path in (
        f"/properties/{property_id}/edit",
        f"/units/{unit_id}/edit",
        f"/leases/{lease_id}/edit",
    ):
        assert luis.get(book.path(path)).status_code == 403, path
    for path in (
        f"/properties/{property_id}/edit",
        f"/leases/{lease_id}/edit",
        f"/leases/{lease_id}/delete",
        f"/units/{unit_id}/archive",
        f"/parties/{renter}/delete",
    ):
        response = post_form(luis, book.path(path), {"name": "X"}, token_from=lease_page)
        assert response.status_code == 403, path
    assert count(admin_engine, "leases") == 1 and count(admin_engine, "parties") == 1
    assert rows(admin_engine, "SELECT name FROM properties") == [("Calle Mayor 12",)]


def test_another_workspaces_records_are_not_found(app, book, create_workspace, make_client):
    from tests.rentals.lease_pages import Book

    unit_id, renter = book.unit(), book.person("Marta Ruiz")
    lease_id = book.lease(unit_id, [renter])
    property_id = property_of(book, unit_id)
    bea_id, slug = create_workspace(name="Locales Bea", owner_email="bea@example.com")
    bea = make_client()
    login(bea, "bea@example.com")
    other = Book(app, bea_id, slug, bea)
    for path in (
        f"/properties/{property_id}/edit",
        f"/units/{unit_id}/edit",
        f"/leases/{lease_id}/edit",
        f"/leases/{lease_id}/end?end-ended_on=2025-02-01",
    ):
        assert bea.get(other.path(path)).status_code == 404, path
    for path in (
        f"/properties/{property_id}/delete",
        f"/units/{unit_id}/archive",
        f"/parties/{renter}/delete",
        f"/leases/{lease_id}/delete",
        f"/leases/{lease_id}/restore",
    ):
        assert other.submit(path, {}, page="/properties").status_code == 404, path
    assert "Marta Ruiz" not in other.page("/deposits") + other.page("/archive")
    assert "Marta Ruiz" in book.page(f"/leases/{lease_id}")
