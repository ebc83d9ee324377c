"""Names with line breaks are refused where they are typed, and a NUL anywhere changes nothing.

A name reaches email headers and letters' headings (tenants/text.py): a line break there
breaks the email. PostgreSQL text holds no NUL, so a NUL in any field is refused before any
view runs, instead of failing the statement with a 500.
"""

from __future__ import annotations

import pytest

from tests.rentals import test_properties_ui as ui
from tests.rentals.test_parties_ui import MARTA
from tests.rentals.test_properties_ui import MAYOR, count, field_error, submit

landlord = ui.landlord

ONE_LINE_ES = "Escríbelo en una sola línea, sin saltos de línea ni tabuladores."
BREAKS = ["Marta\u2028Ruiz", "Marta\rRuiz", "Marta\nBcc: x@example.com", "Marta\x0bRuiz", "Marta\x85"]


@pytest.mark.parametrize("name", BREAKS)
def test_a_party_name_with_a_line_break_is_refused_in_spanish(landlord, rows, name):
    response = submit(landlord, f"/w/{landlord.slug}/parties/new", {**MARTA, "name": name})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == ONE_LINE_ES
    assert count(rows, "parties") == 0


def test_a_property_name_with_a_line_break_is_refused(landlord, rows):
    path = f"/w/{landlord.slug}/properties"
    response = submit(landlord, path, {**MAYOR, "name": "Calle Mayor\u202912"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == ONE_LINE_ES
    assert count(rows, "properties") == 0


def test_a_letterhead_name_with_a_line_break_is_refused(landlord, rows):
    path = f"/w/{landlord.slug}/settings/letterhead"
    response = submit(landlord, path, {"legal_name": "Pisos Ana\u2028SL"})

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "legal_name") == ONE_LINE_ES
    assert rows("SELECT legal_name FROM workspaces")[0]["legal_name"] == ""


def test_a_nul_in_a_free_text_field_is_refused_and_nothing_is_saved(landlord, rows):
    response = submit(landlord, f"/w/{landlord.slug}/parties/new", {**MARTA, "notes": "a\x00b"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no se puede guardar" in page and "no se ha cambiado nada" in page
    assert count(rows, "parties") == 0
