"""The law firm's inbox pages: the list with its count in the menu and on the dashboard, the
offer with its conflict-of-interest check, the working file, and the audit log of every view
and download."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import csrf_token
from tests.escalations import inbox_helpers
from tests.escalations.inbox_helpers import RENTER, escalate

# The fixtures (make_case: tests/collections, also when this package's conftest has none).
inbox_world, make_case = inbox_helpers.inbox_world, inbox_helpers.make_case


def page(world, email: str = "lola@example.com", rest: str = ""):
    client = world.uno.clients[email]
    return client, f"/w/{world.uno.slug}/inbox{rest}"


def post(client, path: str, data: dict, token_from: str):
    token = csrf_token(client, token_from)
    return client.post(path, data={"csrf_token": token, **data})


def hours(app, n: int) -> str:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("es"):
        return ngettext("%(num)d hour", "%(num)d hours", n)


def accept(world):
    client, detail = page(world, rest=f"/{world.escalation_id}")
    response = post(client, f"{detail}/accept", {"accept-no_conflict": "y"}, detail)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client, detail


def test_the_inbox_lists_the_offer_and_counts_what_waits(app, inbox_world, es):
    world = inbox_world
    client, path = page(world)

    html = client.get(path).get_data(as_text=True)

    assert f'id="offer-{world.escalation_id}"' in html
    assert RENTER in html and "Pisos Ana" in html
    assert hours(app, 47) in html  # 48 hours to answer, a moment ago
    assert 'id="menu-inbox"' in html and es("Case inbox") in html
    dashboard = client.get(f"/w/{world.uno.slug}/").get_data(as_text=True)
    assert es("No escalated cases yet") not in dashboard
    assert 'id="dashboard-inbox"' in dashboard
    assert (
        es(
            "%(num)d case waits on you: an offer to answer or something new on a case.",
            num=1,
        )
        in dashboard
    )
    # The other firm sees nothing of it.
    other = world.dos.clients["dos@example.com"].get(f"/w/{world.dos.slug}/inbox")
    assert RENTER not in other.get_data(as_text=True)


def test_the_offer_shows_the_parties_for_the_conflict_check_and_needs_the_tick(
    inbox_world, es, message, rows
):
    world = inbox_world
    client, detail = page(world, rest=f"/{world.escalation_id}")

    html = client.get(detail).get_data(as_text=True)
    assert 'id="accept-form"' in html and 'id="decline-form"' in html
    assert "12345678Z" in html and RENTER in html and "Pisos Ana" in html

    refused = post(client, f"{detail}/accept", {}, detail)
    assert refused.status_code == 422
    assert message("no_conflict_required") in refused.get_data(as_text=True)
    assert rows("SELECT status FROM escalations") == [{"status": "offered"}]

    accept(world)
    lola = world.user("lola@example.com")
    assert rows("SELECT status, accepted_by_id FROM escalations") == [
        {"status": "accepted", "accepted_by_id": lola.id}
    ]
    html = client.get(detail).get_data(as_text=True)
    assert 'id="status-form"' in html and 'id="accept-form"' not in html
    assert 'id="dossier-pending"' in html  # the dossier job has not run yet


def test_declining_needs_a_reason_and_the_case_leaves_the_inbox(inbox_world, message):
    world = inbox_world
    client, detail = page(world, rest=f"/{world.escalation_id}")

    refused = post(client, f"{detail}/decline", {"decline-reason": ""}, detail)
    assert refused.status_code == 422
    assert world.escalation().firm_id == world.uno.id

    done = post(client, f"{detail}/decline", {"decline-reason": "Conflicto"}, detail)
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert client.get(detail).status_code == 404
    dos = world.dos.clients["dos@example.com"]
    assert dos.get(f"/w/{world.dos.slug}/inbox/{world.escalation_id}").status_code == 200


def test_filing_without_a_court_or_number_is_refused_on_the_page(inbox_world, message, rows):
    world = inbox_world
    client, detail = accept(world)
    before = rows("SELECT count(*) AS n FROM escalation_events")

    refused = post(
        client,
        f"{detail}/status",
        {"status-status": "monitorio_filed", "status-procedure_number": "12/2026"},
        detail,
    )

    assert refused.status_code == 422
    assert message("filing_details_required") in refused.get_data(as_text=True)
    assert rows("SELECT status, procedure_number FROM escalations") == [
        {"status": "accepted", "procedure_number": ""}
    ]
    assert rows("SELECT count(*) AS n FROM escalation_events") == before

    from tenants.clock import today_in_spain

    filed = post(
        client,
        f"{detail}/status",
        {
            "status-status": "monitorio_filed",
            "status-court": "Juzgado de Primera Instancia n.º 5 de Madrid",
            "status-procedure_number": "12/2026",
            "status-filed_on": today_in_spain().isoformat(),
        },
        detail,
    )
    assert filed.status_code == 302
    html = client.get(detail).get_data(as_text=True)
    assert "12/2026" in html and "Juzgado de Primera Instancia n.º 5 de Madrid" in html


def test_an_eviction_is_filed_as_a_claim(app, inbox_world, make_case, es):
    world = inbox_world
    other = make_case(world.creditor_id, renter="Lucía Gil Prado", tax_id="00000001R")
    lola = world.user("lola@example.com")
    eviction = escalate(
        app,
        world.creditor_id,
        other.case_id,
        world.uno.id,
        case_type="eviction",
        accepted_by=lola.id,
    )
    client, detail = page(world, rest=f"/{eviction}")
    html = client.get(detail).get_data(as_text=True)
    assert es("Claim filed") in html and es("Monitorio filed") not in html


def test_the_outcome_records_the_fee_on_the_terms(inbox_world, money, rows):
    from tenants.clock import today_in_spain

    world = inbox_world
    client, detail = accept(world)
    html = client.get(detail).get_data(as_text=True)
    assert money("150.00") in html  # the fee if the whole claim is recovered (flat only)

    done = post(
        client,
        f"{detail}/outcome",
        {
            "outcome-status": "recovered",
            "outcome-recovered_amount": "1.700,00",
            "outcome-outcome_on": today_in_spain().isoformat(),
        },
        detail,
    )

    assert done.status_code == 302, done.get_data(as_text=True)[:800]
    [row] = rows("SELECT status, recovered_amount, fee_amount FROM escalations")
    assert row["status"] == "recovered"
    assert (str(row["recovered_amount"]), str(row["fee_amount"])) == ("1700.00", "150.00")
    html = client.get(detail).get_data(as_text=True)
    assert 'id="outcome"' in html and money("1700.00") in html
    assert 'id="status-form"' not in html  # closed: nothing more to move


def test_a_request_and_a_deadline_from_the_page(inbox_world, rows):
    from tenants.clock import today_in_spain

    world = inbox_world
    client, detail = accept(world)
    due = (today_in_spain() + timedelta(days=10)).isoformat()

    asked = post(
        client,
        f"{detail}/requests",
        {"request-text": "El contrato de arrendamiento firmado", "request-due_on": due},
        detail,
    )
    added = post(
        client,
        f"{detail}/deadlines",
        {"deadline-label": "Vista oral", "deadline-due_on": due},
        detail,
    )

    assert asked.status_code == added.status_code == 302
    html = client.get(detail).get_data(as_text=True)
    assert "El contrato de arrendamiento firmado" in html and "Vista oral" in html
    [hearing] = rows("SELECT id FROM escalation_deadlines WHERE label = 'Vista oral'")
    done = post(client, f"{detail}/deadlines/{hearing['id']}/done", {}, detail)
    assert done.status_code == 302
    assert rows("SELECT done_at IS NOT NULL AS done FROM escalation_deadlines ORDER BY id") == [
        {"done": False},
        {"done": True},
    ]


def test_every_view_and_download_is_in_the_audit_log(app, inbox_world, rows):
    from tenants import db
    from tenants.models import Escalation, EscalationDocument
    from tenants.storage import DocumentStore

    world = inbox_world
    client, detail = accept(world)  # the page was opened once to accept
    store = DocumentStore(app.config["DOCUMENTS_DIR"])
    with app.app_context():
        files = {
            "pdf": store.put(b"%PDF-1.7 dossier"),
            "zip": store.put(b"PK\x03\x04 dossier"),
            "petition": store.put(b"%PDF-1.7 petition"),
            "lease": store.put(b"%PDF-1.7 lease"),
        }

    def ready():
        escalation = db.session.get(Escalation, world.escalation_id)
        escalation.dossier_state = "ready"
        escalation.dossier_pdf_sha256 = files["pdf"]
        escalation.dossier_zip_sha256 = files["zip"]
        escalation.petition_sha256 = files["petition"]
        document = EscalationDocument(
            escalation_id=escalation.id,
            side="creditor",
            filename="contrato.pdf",
            content_type="application/pdf",
            size=14,
            sha256=files["lease"],
        )
        db.session.add(document)
        db.session.flush()
        return document.id

    document_id = world.run(world.creditor_id, ready)

    html = client.get(detail).get_data(as_text=True)
    assert 'id="download-dossier"' in html and "contrato.pdf" in html
    downloads = {
        "dossier.pdf": b"%PDF-1.7 dossier",
        "dossier.zip": b"PK\x03\x04 dossier",
        "petition.pdf": b"%PDF-1.7 petition",
        f"documents/{document_id}": b"%PDF-1.7 lease",
    }
    for rest, content in downloads.items():
        response = client.get(f"{detail}/{rest}")
        assert response.status_code == 200 and response.data == content, rest
        assert response.headers["Content-Disposition"].startswith("attachment")

    lola = world.user("lola@example.com")
    log = rows(
        "SELECT tenant_id, firm_id, user_id, action, detail FROM escalation_access ORDER BY id"
    )
    assert {(r["tenant_id"], r["firm_id"], r["user_id"]) for r in log} == {
        (world.creditor_id, world.uno.id, lola.id)
    }
    assert [r["action"] for r in log] == [
        "viewed",  # before accepting
        "viewed",
        "downloaded_dossier",
        "downloaded_zip",
        "downloaded_petition",
        "downloaded_document",
    ]
    assert log[-1]["detail"] == "contrato.pdf"


def test_the_firm_adds_files_and_a_non_document_is_refused(inbox_world, rows, message):
    import io

    world = inbox_world
    client, detail = accept(world)
    token = csrf_token(client, detail)

    refused = client.post(
        f"{detail}/documents",
        data={"csrf_token": token, "upload-files": (io.BytesIO(b"MZ not a pdf"), "virus.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert message("attachment_not_document", name="virus.exe") in refused.get_data(as_text=True)
    assert rows("SELECT count(*) AS n FROM escalation_documents") == [{"n": 0}]

    added = client.post(
        f"{detail}/documents",
        data={"csrf_token": token, "upload-files": (io.BytesIO(b"%PDF-1.7 auto"), "auto.pdf")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 302
    [document] = rows("SELECT id, side, filename, tenant_id FROM escalation_documents")
    assert (document["side"], document["filename"], document["tenant_id"]) == (
        "firm",
        "auto.pdf",
        world.creditor_id,
    )
    assert client.get(f"{detail}/documents/{document['id']}").data == b"%PDF-1.7 auto"
