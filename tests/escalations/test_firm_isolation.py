"""A lawyer sees only the escalations assigned to the firm, and nothing else of the creditor:
another firm's escalation (its page, every download, every action), a declined or withdrawn
one, the creditor's other cases and the creditor's workspace pages all answer 404."""

from __future__ import annotations

from tests.conftest import csrf_token
from tests.escalations import inbox_helpers

# The fixtures (make_case: tests/collections, also when this package's conftest has none).
inbox_world, make_case = inbox_helpers.inbox_world, inbox_helpers.make_case


def firm_routes(app, slug: str, escalation_id: int, ids: dict) -> list[tuple[str, str]]:
    """(method, path) of every route of the firm's inbox that takes an escalation."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("ws.escalations.") or "escalation_id" not in rule.arguments:
            continue
        values = {"slug": slug, "escalation_id": escalation_id}
        values |= {name: ids[name] for name in rule.arguments if name in ids}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return found


def ready_files(app, world) -> dict:
    """The dossier's three files and a document of the creditor's, stored."""
    from tenants import db
    from tenants.models import Escalation, EscalationDeadline, EscalationDocument
    from tenants.storage import DocumentStore

    store = DocumentStore(app.config["DOCUMENTS_DIR"])
    with app.app_context():
        pdf = store.put(b"%PDF-1.7 the dossier")

    def ready():
        escalation = db.session.get(Escalation, world.escalation_id)
        escalation.dossier_state = "ready"
        escalation.dossier_pdf_sha256 = escalation.dossier_zip_sha256 = pdf
        escalation.petition_sha256 = pdf
        document = EscalationDocument(
            escalation_id=escalation.id,
            side="creditor",
            filename="contrato.pdf",
            content_type="application/pdf",
            size=20,
            sha256=pdf,
        )
        deadline = EscalationDeadline(
            escalation_id=escalation.id, due_on=db.utcnow().date(), label="Vista"
        )
        db.session.add_all([document, deadline])
        db.session.flush()
        return {"document_id": document.id, "deadline_id": deadline.id}

    return world.run(world.creditor_id, ready)


def test_a_lawyer_of_another_firm_gets_404_on_every_page_download_and_action(
    app, inbox_world, rows, admin_engine
):
    world = inbox_world
    lola = world.uno.clients["lola@example.com"]
    detail = f"/w/{world.uno.slug}/inbox/{world.escalation_id}"
    token = csrf_token(lola, detail)
    assert lola.post(f"{detail}/accept", data={"csrf_token": token, "accept-no_conflict": "y"})
    ids = ready_files(app, world)
    dos = world.dos.clients["dos@example.com"]
    dos_token = csrf_token(dos, f"/w/{world.dos.slug}/inbox")
    before = rows("SELECT * FROM escalations"), rows("SELECT count(*) AS n FROM escalation_access")

    routes = firm_routes(app, world.dos.slug, world.escalation_id, ids)
    assert len(routes) >= 12, routes
    for method, path in routes:
        response = dos.open(path, method=method, data={"csrf_token": dos_token})
        assert response.status_code == 404, (method, path, response.status_code)
    # Control: the firm it is assigned to opens every download.
    for method, path in firm_routes(app, world.uno.slug, world.escalation_id, ids):
        if method == "GET":
            assert lola.get(path).status_code == 200, path
    assert rows("SELECT * FROM escalations") == before[0]
    assert rows(
        "SELECT count(*) AS n FROM escalation_access WHERE firm_id = :f", f=world.dos.id
    ) == [{"n": 0}]


def test_a_declined_escalation_is_404_for_the_firm_that_declined(app, inbox_world):
    world = inbox_world
    lola = world.uno.clients["lola@example.com"]
    detail = f"/w/{world.uno.slug}/inbox/{world.escalation_id}"
    token = csrf_token(lola, detail)
    lola.post(f"{detail}/decline", data={"csrf_token": token, "decline-reason": "Conflicto"})

    ids = {"document_id": 1, "deadline_id": 1}
    for method, path in firm_routes(app, world.uno.slug, world.escalation_id, ids):
        response = lola.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path)
    assert world.escalation().firm_id == world.dos.id


def test_a_withdrawn_escalation_is_404_for_the_firm(app, inbox_world):
    from tenants import db
    from tenants.models import Escalation

    world = inbox_world
    lola = world.uno.clients["lola@example.com"]
    detail = f"/w/{world.uno.slug}/inbox/{world.escalation_id}"
    assert lola.get(detail).status_code == 200

    def withdraw():
        db.session.get(Escalation, world.escalation_id).status = "withdrawn"

    world.run(world.creditor_id, withdraw)

    assert lola.get(detail).status_code == 404
    assert f"/inbox/{world.escalation_id}" not in lola.get(
        f"/w/{world.uno.slug}/inbox?show=closed"
    ).get_data(as_text=True)


def test_a_lawyer_gets_404_on_the_creditors_cases_and_workspace_pages(app, inbox_world, make_case):
    world = inbox_world
    other = make_case(world.creditor_id, renter="Lucía Gil Prado", tax_id="00000001R")
    lola = world.uno.clients["lola@example.com"]
    assert lola.get(f"/w/{world.uno.slug}/inbox/{world.escalation_id}").status_code == 200

    creditor = f"/w/{world.creditor_slug}"
    for path in (
        f"{creditor}/",
        f"{creditor}/cases",
        f"{creditor}/cases/{world.case_id}",  # the escalated case itself: only the dossier
        f"{creditor}/cases/{other.case_id}",
        f"{creditor}/leases",
        f"{creditor}/members",
        # The creditor's ids under the firm's own workspace: a law firm has no such pages.
        f"/w/{world.uno.slug}/cases/{world.case_id}",
        f"/w/{world.uno.slug}/cases/{other.case_id}",
    ):
        assert lola.get(path).status_code == 404, path
    # The inbox of the creditor's workspace does not exist either (only law firms have one).
    assert world.ana.get(f"{creditor}/inbox").status_code == 404
    assert world.ana.get(f"{creditor}/inbox/{world.escalation_id}").status_code == 404
