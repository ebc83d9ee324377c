"""The demo law firm has escalations in several statuses (issue 14, point 7), made through the
services on the days they happened (web/demo_escalations.py): one offered yesterday and waiting
for its answer, one accepted after another firm declined it, one with the firm's demand sent
and a request for documents the business has not answered, one recovered with the fee from the
terms. The lawyer (password and TOTP) opens each of them and downloads its signed dossier; the
business sees the firm and the status on each escalated case. Seeding again adds nothing.

The demo is seeded at a fixed day, far from the real clock (tests/web/test_demo_history.py).
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import login
from tests.web.test_demo_portal import _walk

TODAY = date(2025, 11, 20)
PASSWORD = "amparo-demo"
FIRM = "demo-lawfirm"
LAWYER = "lawyer@demo.amparo.test"
OWNER = "business@demo.amparo.test"


def seed(app):
    from tenants import db
    from web.demo import seed_demo

    with app.app_context():
        list(seed_demo(PASSWORD, today=TODAY))
        db.session.commit()


def counts(app) -> dict[str, int]:
    """Rows of every table the escalations write, and of the cases and letters, across the
    demo's workspaces."""
    from tenants import db
    from tenants.db import across_tenants
    from tenants.models import Case, CaseEvent, Charge, Letter, Party, Payment
    from tenants.models.escalations import (
        Escalation,
        EscalationDeadline,
        EscalationDocument,
        EscalationEvent,
        EscalationMessage,
        EscalationOffer,
        LawFirm,
    )

    models = (
        Escalation,
        EscalationOffer,
        EscalationEvent,
        EscalationMessage,
        EscalationDocument,
        EscalationDeadline,
        LawFirm,
        Case,
        CaseEvent,
        Letter,
        Charge,
        Party,
        Payment,
    )
    with app.app_context(), across_tenants("test: the demo's rows"):
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models
        }


def spanish(app, text) -> str:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("es"):
        return str(text)


def demo_escalations(app):
    """{debtor: (escalation id, status, creditor's case id, fee, recovered)} of the demo law
    firm's escalations, and the ids of those it no longer has (declined by another firm)."""
    from tenants import db
    from tenants.db import across_tenants
    from tenants.models.escalations import Escalation
    from tenants.services.platform import workspaces as ws_service

    with app.app_context(), across_tenants("test: the demo's escalations"):
        firm = ws_service.workspace_by_slug(FIRM)
        mine, others = {}, []
        for e in db.session.scalars(select(Escalation).order_by(Escalation.id)):
            if e.firm_id == firm.id and e.status != "withdrawn":
                mine[e.case.party.name] = (
                    e.id,
                    e.status,
                    e.case_id,
                    e.fee_amount,
                    e.recovered_amount,
                    e.dossier_state,
                    e.created_at,
                )
            else:
                others.append(e.id)
        return mine, others


def test_the_demo_law_firm_has_escalations_in_several_statuses(app, make_client):
    from web.labels import ESCALATION_STATUS_LABELS

    seed(app)
    first = counts(app)
    seed(app)  # again, the same day: nothing is added
    assert counts(app) == first
    assert first["escalations"] == 5  # four with the demo firm, one declined by the other

    mine, others = demo_escalations(app)
    statuses = {debtor: row[1] for debtor, row in mine.items()}
    assert statuses == {
        "Suministros Hosteleros Castilla S.L.": "recovered",
        "Eventos Sierra Norte S.L.": "monitorio_filed",
        "Mudanzas Tajo S.L.": "demand_sent",
        "Decoración Retiro S.L.": "offered",
    }
    # Escalated on the days they happened, the newest yesterday; every dossier built.
    from tenants.clock import date_in_spain

    days = {debtor: date_in_spain(row[6]) for debtor, row in mine.items()}
    assert days["Decoración Retiro S.L."] == TODAY - timedelta(days=1)
    assert days["Suministros Hosteleros Castilla S.L."] == TODAY - timedelta(days=30)
    assert {row[5] for row in mine.values()} == {"ready"}
    # The fee on the terms the business accepted: 150 € + 10 % of what was recovered.
    _id, _status, _case, fee, recovered, _dossier, _at = mine[
        "Suministros Hosteleros Castilla S.L."
    ]
    assert recovered > 0
    assert fee == (Decimal("150.00") + recovered * Decimal("0.10")).quantize(Decimal("0.01"))

    lawyer = make_client()
    login(lawyer, email=LAWYER, password=PASSWORD)
    page = lawyer.get(f"/w/{FIRM}/inbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    offers = html[html.index('id="offers"') : html.index('id="firm-cases"')]
    in_progress = html[html.index('id="firm-cases"') :]
    assert "Decoración Retiro S.L." in offers
    assert offers.count('class="offer-row"') == 1
    for debtor in ("Mudanzas Tajo S.L.", "Eventos Sierra Norte S.L."):
        assert debtor in in_progress
        escalation_id, status = mine[debtor][:2]
        row = in_progress[in_progress.index(f'id="escalation-{escalation_id}"') :]
        row = row[: row.index("</tr>")]
        assert spanish(app, ESCALATION_STATUS_LABELS[status]) in row, (debtor, row)
    assert "Suministros Hosteleros Castilla S.L." not in in_progress
    closed = lawyer.get(f"/w/{FIRM}/inbox?show=closed").get_data(as_text=True)
    assert "Suministros Hosteleros Castilla S.L." in closed
    assert spanish(app, ESCALATION_STATUS_LABELS["recovered"]) in closed

    for debtor, (escalation_id, *_rest) in mine.items():
        response = lawyer.get(f"/w/{FIRM}/inbox/{escalation_id}")
        assert response.status_code == 200, debtor
        assert debtor in response.get_data(as_text=True)
        dossier = lawyer.get(f"/w/{FIRM}/inbox/{escalation_id}/dossier.pdf")
        assert dossier.status_code == 200, debtor
        assert dossier.data.startswith(b"%PDF"), debtor
    for escalation_id in others:  # declined by the other firm, withdrawn: not the firm's
        assert lawyer.get(f"/w/{FIRM}/inbox/{escalation_id}").status_code == 404
    # Every page the lawyer reaches by links answers (the demo's other users: test_demo_portal).
    visited, failures = _walk(lawyer, FIRM)
    assert failures == [], failures
    assert visited >= 8, visited

    owner = make_client()
    login(owner, email=OWNER, password=PASSWORD)
    for debtor, (_id, status, case_id, *_rest) in mine.items():
        response = owner.get(f"/w/demo-business/cases/{case_id}")
        assert response.status_code == 200, debtor
        html = response.get_data(as_text=True)
        firm_cell = html[html.index('id="escalation-firm"') :]
        assert "Bufete Demo Abogados" in firm_cell[: firm_cell.index("</dd>")], debtor
        status_cell = html[html.index('id="escalation-status"') :]
        assert spanish(app, ESCALATION_STATUS_LABELS[status]) in status_cell[:200], debtor
    # The firm's request for documents waits for the business's upload.
    html = owner.get(f"/w/demo-business/cases/{mine['Mudanzas Tajo S.L.'][2]}").get_data(
        as_text=True
    )
    assert "El albarán de entrega firmado por el cliente" in html
    # The filed one: the court and the procedure number, the business's upload that answered
    # the firm's request.
    filed = owner.get(f"/w/demo-business/cases/{mine['Eventos Sierra Norte S.L.'][2]}")
    html = filed.get_data(as_text=True)
    assert "Juzgado de Primera Instancia n.º 12 de Madrid" in html
    assert "Monitorio 1234/2025" in html
    assert "pedido-firmado.pdf" in html

    check_the_cases_are_stopped(app)


def check_the_cases_are_stopped(app):
    """The ladder stops on each case the business escalated (held with the reason
    "escalation"); the recovered one was paid in full, so it closed as paid."""
    from tenants import db
    from tenants.db import across_tenants
    from tenants.models.escalations import Escalation

    with app.app_context(), across_tenants("test: the demo's escalations"):
        held = {}
        for e in db.session.scalars(select(Escalation)):
            if e.is_open:
                held[e.case.party.name] = (e.case.status, e.case.pause_reason)
            elif e.status == "recovered":
                assert (e.case.status, e.case.closed_reason) == ("closed", "paid")
        assert len(held) == 3
        for debtor, state in held.items():
            assert state == ("paused", "escalation"), debtor
