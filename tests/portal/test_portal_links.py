"""The portal link: one case only, withdrawn and replaced by the creditor, closed some time after
the case closes, and guarded against guessing. Every page is unindexed, uncached, cookie-free."""

from __future__ import annotations

from datetime import timedelta

from tests.collections.conftest import RENTER

UNKNOWN_ES = "Este enlace no es válido"
UNKNOWN_EN = "This link is not valid"


def assert_portal_headers(response) -> None:
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_the_page_is_unindexed_uncached_and_sets_no_cookie(
    app, client, landlord, make_case, token_of
):
    data = make_case(landlord.id)
    response = client.get(f"/p/{token_of(data.case_id)}")
    assert response.status_code == 200
    assert_portal_headers(response)
    html = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "csrf_token" not in html
    # A POST, accepted or refused, sets none either.
    for data_ in ({}, {"promise-until": "2000-01-01"}):
        posted = client.post(f"/p/{token_of(data.case_id)}/promise", data=data_)
        assert posted.status_code == 422
        assert_portal_headers(posted)
    assert client.get_cookie("amparo_session") is None


def test_an_unknown_or_tampered_link_shows_a_clear_page_in_both_languages(
    client, landlord, make_case, token_of
):
    data = make_case(landlord.id)
    token = token_of(data.case_id)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/p/{tampered}", "/p/not-a-real-token", "/p/" + "x" * 200, f"/p/{token}x"):
        response = client.get(path)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert UNKNOWN_ES in html and UNKNOWN_EN in html
        assert RENTER not in html
        assert_portal_headers(response)


def test_a_withdrawn_link_shows_a_page_saying_so_and_a_new_one_works(
    app,
    client,
    landlord,
    make_case,
    make_letter,
    sent_letter,
    token_of,
    rows,
    es,
    contact,
    run_worker,
):
    from tenants.storage import DocumentStore
    from tests.collections.conftest import pdf_text

    data = make_case(landlord.id)
    contact(landlord.id)
    old = token_of(data.case_id)
    sent = sent_letter(landlord.id, data.case_id)
    waiting = make_letter(landlord.id, data.case_id, kind="formal_demand")  # awaits approval
    page = f"/cases/{data.case_id}"
    assert "portal-link" in landlord.page(page)

    response = landlord.post(f"/cases/{data.case_id}/portal/revoke", {}, page=page)
    assert response.status_code == 302
    gone = client.get(f"/p/{old}")
    assert gone.status_code == 410
    html = gone.get_data(as_text=True)
    assert es("This link does not work any more") in html
    assert "cobros@pisosrosa.example" in html  # whom to ask
    assert RENTER not in html and "portal-charge" not in html
    assert_portal_headers(gone)
    assert es("The link is withdrawn: the debtor sees a page saying so.") in landlord.page(page)

    response = landlord.post(f"/cases/{data.case_id}/portal/renew", {}, page=page)
    assert response.status_code == 302
    new = token_of(data.case_id)
    assert new != old
    assert client.get(f"/p/{new}").status_code == 200
    assert client.get(f"/p/{old}").status_code == 410  # the letters already sent keep it
    [waiting_row] = rows("SELECT status, pdf_sha256 FROM letters WHERE id = :id", id=waiting)
    [sent_row] = rows("SELECT status, pdf_sha256 FROM letters WHERE id = :id", id=sent)
    # The letter not yet sent is written again, with the new link; the one sent stays as it left.
    assert waiting_row == {"status": "rendering", "pdf_sha256": None}
    assert sent_row["status"] == "sent" and sent_row["pdf_sha256"]
    # Written again, it prints the new link, and waits for approval as before.
    run_worker()
    [waiting_row] = rows("SELECT status, pdf_sha256 FROM letters WHERE id = :id", id=waiting)
    assert waiting_row["status"] == "awaiting_approval"
    store = DocumentStore(app.config["DOCUMENTS_DIR"])
    printed = pdf_text(store.get(waiting_row["pdf_sha256"])).replace(" ", "")
    assert f"/p/{new}" in printed and f"/p/{old}" not in printed


def test_a_viewer_cannot_withdraw_the_link(client, landlord, viewer, make_case, token_of):
    from tests.conftest import post_form

    data = make_case(landlord.id)
    path = landlord.path(f"/cases/{data.case_id}/portal/revoke")
    response = post_form(viewer, path, {}, token_from=landlord.path(f"/cases/{data.case_id}"))
    assert response.status_code == 403
    assert client.get(f"/p/{token_of(data.case_id)}").status_code == 200


def test_a_closed_case_page_closes_a_set_time_after(
    app, client, landlord, make_case, token_of, set_case, es
):
    from tenants.db import utcnow

    data = make_case(landlord.id)
    token = token_of(data.case_id)
    days = app.config["PORTAL_DAYS_AFTER_CLOSE"]
    assert days == 90
    closed = {"status": "closed", "closed_reason": "paid"}
    set_case(landlord.id, data.case_id, closed_at=utcnow() - timedelta(days=days - 1), **closed)
    assert client.get(f"/p/{token}").status_code == 200
    set_case(landlord.id, data.case_id, closed_at=utcnow() - timedelta(days=days + 1))
    response = client.get(f"/p/{token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert es("This case was closed some time ago, so its page is no longer available.") in html
    assert RENTER not in html


def test_the_withdrawn_page_speaks_the_debtors_language(
    client, landlord, make_case, token_of, set_case
):
    from tenants.db import utcnow

    data = make_case(landlord.id)
    set_case(landlord.id, data.case_id, language="en", portal_revoked_at=utcnow())
    html = client.get(f"/p/{token_of(data.case_id)}").get_data(as_text=True)
    assert "This link does not work any more" in html
    assert '<html lang="en">' in html


def test_a_link_never_shows_another_debtors_data(
    app, client, two_tenants, make_case, sent_letter, token_of
):
    a, b = two_tenants
    case_a = make_case(a.id, renter="Alicia Abad Pons", tax_id="12345678Z")
    case_b = make_case(b.id, renter="Bruno Benet Roca", tax_id="87654321X")
    letter_b = sent_letter(b.id, case_b.case_id, text="Carta de Bruno")
    html = client.get(f"/p/{token_of(case_a.case_id)}").get_data(as_text=True)
    assert "Alicia Abad Pons" in html
    assert "Bruno Benet Roca" not in html and "Locales Bea" not in html
    # B's letter through A's link: not found, whatever the id.
    response = client.get(f"/p/{token_of(case_a.case_id)}/letters/{letter_b}.pdf")
    assert response.status_code == 404
    assert b"Carta de Bruno" not in response.data
    html_b = client.get(f"/p/{token_of(case_b.case_id)}").get_data(as_text=True)
    assert "Bruno Benet Roca" in html_b and "Alicia Abad Pons" not in html_b


def test_the_eleventh_wrong_link_in_a_minute_is_refused(client, landlord, make_case, token_of):
    data = make_case(landlord.id)
    token = token_of(data.case_id)
    for _ in range(20):  # a debtor's own visits never count
        assert client.get(f"/p/{token}").status_code == 200
    for n in range(10):
        assert client.get(f"/p/guess-{n}").status_code == 404
    refused = client.get("/p/guess-10")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Demasiados intentos" in html and "Too many attempts" in html
    assert_portal_headers(refused)
    # Over the limit, a right link is refused too from that IP: a 200 would tell a guesser
    # which guess hit. Another IP is not affected.
    assert client.get(f"/p/{token}").status_code == 429
    assert client.get(f"/p/{token}/letters/1.pdf").status_code == 429
    other = {"REMOTE_ADDR": "10.0.0.7"}
    assert client.get(f"/p/{token}", environ_base=other).status_code == 200
    assert client.get("/p/guess-11", environ_base=other).status_code == 404
