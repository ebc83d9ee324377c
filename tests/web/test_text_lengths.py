"""Every text a form takes has a length its column holds (issue 11.12): a 20,000-character
street or a 3,000-digit invoice number is refused with a message, never stored to break a
page or a letter."""

from __future__ import annotations

from tests.conftest import post_form
from tests.receivables.test_invoices_ui import shop  # noqa: F401 - fixture
from tests.web.test_money_and_dates import _unbound, _web_form_classes

# Fields whose values are checked against a fixed list or a format instead of a length.
NOT_FREE_TEXT = {"csrf_token"}


def test_every_free_text_field_of_every_form_has_a_maximum_length(app):
    from wtforms import (
        EmailField,
        HiddenField,
        PasswordField,
        SearchField,
        StringField,
        TelField,
        TextAreaField,
        URLField,
    )
    from wtforms.validators import Length

    from web.fields import DayField, MoneyField

    texts = StringField | TextAreaField | EmailField | TelField | SearchField | URLField
    unbounded = []
    for cls in _web_form_classes():
        for name, unbound in _unbound(cls):
            kind = unbound.field_class
            if not issubclass(kind, texts) or issubclass(kind, DayField | MoneyField):
                continue
            # Hidden fields carry ids and hashes the view checks; passwords are hashed.
            if issubclass(kind, PasswordField | HiddenField) or name in NOT_FREE_TEXT:
                continue
            validators = unbound.kwargs.get("validators") or (
                unbound.args[1] if len(unbound.args) > 1 else []
            )
            if not any(isinstance(v, Length) and v.max and v.max > 0 for v in validators):
                unbounded.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert unbounded == [], "give each a Length(max=…) no larger than its column"


def test_a_very_long_street_or_invoice_number_is_refused(shop, rows):  # noqa: F811
    """The same forms take the same values when they are of a sensible length."""
    from tests.receivables.test_invoices_ui import add_client, invoice_fields, new_invoice
    from tests.rentals.test_properties_ui import field_error

    too_long = "El campo no puede tener más de 200 caracteres."  # WTForms' own Spanish
    path = f"/w/{shop.slug}/parties/new"
    response = post_form(
        shop.client,
        path,
        {"kind": "company", "name": "Talleres Pérez", "street": "Calle " * 4000},
        token_from=path,
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "street") == too_long
    assert rows("SELECT count(*) AS n FROM parties")[0]["n"] == 0

    client_id = add_client(shop, name="Talleres Pérez", street="Calle Mayor 3")
    response = new_invoice(shop, invoice_fields(client_id, number="1" * 3000))
    assert response.status_code == 422
    assert "40" in field_error(response.get_data(as_text=True), "number")
    assert rows("SELECT count(*) AS n FROM charges")[0]["n"] == 0
    assert new_invoice(shop, invoice_fields(client_id)).status_code == 302
