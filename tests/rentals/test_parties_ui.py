"""People and companies (parties) as a landlord meets them: added, found, edited, refused when the
NIF/NIE/CIF is wrong or already used, and shown with the leases they are on.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import post_form
from tests.rentals import test_properties_ui as ui
from tests.rentals.test_properties_ui import add_property, add_unit, count, field_error, submit

# Fixtures shared with the properties tests.
landlord = ui.landlord
viewer = ui.viewer
in_tenant = ui.in_tenant

MARTA = {
    "kind": "person",
    "name": "Marta Ruiz Sanz",
    "tax_id": "12345678-z",
    "email": "Marta.Ruiz@Example.com",
    "phone": "+34 600 111 222",
    "street": "Calle Luna 3, 2º B",
    "postal_code": "41001",
    "city": "Sevilla",
    "province": "Sevilla",
    "language": "en",
    "notes": "Prefers WhatsApp.",
}


def new_party(tenant, **fields):
    return submit(tenant, f"/w/{tenant.slug}/parties/new", fields)


def add_party(tenant, path: str | None = None, **fields) -> int:
    """Add a party through the form; its id."""
    response = submit(tenant, path or f"/w/{tenant.slug}/parties/new", fields)
    assert response.status_code == 302, ui.field_errors_of(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


PARTY_COLUMNS = "kind, name, tax_id, tax_id_type, email, phone, province, language, notes"


# --- adding, finding, editing -----------------------------------------------------------------


def test_a_landlord_adds_a_person_and_finds_them(landlord, rows):
    party_id = add_party(landlord, **MARTA)

    assert rows(f"SELECT {PARTY_COLUMNS} FROM parties") == [  # noqa: S608 - fixed columns
        {
            "kind": "person",
            "name": "Marta Ruiz Sanz",
            "tax_id": "12345678Z",
            "tax_id_type": "dni",
            "email": "marta.ruiz@example.com",
            "phone": "+34 600 111 222",
            "province": "Sevilla",
            "language": "en",
            "notes": "Prefers WhatsApp.",
        }
    ]
    detail = landlord.client.get(f"/w/{landlord.slug}/parties/{party_id}").get_data(as_text=True)
    assert "Marta Ruiz Sanz" in detail and "12345678Z" in detail
    assert "Calle Luna 3, 2º B" in detail and "41001 Sevilla" in detail

    parties = f"/w/{landlord.slug}/parties"
    add_party(landlord, name="Pedro Gil", email="pedro@example.com")
    for search in ("ruiz", "12345678z", "marta.ruiz@"):
        html = landlord.client.get(parties, query_string={"q": search}).get_data(as_text=True)
        assert "Marta Ruiz Sanz" in html and "Pedro Gil" not in html, search
    html = landlord.client.get(parties).get_data(as_text=True)
    assert "Marta Ruiz Sanz" in html and "Pedro Gil" in html


def test_the_parties_list_also_takes_the_new_party_form(landlord, rows):
    add_party(landlord, f"/w/{landlord.slug}/parties", name="Pedro Gil")
    assert rows("SELECT kind, name, language FROM parties") == [
        {"kind": "person", "name": "Pedro Gil", "language": "es"}
    ]


def test_a_cif_makes_a_company_even_if_person_was_chosen(landlord, rows, es):
    party_id = add_party(landlord, kind="person", name="Inversiones Sur SL", tax_id="B12345674")

    assert rows("SELECT kind, tax_id_type FROM parties") == [
        {"kind": "company", "tax_id_type": "cif"}
    ]
    html = landlord.client.get(f"/w/{landlord.slug}/parties/{party_id}").get_data(as_text=True)
    assert f'id="party-kind">{es("Company")}<' in html


def test_a_landlord_edits_a_party(landlord, rows):
    party_id = add_party(landlord, **MARTA)
    detail = f"/w/{landlord.slug}/parties/{party_id}"

    response = submit(
        landlord,
        detail,
        {**MARTA, "tax_id": "X1234567L", "email": "marta@example.com", "province": ""},
    )

    assert response.status_code == 302
    assert rows("SELECT tax_id, tax_id_type, email, province FROM parties") == [
        {
            "tax_id": "X1234567L",
            "tax_id_type": "nie",
            "email": "marta@example.com",
            "province": None,
        }
    ]
    assert "marta@example.com" in landlord.client.get(detail).get_data(as_text=True)


def test_the_party_form_saves_how_a_person_is_addressed(landlord, rows):
    party_id = add_party(landlord, **MARTA, form_of_address="sra")
    detail = f"/w/{landlord.slug}/parties/{party_id}"
    assert rows("SELECT form_of_address FROM parties") == [{"form_of_address": "sra"}]
    assert '<option selected value="sra">' in landlord.client.get(detail).get_data(as_text=True)

    # Left unsaid again, and never kept for a company.
    assert submit(landlord, detail, {**MARTA, "form_of_address": ""}).status_code == 302
    assert rows("SELECT form_of_address FROM parties") == [{"form_of_address": None}]
    add_party(
        landlord,
        kind="company",
        name="Talleres Norte SL",
        tax_id="B12345674",
        form_of_address="sr",
    )
    assert rows("SELECT form_of_address FROM parties WHERE kind = 'company'") == [
        {"form_of_address": None}
    ]


def test_a_form_of_address_not_offered_is_refused(landlord, rows, message):
    response = new_party(landlord, **MARTA, form_of_address="dr")
    assert response.status_code == 422
    assert message("choice_invalid") in field_error(
        response.get_data(as_text=True), "form_of_address"
    )
    assert count(rows, "parties") == 0


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"tax_id": "12345678A"}, "tax_id", "tax_id_invalid"),  # wrong control letter
        ({"tax_id": "B12345675"}, "tax_id", "tax_id_invalid"),  # wrong CIF check digit
        ({"tax_id": "X1234567A"}, "tax_id", "tax_id_invalid"),
        ({"name": " "}, "name", "required"),
        ({"email": "marta@"}, "email", "email_invalid"),
        ({"province": "Narnia"}, "province", "province_invalid"),
        ({"kind": "robot"}, "kind", "choice_invalid"),
        ({"postal_code": "4100"}, "postal_code", "postal_code_invalid"),
        ({"postal_code": "٤١٠٠١"}, "postal_code", "postal_code_invalid"),  # not ASCII digits
        ({"phone": "llámame"}, "phone", "phone_invalid"),
        ({"phone": "600 11"}, "phone", "phone_invalid"),  # too few digits
        ({"phone": "+34 600 111 222 333 444 5"}, "phone", "phone_invalid"),  # too many
        ({"kind": "company", "tax_id": "12345678Z"}, "tax_id", "tax_id_not_company"),
    ],
)
def test_bad_party_input_is_refused_next_to_its_field(landlord, rows, message, fields, field, code):
    response = new_party(landlord, **{**MARTA, **fields})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message(code)
    assert count(rows, "parties") == 0


def test_a_nif_already_used_is_refused_on_create_and_on_edit(landlord, rows, message):
    add_party(landlord, **MARTA)
    pedro_id = add_party(landlord, name="Pedro Gil", tax_id="00000000T")
    taken = message("tax_id_taken", name="Marta Ruiz Sanz")

    response = new_party(landlord, name="Otra Marta", tax_id="12345678Z")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "tax_id") == taken

    detail = f"/w/{landlord.slug}/parties/{pedro_id}"
    response = submit(landlord, detail, {"name": "Pedro Gil", "tax_id": "12345678 Z"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "tax_id") == taken

    assert rows("SELECT name, tax_id FROM parties ORDER BY id") == [
        {"name": "Marta Ruiz Sanz", "tax_id": "12345678Z"},
        {"name": "Pedro Gil", "tax_id": "00000000T"},
    ]


def test_a_bad_edit_changes_nothing(landlord, rows, message):
    party_id = add_party(landlord, **MARTA)
    before = rows("SELECT * FROM parties")

    response = submit(
        landlord,
        f"/w/{landlord.slug}/parties/{party_id}",
        {**MARTA, "name": "Marta R.", "tax_id": "B12345675"},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "tax_id") == message("tax_id_invalid")
    assert 'value="Marta R."' in html  # what was typed stays in the form to fix
    assert rows("SELECT * FROM parties") == before


# --- leases on a party's page -----------------------------------------------------------------


def test_a_partys_page_shows_the_leases_they_rent_or_guarantee(landlord, in_tenant, rows, es):
    from tenants.services.rentals import leases

    property_id = add_property(landlord)
    add_unit(landlord, property_id, "1º A")
    unit_id = rows("SELECT id FROM units")[0]["id"]
    renter_id = add_party(landlord, **MARTA)
    guarantor_id = add_party(landlord, name="Jaime Ruiz", tax_id="00000000T")
    stranger_id = add_party(landlord, name="Pedro Gil")

    def lease():
        return leases.create_lease(
            leases.LeaseInput(
                unit_id=unit_id,
                renter_ids=[renter_id],
                guarantor_ids=[guarantor_id],
                start_date=date(2024, 3, 1),
                end_date=date(2029, 2, 28),
                rent="850",
                payment_method="cash",
            )
        ).id

    lease_id = in_tenant(landlord.id, lease)
    lease_link = (
        f'href="/w/{landlord.slug}/leases/{lease_id}">Calle Mayor 12, 1º A · Marta Ruiz Sanz<'
    )

    for party_id, role in ((renter_id, "Renter"), (guarantor_id, "Guarantor")):
        html = landlord.client.get(f"/w/{landlord.slug}/parties/{party_id}").get_data(as_text=True)
        assert lease_link in html
        assert f"<td>{es(role)}</td>" in html
    html = landlord.client.get(f"/w/{landlord.slug}/parties/{stranger_id}").get_data(as_text=True)
    assert f"/leases/{lease_id}" not in html
    assert es("Not on any lease yet.") in html


# --- who sees what ----------------------------------------------------------------------------


def test_another_workspaces_party_is_not_found(two_tenants, rows):
    a, b = two_tenants
    b_party = add_party(b, name="Bea Cliente", tax_id="12345678Z")
    before = rows("SELECT * FROM parties")

    assert a.client.get(f"/w/{a.slug}/parties/{b_party}").status_code == 404
    own = f"/w/{a.slug}/parties"
    response = post_form(a.client, f"{own}/{b_party}", {"name": "Robada"}, token_from=own)
    assert response.status_code == 404
    assert "Bea Cliente" not in a.client.get(own, query_string={"q": "Bea"}).get_data(as_text=True)
    assert rows("SELECT * FROM parties") == before
    # The same NIF is free in another workspace: parties belong to their workspace.
    add_party(a, name="Ana Cliente", tax_id="12345678Z")


def test_a_viewer_sees_parties_but_cannot_add_or_edit(landlord, viewer, rows):
    party_id = add_party(landlord, **MARTA)
    before = rows("SELECT * FROM parties")
    parties = f"/w/{landlord.slug}/parties"
    detail = f"{parties}/{party_id}"

    assert "Marta Ruiz Sanz" in viewer.get(parties).get_data(as_text=True)
    page = viewer.get(detail)
    assert page.status_code == 200
    assert "12345678Z" in page.get_data(as_text=True)
    assert 'name="tax_id"' not in page.get_data(as_text=True)  # no form to fill in

    for path in (f"{parties}/new", parties, detail):
        response = post_form(viewer, path, {"name": "Luis Cliente"}, token_from=parties)
        assert response.status_code == 403, path
    assert rows("SELECT * FROM parties") == before


def test_a_postal_code_from_another_province_is_refused(landlord, rows, message):
    """Issue 11.12: every 41xxx code is in Sevilla; 28013 with Sevilla is a typing mistake."""
    response = new_party(landlord, **{**MARTA, "postal_code": "28013"})
    assert response.status_code == 422
    shown = field_error(response.get_data(as_text=True), "postal_code")
    assert shown == message("postal_code_province", province="Sevilla", prefix="41")
    assert "41" in shown
    assert count(rows, "parties") == 0


def test_a_self_employed_person_is_a_person_who_is_a_business(landlord, rows):
    add_party(landlord, **{**MARTA, "is_business": "y"})
    (party,) = rows("SELECT kind, is_business FROM parties")
    assert party == {"kind": "person", "is_business": True}
