"""A rate nobody verified never reaches a debtor as fact (docs/law.md#rates-as-data): a letter
whose interest uses one waits in the approval queue, even at a step that needs no approval,
with the reason on its card; once the platform admin verifies the rate at /admin/rates, the
next letter goes out as before."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.collections.conftest import RENDER_WARNING
from tests.collections.test_claims import (  # noqa: F401 - fixtures
    in_process_jobs,
    in_tenant,
    letter_row,
    rates_until_next_year,
    render,
)
from tests.conftest import login, post_form

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)


def _half_year_es(start: date) -> str:
    return f"{'1.er' if start.month == 1 else '2.º'} semestre de {start.year}"


def _demand_without_approval(app, workspace_id: int, name: str, tax_id: str, due: date) -> int:
    """A business debtor's invoice late since `due`, taken in, and its formal demand recorded
    at a step whose ladder does not ask for approval. Returns the letter's id."""

    def book():
        from tenants.clock import today_in_spain
        from tenants.services.collections import cases, letters
        from tenants.services.receivables import invoices
        from tenants.services.rentals import parties

        today = today_in_spain()
        client = parties.create_party(name=name, tax_id=tax_id, email="pagos@example.com")
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number=f"F-{tax_id[-4:]}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                total="1210.00",
            )
        )
        cases.take_in_overdue(today, "business")
        case = cases.get_case(invoices.get_invoice(invoice.id).case_id)
        step = next(s for s in case.ladder.steps if s.kind == "formal_demand")
        step.needs_approval = False
        step.channel = "email"
        case.stage = step.position
        [demand] = letters.record_step_letters(case, step, [])
        return demand.id

    return in_tenant(app, workspace_id, book)


def _unverified_late_payment_rates(admin_engine, first: date, last: date) -> list[dict]:
    from sqlalchemy import text

    with admin_engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT * FROM interest_rates WHERE kind = 'late_payment' AND NOT verified"
                    " AND valid_to >= :first AND valid_from <= :last ORDER BY valid_from"
                ),
                {"first": first, "last": last},
            )
        ]


def test_a_letter_using_an_unverified_rate_waits_until_the_admin_verifies_it(
    app,
    admin_engine,
    create_workspace,
    create_user,
    make_client,
    rates_until_next_year,  # noqa: F811
    in_process_jobs,  # noqa: F811
    rows,
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.models import User

    today = today_in_spain()
    due = today - timedelta(days=40)
    workspace_id, slug = create_workspace(
        name="Suministros Ana", kind="business", owner_email="ana@example.com"
    )
    unverified = _unverified_late_payment_rates(admin_engine, due + timedelta(days=1), today)
    assert unverified  # the seed leaves the current half-year unverified

    # 1. The demand's interest uses them: it waits, although its step needs no approval.
    first = _demand_without_approval(app, workspace_id, "Talleres Norte SL", "B12345674", due)
    render(workspace_id, first)
    letter = letter_row(rows, first)
    assert letter["status"] == "awaiting_approval"
    assert letter["needs_approval"] is False
    assert rows("SELECT count(*) AS n FROM emails")[0]["n"] == 0

    # 2. The owner sees why on its card, in Spanish.
    owner = make_client()
    login(owner, "ana@example.com")
    html = owner.get(f"/w/{slug}/cases/approvals").get_data(as_text=True)
    [card] = re.findall(rf'<article[^>]*id="letter-{first}".*?</article>', html, re.S)
    [reason] = re.findall(r'class="alert alert-warning unverified-rates"[^>]*>(.*?)</div>', card)
    reason = reason.replace("\xa0", " ")
    assert reason.startswith("El interés usa un tipo sin verificar: Ley 3/2004, ")
    current = next(r for r in unverified if r["valid_from"] <= today <= r["valid_to"])
    if current["valid_from"].day == 1 and current["valid_from"].month in (1, 7):
        expected = f"Ley 3/2004, {_half_year_es(current['valid_from'])} (10,15 %)"
        if current["valid_from"] == date(2026, 7, 1):  # the case of the brief, spelled out
            assert expected == "Ley 3/2004, 2.º semestre de 2026 (10,15 %)"
        assert expected in reason

    # 3. The platform admin gives each rate its BOE resolution and verifies it.
    root_id = create_user(email="root@example.com", name="Root")
    with app.app_context():
        db.session.get(User, root_id).is_platform_admin = True
        db.session.commit()
    admin = make_client()
    login(admin, "root@example.com")
    for number, rate in enumerate(unverified, start=1):
        if not rate["boe_reference"]:
            form = {
                "rate-rate_id": str(rate["id"]),
                "rate-kind": "late_payment",
                "rate-valid_from": rate["valid_from"].isoformat(),
                "rate-valid_to": rate["valid_to"].isoformat(),
                "rate-rate": "10,15",
                "rate-boe_reference": f"BOE-A-2026-{90000 + number}",
                "rate-source": "Resolución SGTFI",
            }
            saved = post_form(admin, "/admin/rates/interest", form, token_from="/admin/rates")
            assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
        verified = post_form(
            admin, f"/admin/rates/interest/{rate['id']}/verify", {}, token_from="/admin/rates"
        )
        assert verified.status_code == 302
    assert _unverified_late_payment_rates(admin_engine, due + timedelta(days=1), today) == []
    [row] = rows("SELECT * FROM interest_rates WHERE id = :id", id=unverified[0]["id"])
    assert row["verified_by"] == "root@example.com" and row["verified_at"] is not None

    # 4. The next letter, with only verified rates, goes out at once as before.
    second = _demand_without_approval(app, workspace_id, "Gráficas Sur SL", "B87654323", due)
    render(workspace_id, second)
    letter = letter_row(rows, second)
    assert letter["status"] == "sending"
    assert letter["context"]["interest"]["unverified_rates"] == []
    assert letter["context"]["interest"]["total"] not in (None, "0.00")
    # The first one still waits for a person: it was written with unverified rates.
    assert letter_row(rows, first)["status"] == "awaiting_approval"
