"""The letters of the rent book end to end (issue 5, point 8): the rent update notice, the
deposit settlement and the statement of account, each recorded by the service the landlord
uses, rendered and emailed by a real worker, received by a real SMTP server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

import letters.compose  # noqa: F401 - WeasyPrint warns once on import: at collection, not in a test
from letters import i18n
from tenants.services.rentals.periods import month_start
from tests.conftest import login, post_form
from tests.jobs.collections_fixtures import (  # noqa: F401 - fixtures
    LANDLORD,
    RENDER_WARNING,
    RENTER,
    RENTER_EMAIL,
    in_workspace,
    landlord_with_a_flat,
    money,
    pdf_text,
    today,
)

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

SECOND_RENTER = "Tom Baker"
SECOND_RENTER_EMAIL = "tom@example.com"


@dataclass
class Book:
    workspace_id: int
    slug: str
    lease_id: int
    start: date


@pytest.fixture
def book(app, create_workspace):
    """A landlord (letterhead filled in) and a housing lease of 750 EUR a month, updated 3 % a
    year, with two renters: Lucía writes Spanish, Tom English. It started on the first of the
    month about ten weeks ago and every rent since is charged, none paid."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals import charges, leases, parties

    workspace_id, slug = create_workspace(name="Pisos Ana", kind="landlord")
    start = month_start(today() - timedelta(days=70))
    with app.app_context(), tenant_context(workspace_id):
        unit = landlord_with_a_flat(workspace_id)
        lucia = parties.create_party(name=RENTER, email=RENTER_EMAIL, language="es")
        tom = parties.create_party(name=SECOND_RENTER, email=SECOND_RENTER_EMAIL, language="en")
        lease = leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id,
                renter_ids=[lucia.id, tom.id],
                start_date=start,
                rent="750.00",
                due_day=1,
                payment_method="cash",
                update_clause="fixed",
                update_fixed_pct="3",
            )
        )
        charges.catch_up_rent_charges(today())
        db.session.commit()
        return Book(workspace_id, slug, lease.id, start)


def _letters(rows, kind: str) -> list[dict]:
    return rows("SELECT * FROM letters WHERE kind = :kind ORDER BY id", kind=kind)


def _emails(inbox) -> tuple[list, list]:
    return inbox.to(RENTER_EMAIL), inbox.to(SECOND_RENTER_EMAIL)


# --- the rent update notice (LAU art. 18) -----------------------------------------------------


def test_confirming_a_rent_update_notifies_each_renter_once(
    book,
    in_workspace,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from tenants.services.errors import ServiceError
    from tenants.services.rentals import periods, rent_updates

    anniversary = periods.anniversary(book.start, 1)
    update_id = in_workspace(
        book.workspace_id,
        lambda: rent_updates.propose_rent_updates(anniversary - timedelta(days=30))[0][0].id,
    )
    assert _letters(rows, "rent_update") == []  # a proposal notifies nobody

    in_workspace(book.workspace_id, lambda: rent_updates.decide_update(update_id, confirm=True))
    with pytest.raises(ServiceError) as error:  # confirming twice: the second is refused
        in_workspace(book.workspace_id, lambda: rent_updates.decide_update(update_id, confirm=True))
    assert error.value.code == "update_decided"
    run_worker()
    run_worker()  # a second run finds nothing to do

    to_lucia, to_tom = _emails(inbox)
    assert (len(to_lucia), len(to_tom)) == (1, 1)
    assert [r["status"] for r in _letters(rows, "rent_update")] == ["sent", "sent"]

    spanish = pdf_text(to_lucia[0])
    assert "Notificación de actualización de la renta" in spanish
    assert RENTER in spanish
    assert money(Decimal("750.00")) in spanish  # the old rent
    assert money(Decimal("772.50")) in spanish  # the new one: 750 + 3 %
    assert i18n.long_date(anniversary, "es") in spanish  # from the anniversary on
    assert "artículo 18 de la Ley 29/1994, de Arrendamientos Urbanos" in spanish
    assert "+3,00" in spanish  # the change, written the Spanish way
    assert "None" not in spanish  # a fixed percentage has no index month to print

    english = pdf_text(to_tom[0])
    assert "Notice of rent update" in english
    assert SECOND_RENTER in english
    assert money(Decimal("750.00")) in english and money(Decimal("772.50")) in english
    assert i18n.long_date(anniversary, "en") in english
    assert "article 18 of Spanish Law 29/1994 on Urban Leases (LAU)" in english
    assert "+3.00" in english and "None" not in english


def test_a_dismissed_rent_update_sends_nothing(book, in_workspace, inbox, rows, run_worker):  # noqa: F811
    from tenants.services.rentals import periods, rent_updates

    anniversary = periods.anniversary(book.start, 1)
    update_id = in_workspace(
        book.workspace_id,
        lambda: rent_updates.propose_rent_updates(anniversary - timedelta(days=30))[0][0].id,
    )
    in_workspace(book.workspace_id, lambda: rent_updates.decide_update(update_id, confirm=False))
    run_worker()
    assert _letters(rows, "rent_update") == []
    assert _emails(inbox) == ([], [])


# --- the deposit settlement (LAU art. 36) -----------------------------------------------------


def test_settling_the_deposit_sends_the_itemised_settlement(
    book,
    in_workspace,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from tenants.services.rentals import deposits, leases

    ended = today() - timedelta(days=10)
    keys_back = today() - timedelta(days=8)

    def end_and_deduct():
        leases.end_lease(book.lease_id, ended_on=ended, keys_returned_on=keys_back)
        deposit = leases.deposit_of(book.lease_id)
        deposits.add_deduction(
            deposit.id, kind="damages", description="Reparación de la puerta", amount="120,00"
        )
        deposits.add_deduction(
            deposit.id, kind="other", description="Limpieza final", amount="80,00"
        )
        return deposit.id

    deposit_id = in_workspace(book.workspace_id, end_and_deduct)
    assert _letters(rows, "deposit_settlement") == []  # not before it is settled

    in_workspace(
        book.workspace_id,
        lambda: deposits.settle(deposit_id, returned_on=today(), returned_amount="550,00"),
    )
    run_worker()

    to_lucia, to_tom = _emails(inbox)
    assert (len(to_lucia), len(to_tom)) == (1, 1)
    (first, second) = _letters(rows, "deposit_settlement")
    assert (first["status"], second["status"]) == ("sent", "sent")
    assert Decimal(first["total"]) == Decimal("550.00")

    spanish = pdf_text(to_lucia[0])
    assert "Liquidación de la fianza" in spanish
    assert money(Decimal("750.00")) in spanish  # the deposit held: one month of rent
    assert f"Deducciones: Reparación de la puerta {money(Decimal('-120.00'))}" in spanish
    assert f"Deducciones: Limpieza final {money(Decimal('-80.00'))}" in spanish
    assert f"Importe a devolver {money(Decimal('550.00'))}" in spanish
    assert i18n.long_date(keys_back, "es") in spanish

    english = pdf_text(to_tom[0])
    assert "Settlement of the deposit" in english
    assert "Reparación de la puerta" in english and "Limpieza final" in english
    assert f"Amount to be returned {money(Decimal('550.00'))}" in english


# --- the statement of account, from the lease page ---------------------------------------------


def test_the_lease_page_sends_a_statement_of_account_once_a_day(
    app,
    book,
    es,
    in_workspace,  # noqa: F811
    inbox,
    rows,
    run_worker,
):
    from tenants.services.receivables import payments

    charged = rows(
        "SELECT id, description, due_date, amount FROM charges WHERE lease_id = :id "
        "ORDER BY due_date",
        id=book.lease_id,
    )
    assert len(charged) >= 3
    # The first rent was paid: the statement lists only what is still owed.
    in_workspace(
        book.workspace_id,
        lambda: payments.record_payment(
            lease_id=book.lease_id, received_on=today(), amount="750,00", method="cash"
        ),
    )
    unpaid = [c for c in charged[1:] if c["due_date"] <= today()]
    owed = sum((c["amount"] for c in unpaid), Decimal("0"))

    client = app.test_client()
    login(client)
    page = f"/w/{book.slug}/leases/{book.lease_id}"
    html = client.get(page).get_data(as_text=True)
    action = f"/w/{book.slug}/leases/{book.lease_id}/statement"
    assert f'action="{action}"' in html
    assert es("Send a statement of account") in html
    assert es("No letters yet.") in html

    response = post_form(client, action, {}, token_from=page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page}#letters")
    run_worker()

    to_lucia, to_tom = _emails(inbox)
    assert (len(to_lucia), len(to_tom)) == (1, 1)
    spanish = pdf_text(to_lucia[0])
    assert "Extracto de cuenta" in spanish
    for charge in unpaid:
        assert i18n.long_date(charge["due_date"], "es") in spanish
        assert money(charge["amount"]) in spanish
    assert i18n.long_date(charged[0]["due_date"], "es") not in spanish  # paid: not listed
    assert f"Total pendiente {money(owed)}" in spanish
    assert f"Total outstanding {money(owed)}" in pdf_text(to_tom[0])

    # The lease page lists both letters, sent, with their PDF.
    html = client.get(page).get_data(as_text=True)
    letters_table = html.split('id="letters-table"', 1)[1].split("</table>", 1)[0]
    sent = _letters(rows, "statement")
    assert len(sent) == 2
    for letter, name in zip(sent, (RENTER, SECOND_RENTER), strict=True):
        row = letters_table.split(f'id="letter-{letter["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert es("Statement of account") in row and name in row
        assert es("Email") in row and es("Sent") in row
        pdf = f"/w/{book.slug}/cases/letters/{letter['id']}/pdf"
        assert f'href="{pdf}"' in row
    pdf_response = client.get(pdf)
    assert pdf_response.status_code == 200
    assert pdf_response.data.startswith(b"%PDF-")

    # A second click the same day: nothing new is recorded, nothing more is sent.
    response = post_form(client, action, {}, token_from=page)
    assert response.status_code == 302
    run_worker()
    assert len(_letters(rows, "statement")) == 2
    assert tuple(len(m) for m in _emails(inbox)) == (1, 1)


def test_a_viewer_cannot_send_a_statement(app, book, es, create_user, rows):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    user_id = create_user(email="vera@example.com", name="Vera Gil")
    with app.app_context(), tenant_context(book.workspace_id):
        db.session.add(Member(user_id=user_id, role="viewer"))
        db.session.commit()
    client = app.test_client()
    login(client, "vera@example.com")
    page = f"/w/{book.slug}/leases/{book.lease_id}"
    html = client.get(page).get_data(as_text=True)
    assert es("Statement of account") not in html  # no letters yet, and no button
    assert es("Send a statement of account") not in html
    response = post_form(client, f"{page}/statement", {}, token_from=page)
    assert response.status_code == 403
    assert _letters(rows, "statement") == []


def test_a_lease_without_renter_explains_why_nothing_is_sent(
    app, book, message, admin_engine, rows
):
    from sqlalchemy import text

    # No lease is created without a renter; one made by hand in the database can lack them.
    with admin_engine.begin() as conn:
        conn.execute(
            text("DELETE FROM lease_parties WHERE lease_id = :id AND role = 'renter'"),
            {"id": book.lease_id},
        )
    client = app.test_client()
    login(client)
    page = f"/w/{book.slug}/leases/{book.lease_id}"
    response = post_form(client, f"{page}/statement", {}, token_from=page)
    assert response.status_code == 422
    assert message("lease_without_renter") in response.get_data(as_text=True)
    assert _letters(rows, "statement") == []
