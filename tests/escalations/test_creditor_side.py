"""The creditor's side of an escalation (issue 14 point 5): payments that arrive afterwards reach
the escalation's timeline and the firm while the ladder stays stopped; the creditor answers the
firm's requests by upload, reads the thread and the audit log of the firm's views and
downloads, and opening the case clears what was flagged for them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest


@pytest.fixture
def escalated(app, creditor, law_firm, escalatable_case):
    """Rosa's rent case escalated as an eviction to Bufete Álvarez, through the service."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.escalations import escalate

    firm = law_firm("Bufete Álvarez", lawyers=1)
    data = escalatable_case(creditor.id)
    with app.app_context(), tenant_context(creditor.id):
        rosa = db.session.query(User).filter_by(email="rosa@example.com").one()
        escalation = escalate.escalate(
            data.case_id,
            case_type="eviction",
            firm_id=firm.id,
            accept_terms=True,
            actor=rosa,
            today=today_in_spain(),
        )
        db.session.commit()
        return data, firm, escalation.id


def payment_lines(rows) -> list[dict]:
    return [
        r["detail"]
        for r in rows("SELECT detail FROM escalation_events WHERE kind = 'payment' ORDER BY id")
    ]


def test_a_payment_by_hand_after_escalation_reaches_the_firm(
    app, creditor, escalated, rows, es, money
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.receivables import payments

    data, _firm, _escalation_id = escalated
    with app.app_context(), tenant_context(creditor.id):
        payments.record_payment(
            lease_id=data.lease_id,
            received_on=today_in_spain(),
            amount="300",
            reference="Transferencia parcial",
        )
        db.session.commit()
    [line] = payment_lines(rows)
    assert Decimal(line["amount"]) == Decimal("300.00")
    assert line["method"] == "transfer"
    assert Decimal(line["balance"]) == Decimal("1400.00")
    assert line["tell"] == ["firm"]
    assert rows("SELECT firm_attention_at FROM escalations")[0]["firm_attention_at"] is not None
    # The ladder stays stopped: the case is still held by the escalation, nothing scheduled.
    assert rows("SELECT status, pause_reason, next_action_at FROM cases") == [
        {"status": "paused", "pause_reason": "escalation", "next_action_at": None}
    ]
    page = creditor.page(f"/cases/{data.case_id}")
    assert money("300") in page and es("bank transfer") in page
    # The case's own timeline names each step of the escalation.
    offered = es("Offered to %(firm)s for 48 hours.", firm="Bufete Álvarez")
    assert es("Lawyer: %(text)s", text=offered) in page


def test_a_card_payment_on_the_portal_after_escalation_reaches_the_firm(
    app, creditor, escalated, rows
):
    """The portal's card payment books through tenants/services/portal/payments.py: paid in
    full, the case closes as paid, and the escalation stays open for the firm's outcome."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.portal import payments

    data, _firm, _escalation_id = escalated
    with app.app_context(), tenant_context(creditor.id):
        payments.pay_case(
            data.case_id,
            Decimal("1700.00"),
            received_on=today_in_spain(),
            method="card",
            reference="pi_test",
        )
        db.session.commit()
    [line] = payment_lines(rows)
    assert (Decimal(line["amount"]), line["method"]) == (Decimal("1700.00"), "card")
    assert Decimal(line["balance"]) == Decimal("0.00")
    assert rows("SELECT status, closed_reason FROM cases") == [
        {"status": "closed", "closed_reason": "paid"}
    ]
    assert rows("SELECT status FROM escalations") == [{"status": "offered"}]


def test_a_promise_or_a_dispute_does_not_restart_the_ladder(app, creditor, escalated, rows):
    """What the debtor tells on the portal is noted, but the case stays with the lawyer: a
    promise's end would otherwise wake the letters."""
    from datetime import timedelta

    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.collections import sweep
    from tenants.services.portal import telling

    data, _firm, _escalation_id = escalated
    with app.app_context(), tenant_context(creditor.id):
        telling.promise(
            data.case_id,
            until=today_in_spain() + timedelta(days=3),
            amount=None,
            note="Cobro el día 10",
            today=today_in_spain(),
        )
        db.session.commit()
        result = sweep.sweep(db.utcnow() + timedelta(days=10))
        db.session.commit()
    assert result.letters == 0
    assert rows("SELECT status, pause_reason, next_action_at FROM cases") == [
        {"status": "paused", "pause_reason": "escalation", "next_action_at": None}
    ]
    kinds = [r["kind"] for r in rows("SELECT kind FROM case_events ORDER BY id")]
    assert "promised" in kinds and "promise_broken" not in kinds


def test_the_creditor_answers_a_request_by_upload_and_sees_the_audit_log(
    app, creditor, escalated, rows, es
):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import Escalation, EscalationAccess, EscalationMessage, User

    data, firm, escalation_id = escalated
    with app.app_context(), tenant_context(creditor.id):
        partner = db.session.query(User).filter_by(email=firm.partner_email).one()
        request = EscalationMessage(
            escalation_id=escalation_id,
            side="firm",
            kind="request",
            author_id=partner.id,
            text="Envíen el contrato de arrendamiento firmado.",
        )
        db.session.add(request)
        db.session.add_all(
            [
                EscalationAccess(
                    escalation_id=escalation_id,
                    firm_id=firm.id,
                    user_id=partner.id,
                    action="viewed",
                ),
                EscalationAccess(
                    escalation_id=escalation_id,
                    firm_id=firm.id,
                    user_id=partner.id,
                    action="downloaded_dossier",
                ),
            ]
        )
        db.session.get(Escalation, escalation_id).creditor_attention_at = utcnow()
        db.session.commit()
        request_id, partner_name = request.id, partner.name
    page = creditor.page(f"/cases/{data.case_id}")
    assert "Envíen el contrato de arrendamiento firmado." in page
    assert f'id="request-upload-{request_id}"' in page
    assert page.count('class="access-row"') == 2
    assert es("downloaded the dossier (PDF)") in page
    assert f"{es(partner_name)} (Bufete Álvarez)" in page
    # Opening the page cleared what the firm flagged for the creditor.
    assert rows("SELECT creditor_attention_at FROM escalations")[0]["creditor_attention_at"] is None
    # A file that is not a PDF or an image is refused, and nothing is stored.
    path, on = f"/cases/{data.case_id}/escalation/documents", f"/cases/{data.case_id}"
    bad = {"request_id": str(request_id), "upload-file": (io.BytesIO(b"MZ\x90"), "x.exe")}
    response = creditor.post(path, bad, page=on, content_type="multipart/form-data")
    assert response.status_code == 422
    assert rows("SELECT id FROM escalation_documents") == []
    pdf = b"%PDF-1.4 contrato firmado"
    good = {"request_id": str(request_id), "upload-file": (io.BytesIO(pdf), "contrato.pdf")}
    response = creditor.post(path, good, page=on, content_type="multipart/form-data")
    assert response.status_code == 302
    [document] = rows("SELECT * FROM escalation_documents")
    assert (document["filename"], document["side"], document["request_id"]) == (
        "contrato.pdf",
        "creditor",
        request_id,
    )
    assert document["content_type"] == "application/pdf" and document["size"] == len(pdf)
    [answered] = rows("SELECT answered_at FROM escalation_messages WHERE id = :id", id=request_id)
    assert answered["answered_at"] is not None
    [event] = rows("SELECT detail FROM escalation_events WHERE kind = 'document'")
    assert event["detail"]["tell"] == ["firm"]
    download = creditor.get(f"/cases/{data.case_id}/escalation/documents/{document['id']}")
    assert download.status_code == 200 and download.data == pdf


def test_an_evictions_filing_reads_claim_filed_on_the_case_and_in_the_email(
    app, creditor, escalated, inbox, run_worker, es
):
    """The firm's page, the creditor's case and the creditor's email use one word for the
    filing of an eviction: a claim (demanda), not a monitorio (jobs/escalation_words.py)."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.escalations import inbox as firm_inbox

    data, firm, escalation_id = escalated
    with app.app_context(), tenant_context(firm.id):
        partner = db.session.query(User).filter_by(email=firm.partner_email).one()
        firm_inbox.accept(escalation_id, actor=partner, no_conflict=True)
        firm_inbox.move(
            escalation_id,
            status="monitorio_filed",
            actor=partner,
            court="Juzgado de Primera Instancia n.º 7 de Madrid",
            procedure_number="Juicio verbal 55/2026",
            filed_on=today_in_spain(),
        )
        db.session.commit()
    page = creditor.page(f"/cases/{data.case_id}")
    status = page.split('id="escalation-status">', 1)[1].split("<", 1)[0]
    assert status == es("Claim filed")
    assert "Juicio verbal 55/2026" in page
    run_worker()
    with inbox.lock:
        bodies = [m.get_body(("plain",)).get_content() for m in inbox.messages]
    filed = [
        body for body in bodies if "Juicio verbal 55/2026" in body or es("Claim filed") in body
    ]
    assert filed and all(es("Monitorio filed") not in body for body in filed)
