"""portal.payments.pay_case: one sum paid online spread over a business debtor's invoices
oldest first, through the invoice payment service, the case told once; what exceeds them
(the interest a demand claims) kept as the client's credit; and taken back when refunded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def test_one_sum_pays_the_invoices_oldest_first_and_closes_the_case_once(
    app, create_workspace, rows
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Payment
    from tenants.services.collections import cases
    from tenants.services.portal.payments import pay_case, reopen_cases, take_back_payments
    from tenants.services.receivables import invoices
    from tenants.services.rentals import parties

    workspace_id, _slug = create_workspace(
        name="Comercial Rosa", kind="business", owner_email="rosa@example.com"
    )
    today = today_in_spain()
    with app.app_context(), tenant_context(workspace_id):
        client = parties.create_party(name="Talleres Sur S.L.", tax_id="B12345674")
        for number, due, total in (
            ("F-2", date(2025, 2, 28), "200"),
            ("F-1", date(2025, 1, 31), "121"),
        ):
            invoices.create_invoice(
                invoices.InvoiceInput(
                    party_id=client.id,
                    number=number,
                    issue_date=date(2025, 1, 1),
                    due_date=due,
                    total=total,
                )
            )
        [case_id] = cases.take_in_overdue(today, "business")
        made = pay_case(
            case_id, Decimal("400.00"), received_on=today, method="card", reference="Stripe pi_1"
        )
        db.session.commit()
        assert [(p.amount, p.source) for p in made] == [
            (Decimal("121.00"), "stripe"),  # F-1, the oldest
            (Decimal("200.00"), "stripe"),
            (Decimal("79.00"), "stripe"),  # the rest: the client's credit
        ]
        assert made[-1].allocations == [] and made[-1].party_id == client.id
        payment_ids = [p.id for p in made]

    kinds = [r["kind"] for r in rows("SELECT kind FROM case_events ORDER BY id")]
    assert "partial_payment" not in kinds  # told once, after the whole sum
    assert kinds[-2:] == ["payment", "closed"]

    with app.app_context(), tenant_context(workspace_id):
        booked = [db.session.get(Payment, i) for i in payment_ids]
        owed_again = take_back_payments(booked, Decimal("150.00"))  # credit first, then F-2
        reopen_cases(owed_again, today)
        db.session.commit()
    [f2] = rows("SELECT paid, case_id FROM charges WHERE number = 'F-2'")
    assert f2["paid"] == Decimal("129.00")
    [case] = rows("SELECT status, cycle FROM cases")
    assert (case["status"], case["cycle"]) == ("open", 2)
    assert sum(r["amount"] for r in rows("SELECT amount FROM payments")) == Decimal("250.00")
