"""The emails of an escalation (jobs/escalations.py), through the real worker and SMTP server:
each line tells the side it concerns, in the recipient's language, once, with a link to the
case page (creditor) or to the firm's inbox (firm); the firm is told no more than its offer
shows."""

from __future__ import annotations

import pytest


@pytest.fixture
def escalated(app, creditor, law_firm, escalatable_case, run_worker, inbox):
    """Rosa's case escalated to Bufete Álvarez (a partner in Spanish, a lawyer in English),
    the offer's emails already delivered and cleared."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.escalations import escalate

    firm = law_firm("Bufete Álvarez", lawyers=1)
    data = escalatable_case(creditor.id)
    with app.app_context():
        lawyer = db.session.query(User).filter_by(email=firm.lawyer_emails[0]).one()
        lawyer.language = "en"
        db.session.commit()
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
        escalation_id = escalation.id
    run_worker()
    assert len(inbox.messages) == 2  # the offer, to the partner and the lawyer
    inbox.messages.clear()
    return data, firm, escalation_id


def test_a_payment_after_escalation_is_emailed_to_the_firm_in_each_ones_language(
    app, creditor, escalated, run_worker, inbox
):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.receivables import payments

    data, firm, escalation_id = escalated
    with app.app_context(), tenant_context(creditor.id):
        payments.record_payment(
            lease_id=data.lease_id, received_on=today_in_spain(), amount="300", reference="T"
        )
        db.session.commit()
    run_worker()
    [spanish] = inbox.to(firm.partner_email)
    assert spanish["Subject"] == "Un pago en el caso de Javier Martín Ruiz"
    body = inbox.body(spanish)
    assert "Javier Martín Ruiz pagó 300,00\xa0€ (transferencia bancaria)" in body
    assert "Aún se debe: 1.400,00\xa0€." in body
    assert inbox.link(firm.partner_email, "/inbox/").endswith(
        f"/w/{firm.slug}/inbox/{escalation_id}"
    )
    [english] = inbox.to(firm.lawyer_emails[0])
    assert english["Subject"] == "A payment in the case of Javier Martín Ruiz"
    assert "paid €300.00 (bank transfer) after the case was escalated" in inbox.body(english)
    assert inbox.to("rosa@example.com") == []  # the creditor booked it: nobody tells her


def test_the_firms_acceptance_is_emailed_to_the_creditor_once(
    app, creditor, escalated, run_worker, inbox, rows
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.escalations import inbox as firm_inbox

    data, firm, escalation_id = escalated
    with app.app_context(), tenant_context(firm.id):
        partner = db.session.query(User).filter_by(email=firm.partner_email).one()
        firm_inbox.accept(escalation_id, actor=partner, no_conflict=True)
        db.session.commit()
    run_worker()
    [email] = inbox.to("rosa@example.com")
    assert email["Subject"] == "Bufete Álvarez aceptó el caso de Javier Martín Ruiz"
    assert inbox.link("rosa@example.com", "/cases/").endswith(
        f"/w/{creditor.slug}/cases/{data.case_id}#escalation"
    )
    assert inbox.to(firm.partner_email) == []  # the firm did it
    # The job again (RQ runs a job at least once): no second email.
    from jobs.enqueue import enqueue_now
    from jobs.escalations import escalation_email

    [event] = rows("SELECT id FROM escalation_events WHERE kind = 'accepted'")
    with app.app_context():
        enqueue_now(escalation_email, creditor.id, escalation_id, event["id"])
    run_worker()
    assert len(inbox.to("rosa@example.com")) == 1
    assert len(rows("SELECT id FROM emails WHERE \"to\" = 'rosa@example.com'")) == 1


def test_a_creditors_message_tells_the_firm_without_its_text(
    app, creditor, escalated, run_worker, inbox
):
    """The thread is read in the inbox (which logs who read it), never in an email."""
    data, firm, _escalation_id = escalated
    response = creditor.post(
        f"/cases/{data.case_id}/escalation/messages",
        {"message-text": "El inquilino ofrece pagar la mitad en efectivo."},
        page=f"/cases/{data.case_id}",
    )
    assert response.status_code == 302
    run_worker()
    [email] = inbox.to(firm.partner_email)
    assert email["Subject"] == "Pisos Rosa le escribe sobre el caso de Javier Martín Ruiz"
    assert "en efectivo" not in inbox.body(email)
