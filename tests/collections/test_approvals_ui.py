"""The approval queue: each letter waiting with its preview (the PDF inline), approve, skip,
note, approve several at once; a viewer only reads."""

from __future__ import annotations

import re

import pytest

from tests.collections.conftest import RENDER_WARNING, RENTER, pdf_text
from tests.web.conftest import browser, live_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)


def test_the_queue_shows_each_letter_with_its_preview(landlord, make_case, make_letter, es, money):
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id, text="Requerimiento de pago a Javier")
    html = landlord.page("/cases/approvals")
    [card] = re.findall(rf'<article[^>]*id="letter-{letter_id}".*?</article>', html, re.S)
    assert RENTER in card
    assert es("Formal demand") in card and es("Email") in card
    assert money("1740") in card
    pdf_url = landlord.path(f"/cases/letters/{letter_id}/pdf")
    assert f'<iframe class="letter-preview w-100 border mt-2" src="{pdf_url}"' in card
    # The menu counts it.
    assert re.search(r'id="menu-approvals">[^<]*<span class="badge[^"]*">1</span>', html)

    response = landlord.client.get(pdf_url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "Requerimiento de pago a Javier" in pdf_text(response.data)


def test_approving_a_letter_sends_it_on_its_way(landlord, make_case, make_letter, es, row_of):
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id)
    page = "/cases/approvals"
    response = landlord.post(f"/cases/letters/{letter_id}/approve", {"note": "Revisada"}, page=page)
    assert response.status_code == 302
    letter = row_of("letters", letter_id)
    assert letter["status"] == "sending" and letter["approved_at"] is not None
    assert es("No letter is waiting for your approval.") in landlord.page(page)
    assert "timeline-letter_approved" in landlord.page(f"/cases/{data.case_id}")


def test_skipping_and_noting_a_letter(landlord, make_case, make_letter, es, message, row_of):
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id)
    page = "/cases/approvals"
    landlord.post(f"/cases/letters/{letter_id}/note", {"note": "Llamar antes"}, page=page)
    assert row_of("letters", letter_id)["note"] == "Llamar antes"
    assert "Llamar antes" in landlord.page(page)

    landlord.post(f"/cases/letters/{letter_id}/skip", {"note": "Ya pagará"}, page=page)
    assert row_of("letters", letter_id)["status"] == "skipped"
    # Approving it now says why nothing happens, with no error page.
    response = landlord.post(f"/cases/letters/{letter_id}/approve", {}, page=page)
    assert response.status_code == 302
    assert message("letter_not_waiting") in landlord.page(page)
    html = landlord.page(f"/cases/{data.case_id}")
    assert es("Skipped") in html


def test_an_empty_note_is_refused_with_a_message(landlord, make_case, make_letter, message):
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id)
    page = "/cases/approvals"
    response = landlord.post(f"/cases/letters/{letter_id}/note", {"note": " "}, page=page)
    assert response.status_code == 302
    assert message("required") in landlord.page(page)


def test_several_letters_are_approved_at_once(landlord, make_case, make_letter, message, row_of):
    first = make_case(landlord.id)
    second = make_case(landlord.id, renter="Lucía Gil", tax_id="87654321X")
    ids = [make_letter(landlord.id, c.case_id) for c in (first, second)]
    page = "/cases/approvals"
    response = landlord.post("/cases/approvals/approve", {}, page=page)
    assert message("nothing_selected") in landlord.page(page)
    response = landlord.post("/cases/approvals/approve", {"letter_ids": ids}, page=page)
    assert response.status_code == 302
    assert [row_of("letters", i)["status"] for i in ids] == ["sending", "sending"]


def test_a_viewer_cannot_approve(landlord, viewer, make_case, make_letter, es, row_of):
    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id)
    page = "/cases/approvals"
    html = viewer.get(landlord.path(page)).get_data(as_text=True)
    assert RENTER in html and es("Approve") not in html
    response = landlord.post(f"/cases/letters/{letter_id}/approve", {}, page=page, client=viewer)
    assert response.status_code == 403
    assert row_of("letters", letter_id)["status"] == "awaiting_approval"


def test_another_workspaces_letter_is_not_found(landlord, two_tenants, make_case, make_letter):
    _a, b = two_tenants
    theirs = make_letter(b.id, make_case(b.id).case_id)
    assert landlord.get(f"/cases/letters/{theirs}/pdf").status_code == 404
    response = landlord.post(f"/cases/letters/{theirs}/approve", {}, page="/cases/approvals")
    assert response.status_code == 404


def test_the_queue_costs_the_same_reads_for_one_letter_or_three(
    app, landlord, make_case, make_letter
):
    """The guarantors' copies of every waiting letter come in one query, not one per letter."""
    from sqlalchemy import event

    from tenants import db

    def reads_for_page() -> int:
        with app.app_context():
            engine = db.session.get_bind()
        statements = []

        def on_execute(_conn, _cursor, statement, _params, _context, _many):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            landlord.page("/cases/approvals")
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        return len(statements)

    first = make_case(landlord.id)
    make_letter(landlord.id, first.case_id)
    one = reads_for_page()
    for renter, tax_id in (("Lucía Gil", "87654321X"), ("Pablo Ruiz", "11111111H")):
        data = make_case(landlord.id, renter=renter, tax_id=tax_id)
        make_letter(landlord.id, data.case_id)
    assert reads_for_page() == one


def test_a_letter_approved_while_redis_is_down_answers_success_and_is_sent_when_it_returns(
    app,
    landlord,
    make_case,
    make_letter,
    row_of,
    rows,
    admin_engine,
    inbox,
    run_worker,
    es,
    monkeypatch,
):
    """Issue 10.4: the approval is committed with its outbox row; the enqueue after the commit
    fails quietly and cron's re-drive sends the letter once Redis answers again."""
    from redis import Redis
    from sqlalchemy import text

    from jobs import runtime
    from jobs.maintenance import redrive_outbox
    from tests.conftest import _free_port

    data = make_case(landlord.id)
    letter_id = make_letter(landlord.id, data.case_id)
    dead = Redis(port=_free_port(), socket_connect_timeout=1, socket_timeout=1)
    with monkeypatch.context() as outage:
        outage.setitem(app.extensions, "amparo_redis", dead)
        response = landlord.post(
            f"/cases/letters/{letter_id}/approve", {"note": ""}, page="/cases/approvals"
        )
        assert response.status_code == 302  # not the 500 "nothing was changed" of before
        page = landlord.client.get(response.headers["Location"]).get_data(as_text=True)
    assert es("No letter is waiting for your approval.") in page
    assert row_of("letters", letter_id)["status"] == "sending"
    assert inbox.to("javier@example.com") == []

    # Redis is back; cron re-drives what was not done within OUTBOX_REDRIVE_AFTER.
    with admin_engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET created_at = created_at - interval '1 hour'"))
    monkeypatch.setattr(runtime, "_bound_app", app)
    with app.app_context():
        assert redrive_outbox() >= 1
    run_worker()

    assert row_of("letters", letter_id)["status"] == "sent"
    assert len(inbox.to("javier@example.com")) == 1
    assert rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL")[0]["n"] == 0


TAX_IDS = ("12345678Z", "87654321X", "11111111H", "22222222J")


def test_only_the_first_preview_loads_with_the_queue_and_the_others_when_opened(
    landlord,
    make_case,
    make_letter,
    live_server,  # noqa: F811
    browser,  # noqa: F811
):
    """Issue 11.14: a queue of 29 embedded PDFs took 12-20 s to load."""
    from tests.conftest import PASSWORD

    letters = []
    for n, tax_id in enumerate(TAX_IDS):
        case = make_case(landlord.id, renter=f"Inquilino {n}", tax_id=tax_id)
        letters.append(make_letter(landlord.id, case.case_id))
    html = landlord.page("/cases/approvals")
    assert html.count('class="letter-preview w-100 border mt-2" src=') == 1
    assert html.count('class="letter-preview w-100 border mt-2" data-src=') == len(TAX_IDS) - 1

    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith("/pdf") else None)
    page.goto("/login")
    page.locator("#email").fill("rosa@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/w/**")
    page.goto(landlord.path("/cases/approvals"))
    page.wait_for_load_state("networkidle")
    # Chromium's PDF viewer may ask for a PDF twice: what counts is which letters were fetched.
    assert set(fetched) == {live_server.url + landlord.path(f"/cases/letters/{letters[0]}/pdf")}

    third = page.locator(f"#letter-{letters[2]} details.letter-preview-toggle")
    with page.expect_request(lambda r: r.url.endswith(f"/letters/{letters[2]}/pdf")):
        third.locator("summary").click()
    assert len(set(fetched)) == 2
    context.close()
