"""Telling why, on the portal: a promise to pay, a dispute or explanation with documents. It
shows on the case page, reaches the case's owner by email, holds the ladder where it should,
and the collections overview counts the reasons. Bad input changes nothing."""

from __future__ import annotations

import io
import re

from tests.collections.conftest import RENTER, days_from_today
from tests.portal.conftest import JPEG, PDF, PNG, WEBP


def _files(*named):
    return [(io.BytesIO(content), name) for name, content in named]


def _counts(rows, case_id):
    [row] = rows(
        "SELECT (SELECT count(*) FROM debtor_messages) AS messages,"
        " (SELECT count(*) FROM debtor_attachments) AS attachments,"
        " (SELECT status FROM cases WHERE id = :id) AS status",
        id=case_id,
    )
    return row


def test_a_promise_pauses_the_ladder_shows_on_the_case_and_reaches_the_owner(
    app, client, landlord, make_case, token_of, rows, es, money, inbox, run_worker
):
    data = make_case(landlord.id)
    token = token_of(data.case_id)
    by = days_from_today(10)
    response = client.post(
        f"/p/{token}/promise",
        data={
            "promise-until": by.isoformat(),
            "promise-amount": "500",
            "promise-note": "Cobro el día 5",
        },
    )
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="told"' in thanks
    [case] = rows(
        "SELECT status, pause_reason, paused_until, promised_amount FROM cases WHERE id = :id",
        id=data.case_id,
    )
    assert case["status"] == "paused" and case["pause_reason"] == "promise"
    assert case["paused_until"] == by and str(case["promised_amount"]) == "500.00"

    page = landlord.page(f"/cases/{data.case_id}")
    assert "Cobro el día 5" in page
    assert money("500") in page

    run_worker()
    [email] = inbox.to("rosa@example.com")
    body = inbox.body(email)
    assert RENTER in email["Subject"]
    assert "Cobro el día 5" in body
    assert f"/cases/{data.case_id}" in body


def test_a_dispute_with_documents_holds_the_case_and_the_owner_gets_them(
    app, client, landlord, make_case, token_of, rows, es, inbox, run_worker
):
    data = make_case(landlord.id)
    token = token_of(data.case_id)
    response = client.post(
        f"/p/{token}/explain",
        data={
            "explain-reason": "paid",
            "explain-text": "Pagué por transferencia el día 3.",
            "explain-files": _files(("justificante.pdf", PDF), ("captura.png", PNG)),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert _counts(rows, data.case_id) == {"messages": 1, "attachments": 2, "status": "paused"}
    [case] = rows("SELECT pause_reason FROM cases WHERE id = :id", id=data.case_id)
    assert case["pause_reason"] == "dispute"

    page = landlord.page(f"/cases/{data.case_id}")
    assert es("I have already paid") in page
    assert "Pagué por transferencia el día 3." in page
    links = re.findall(r'class="debtor-attachment" href="([^"]+)"', page)
    assert len(links) == 2
    downloaded = landlord.client.get(links[0])
    assert downloaded.status_code == 200 and downloaded.data == PDF
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert landlord.client.get(links[1]).data == PNG

    run_worker()
    [email] = inbox.to("rosa@example.com")
    body = inbox.body(email)
    assert es("I have already paid") in body
    assert "Pagué por transferencia el día 3." in body
    assert es("The case is on hold as a dispute: no letter goes out until you resume it.") in body


def test_hardship_is_told_without_holding_the_case(client, landlord, make_case, token_of, rows):
    data = make_case(landlord.id)
    response = client.post(
        f"/p/{token_of(data.case_id)}/explain",
        data={
            "explain-reason": "hardship",
            "explain-text": "Me he quedado sin trabajo.",
            "explain-files": _files(("foto.jpg", JPEG), ("foto.webp", WEBP)),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert _counts(rows, data.case_id) == {"messages": 1, "attachments": 2, "status": "open"}


def test_wrong_files_and_bad_input_are_refused_next_to_their_field_changing_nothing(
    client, landlord, make_case, token_of, rows, message, es
):
    data = make_case(landlord.id)
    path = f"/p/{token_of(data.case_id)}/explain"
    valid = {"explain-reason": "amount", "explain-text": "El importe no es correcto."}
    big = PDF + b"0" * (10 * 1024 * 1024)
    cases = [
        (
            {"explain-files": _files(("virus.exe", b"MZ\x90\x00binary"))},
            message("attachment_not_document", name="virus.exe"),
        ),
        (
            {"explain-files": _files(("factura.pdf", b"not really a pdf"))},
            message("attachment_not_document", name="factura.pdf"),
        ),
        (
            {"explain-files": _files(("grande.pdf", big))},
            message("attachment_too_large_named", name="grande.pdf", mb=10),
        ),
        (
            {"explain-files": _files(*[(f"doc{n}.pdf", PDF) for n in range(4)])},
            message("attachments_too_many", most=3),
        ),
        ({"explain-reason": ""}, message("required")),
        ({"explain-reason": "bored"}, message("choice_invalid")),
        ({"explain-text": ""}, message("required")),
        ({"explain-text": "x" * 2001}, None),
    ]
    for change, text in cases:
        response = client.post(path, data={**valid, **change}, content_type="multipart/form-data")
        assert response.status_code == 422, change
        html = response.get_data(as_text=True)
        assert "invalid-feedback" in html
        if text:
            assert text in html, change
        assert "Set-Cookie" not in response.headers
        # The test client spools a large body to a temporary file it leaves open.
        response.request.environ["wsgi.input"].close()
        assert _counts(rows, data.case_id) == {"messages": 0, "attachments": 0, "status": "open"}

    promise = f"/p/{token_of(data.case_id)}/promise"
    for bad in (
        {"promise-until": ""},
        {"promise-until": days_from_today(-1).isoformat()},
        {"promise-until": "31/02/2026"},
        {"promise-until": days_from_today(5).isoformat(), "promise-amount": "-3"},
    ):
        response = client.post(promise, data=bad)
        assert response.status_code == 422, bad
        assert "invalid-feedback" in response.get_data(as_text=True)
        assert _counts(rows, data.case_id) == {"messages": 0, "attachments": 0, "status": "open"}


def test_a_sixth_message_in_a_day_is_refused_so_the_owner_is_not_flooded(
    client, landlord, make_case, token_of, rows, message
):
    from tenants.services.portal.telling import MAX_MESSAGES_PER_DAY

    data = make_case(landlord.id)
    path = f"/p/{token_of(data.case_id)}/explain"
    form = {"explain-reason": "hardship", "explain-text": "Me han reducido la jornada."}
    for _ in range(MAX_MESSAGES_PER_DAY):
        response = client.post(path, data=form, content_type="multipart/form-data")
        assert response.status_code == 303
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message("debtor_messages_too_many", most=MAX_MESSAGES_PER_DAY) in response.get_data(
        as_text=True
    )
    assert _counts(rows, data.case_id)["messages"] == MAX_MESSAGES_PER_DAY
    [row] = rows("SELECT count(*) AS n FROM outbox WHERE topic = 'debtor_told'")
    assert row["n"] == MAX_MESSAGES_PER_DAY


def test_an_english_debtor_reads_the_refusal_in_english(
    client, landlord, make_case, token_of, set_case
):
    data = make_case(landlord.id)
    set_case(landlord.id, data.case_id, language="en")
    response = client.post(
        f"/p/{token_of(data.case_id)}/explain",
        data={"explain-reason": "other", "explain-text": ""},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in html
    assert "Tell us what happened" in html


def test_the_collections_overview_counts_the_reasons(client, landlord, make_case, token_of, es):
    first = make_case(landlord.id)
    second = make_case(landlord.id, renter="Lucía Sanz Vidal", tax_id="11111111H")
    for data, reason in ((first, "hardship"), (second, "hardship"), (second, "quality")):
        response = client.post(
            f"/p/{token_of(data.case_id)}/explain",
            data={"explain-reason": reason, "explain-text": "Explicación"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    page = landlord.page("/cases")
    counts = dict(
        re.findall(r'data-reason="(\w+)">.*?class="text-end why-count">(\d+)<', page, re.S)
    )
    assert counts == {
        "promise": "0",
        "hardship": "2",
        "amount": "0",
        "paid": "0",
        "quality": "1",
        "other": "0",
    }
    assert es("Why your debtors have not paid") in page


def test_a_sent_letter_downloads_from_the_portal_and_no_other(
    client, landlord, make_case, make_letter, sent_letter, token_of
):
    from tests.collections.conftest import pdf_text

    data = make_case(landlord.id)
    token = token_of(data.case_id)
    sent = sent_letter(landlord.id, data.case_id, text="Recordatorio enviado")
    waiting = make_letter(landlord.id, data.case_id, kind="formal_demand")  # not sent
    page = client.get(f"/p/{token}").get_data(as_text=True)
    assert f"/p/{token}/letters/{sent}.pdf" in page
    assert f"/letters/{waiting}.pdf" not in page
    response = client.get(f"/p/{token}/letters/{sent}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "Set-Cookie" not in response.headers
    assert "Recordatorio enviado" in pdf_text(response.data)
    assert client.get(f"/p/{token}/letters/{waiting}.pdf").status_code == 404
    assert client.get(f"/p/{token}/letters/999999.pdf").status_code == 404


def test_more_than_the_documents_allowed_gets_a_portal_page_not_a_cookie(
    client, landlord, make_case, token_of, rows, monkeypatch
):
    from web.portal import telling as portal_telling

    data = make_case(landlord.id)
    monkeypatch.setattr(portal_telling, "MAX_REQUEST_BYTES", 4096)
    response = client.post(
        f"/p/{token_of(data.case_id)}/explain",
        data={
            "explain-reason": "paid",
            "explain-text": "Adjunto el justificante.",
            "explain-files": _files(("enorme.pdf", PDF + b"0" * 8192)),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Los archivos son demasiado grandes" in html and "The files are too large" in html
    assert "Set-Cookie" not in response.headers
    assert _counts(rows, data.case_id) == {"messages": 0, "attachments": 0, "status": "open"}


def test_three_documents_of_nine_megabytes_each_are_taken(
    client, landlord, make_case, token_of, rows
):
    data = make_case(landlord.id)
    nine = [(f"doc{n}.pdf", PDF + bytes([n]) * (9 * 1024 * 1024)) for n in range(3)]
    response = client.post(
        f"/p/{token_of(data.case_id)}/explain",
        data={
            "explain-reason": "quality",
            "explain-text": "Fotos y facturas.",
            "explain-files": _files(*nine),
        },
        content_type="multipart/form-data",
    )
    response.request.environ["wsgi.input"].close()  # the test client's spooled body
    assert response.status_code == 303
    assert _counts(rows, data.case_id) == {"messages": 1, "attachments": 3, "status": "open"}
    sizes = [r["size"] for r in rows("SELECT size FROM debtor_attachments ORDER BY id")]
    assert sizes == [len(content) for _name, content in nine]
