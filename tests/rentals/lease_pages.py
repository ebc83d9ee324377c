"""Helpers for the lease and deposit page tests (test_leases_ui.py, test_deposits_ui.py).

Ana owns the landlord workspace "Pisos Ana" and reads Amparo in English, so the texts asserted
are the source texts and do not change while the Spanish catalogue is being written. Units and
people are made through the services (other pages' tests cover their forms); leases are made
through the lease form, as Ana does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import text

from tests.conftest import login, post_form

IBAN = "ES91 2100 0418 4502 0005 1332"


@dataclass
class Book:
    """A landlord's rent book, seen through her logged-in client."""

    app: object
    id: int
    slug: str
    client: object

    def path(self, rest: str = "") -> str:
        return f"/w/{self.slug}{rest}"

    def run(self, fn):
        """Call services inside the workspace, as the app does, and commit."""
        from tenants import db
        from tenants.db import tenant_context

        with self.app.app_context(), tenant_context(self.id):
            result = fn()
            db.session.commit()
            return result

    def unit(self, label: str = "1º A", use: str = "housing", building: str = "Calle Mayor 12"):
        """A unit (its id) in a building of its own."""
        from tenants.services.rentals import properties

        def make():
            prop = properties.create_property(
                name=building,
                street=building,
                postal_code="28013",
                city="Madrid",
                province="Madrid",
            )
            return properties.add_unit(prop.id, label=label, use=use).id

        return self.run(make)

    def person(self, name: str) -> int:
        from tenants.services.rentals import parties

        return self.run(lambda: parties.create_party(name=name).id)

    def page(self, rest: str, **kwargs) -> str:
        response = self.client.get(self.path(rest), **kwargs)
        assert response.status_code == 200, response.status_code
        return page_text(response)

    def submit(self, rest: str, data: dict, page: str = "/leases"):
        """POST a form found on `page` (its CSRF token comes from there)."""
        return post_form(self.client, self.path(rest), data, token_from=self.path(page))

    def new_lease(self, unit_id: int, renters: list[int], **overrides):
        return self.submit("/leases/new", lease_form(unit_id, renters, **overrides))

    def lease(self, unit_id: int, renters: list[int], **overrides) -> int:
        """Create a lease through the form; its id."""
        response = self.new_lease(unit_id, renters, **overrides)
        assert response.status_code == 302, field_errors(page_text(response))
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def open_book(app, create_workspace, make_client) -> Book:
    workspace_id, slug = create_workspace()
    client = make_client()
    login(client)
    speak_english(client, f"/w/{slug}/")
    return Book(app, workspace_id, slug, client)


def speak_english(client, page: str) -> None:
    response = post_form(client, "/lang", {"lang": "en", "next": page}, token_from=page)
    assert response.status_code == 302


def lease_form(unit_id: int, renters: list[int], **overrides) -> dict:
    """The new lease form as Ana fills it in: 900 a month from 15 January 2025, due on the 5th,
    by transfer, with 50 of community fees. Keys are form field names."""
    data = {
        "unit_id": unit_id,
        "renter_ids": renters,
        "guarantor_ids": [],
        "start_date": "2025-01-15",
        "end_date": "2030-01-14",
        "signed_on": "",
        "reference": "",
        "use": "",
        "rent": "900,00",
        "due_day": "5",
        "payment_method": "transfer",
        "iban": IBAN,
        "update_clause": "none",
        "update_fixed_pct": "",
        "extras-0-kind": "community",
        "extras-0-description": "Comunidad",
        "extras-0-amount": "50",
        "deposit_amount": "",
        "guarantee_kind": "none",
        "guarantee_amount": "",
        "deposit_region": "",
    }
    return {**data, **overrides}


def page_text(response) -> str:
    """The HTML with non-breaking spaces as plain spaces (amounts read "€1,234.50")."""
    return response.get_data(as_text=True).replace("\xa0", " ")


def follow(book: Book, response) -> str:
    """The page a redirect leads to, as the browser opens it."""
    assert response.status_code == 302, field_errors(page_text(response))
    return book.page(response.headers["Location"].split(f"/w/{book.slug}", 1)[1])


def field_error(html: str, field_id: str) -> str:
    """The error text shown under a form field (the forms macro's `<id>-error` element)."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def input_value(html: str, field_id: str) -> str:
    """What a text input shows."""
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no input #{field_id} on the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def field_errors(html: str) -> str:
    return " | ".join(re.findall(r'id="[^"]*-error"[^>]*>(.*?)</div>', html, re.S))


def element(html: str, element_id: str) -> str:
    """The text inside the element with this id (tags removed, spaces collapsed)."""
    match = re.search(
        rf'id="{re.escape(element_id)}"[^>]*>(.*?)</(dd|p|table|div|span)>', html, re.S
    )
    assert match, f"no element #{element_id} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def definition(html: str, term: str) -> str:
    """The text of the <dd> that follows the <dt> with this text."""
    match = re.search(rf"<dt[^>]*>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert match, f"no {term!r} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def table_rows(html: str, table_id: str) -> list[str]:
    """Each body row of a table as one line of text."""
    match = re.search(rf'id="{re.escape(table_id)}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert match, f"no table #{table_id} on the page"
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def message(app, code: str, **params) -> str:
    """A service error as the page shows it (English, HTML-escaped)."""
    from tenants.services.errors import ServiceError
    from web.messages import message_for

    with app.test_request_context(), force_locale("en"):
        return str(escape(message_for(ServiceError(code, **params))))


def count(admin_engine, table: str) -> int:
    """Rows of a table, counted from outside the app (no tenant scoping)."""
    with admin_engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
