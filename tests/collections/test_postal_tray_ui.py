"""The tray of paper letters: one PDF to print them all, marking them posted with the date and
the tracking number (required for a certified letter), then the acknowledgement of receipt."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.collections.conftest import (
    RENDER_WARNING,
    RENTER,
    days_from_today,
    letter_pdf,
    pdf_text,
)

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)
TRAY = "/cases/to-post"


@pytest.fixture
def two_in_tray(landlord, make_case, make_letter):
    """A certified demand to Javier and a postal claim to Lucía, both waiting in the tray."""
    first = make_case(landlord.id)
    second = make_case(landlord.id, renter="Lucía Gil", tax_id="87654321X")
    certified = make_letter(
        landlord.id,
        first.case_id,
        kind="certified_demand",
        status="to_post",
        text="Burofax para Javier",
    )
    postal = make_letter(
        landlord.id,
        second.case_id,
        kind="claim_1",
        channel="postal",
        status="to_post",
        text="Carta para Lucia",
    )
    return first, certified, postal


def test_the_tray_lists_the_paper_letters_with_their_address(landlord, two_in_tray, es):
    _case, certified, postal = two_in_tray
    html = landlord.page(TRAY)
    rows = re.findall(r'<tr class="tray-row" id="tray-(\d+)">(.*?)</tr>', html, re.S)
    assert [int(i) for i, _row in rows] == [certified, postal]
    assert RENTER in rows[0][1] and "Calle Luna 3" in rows[0][1] and "28004 Madrid" in rows[0][1]
    assert es("Certified mail with acknowledgement of receipt") in rows[0][1]
    assert es("Post") in rows[1][1] and "Lucía Gil" in rows[1][1]


def test_all_the_letters_download_as_one_pdf_in_order(landlord, two_in_tray):
    response = landlord.get(f"{TRAY}/letters.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert days_from_today(0).isoformat() in disposition
    text = pdf_text(response.data)
    assert text.index("Burofax para Javier") < text.index("Carta para Lucia")
    # Each one-page letter is followed by a blank page: printed on both sides, every letter
    # starts on its own sheet.
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) == 4
    assert "Carta para Lucia" in pages[2].extract_text()
    assert not pages[1].extract_text().strip() and not pages[3].extract_text().strip()


def test_a_certified_letter_needs_its_tracking_number(landlord, two_in_tray, message, row_of):
    _case, certified, postal = two_in_tray
    data = {"letter_ids": [certified, postal], "posted_on": days_from_today(0).isoformat()}
    response = landlord.post(f"{TRAY}/posted", data, page=TRAY)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message("tracking_required") in html
    assert re.search(rf'id="tracking-{certified}-error">', html)
    assert (
        row_of("letters", certified)["status"] == row_of("letters", postal)["status"] == "to_post"
    )


def test_a_posting_date_in_the_future_or_nothing_selected_is_refused(
    landlord, two_in_tray, message
):
    _case, certified, _postal = two_in_tray
    tomorrow = days_from_today(1).isoformat()
    data = {"letter_ids": [certified], f"tracking-{certified}": "PK1", "posted_on": tomorrow}
    response = landlord.post(f"{TRAY}/posted", data, page=TRAY)
    assert response.status_code == 422
    assert message("date_in_future") in response.get_data(as_text=True)
    response = landlord.post(f"{TRAY}/posted", {"posted_on": days_from_today(0)}, page=TRAY)
    assert response.status_code == 422
    assert message("nothing_selected") in response.get_data(as_text=True)


def test_posting_then_the_acknowledgement_of_receipt(landlord, two_in_tray, es, message, row_of):
    case, certified, _postal = two_in_tray
    today = days_from_today(0)
    data = {
        "letter_ids": [certified],
        f"tracking-{certified}": "PK123456789ES",
        "posted_on": today.isoformat(),
    }
    assert landlord.post(f"{TRAY}/posted", data, page=TRAY).status_code == 302
    letter = row_of("letters", certified)
    assert (letter["status"], letter["tracking_number"], letter["posted_on"]) == (
        "posted",
        "PK123456789ES",
        today,
    )
    html = landlord.page(f"/cases/{case.case_id}")
    assert "PK123456789ES" in html and "timeline-letter_posted" in html

    # The acknowledgement: a PDF only.
    prefix = f"ack-{certified}"
    upload = f"/cases/letters/{certified}/acknowledgement"
    from io import BytesIO

    bad = {f"{prefix}-file": (BytesIO(b"GIF89a..."), "acuse.pdf"), f"{prefix}-delivered_on": today}
    response = landlord.post(upload, bad, page=TRAY, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message("attachment_not_pdf") in response.get_data(as_text=True)
    assert row_of("letters", certified)["status"] == "posted"

    ack = letter_pdf("Acuse firmado por Javier")
    good = {
        f"{prefix}-file": (BytesIO(ack), "acuse.pdf"),
        f"{prefix}-delivered_on": today.isoformat(),
    }
    response = landlord.post(upload, good, page=TRAY, content_type="multipart/form-data")
    assert response.status_code == 302
    letter = row_of("letters", certified)
    assert (letter["status"], letter["delivered_on"]) == ("delivered", today)
    download = landlord.get(upload)
    assert download.status_code == 200 and "Acuse firmado por Javier" in pdf_text(download.data)
    assert es("Acknowledgement of receipt") in landlord.page(f"/cases/{case.case_id}")


def test_a_viewer_cannot_mark_letters_posted(landlord, viewer, two_in_tray, row_of):
    _case, certified, _postal = two_in_tray
    data = {"letter_ids": [certified], f"tracking-{certified}": "PK1", "posted_on": "2026-01-01"}
    response = landlord.post(f"{TRAY}/posted", data, page=TRAY, client=viewer)
    assert response.status_code == 403
    assert row_of("letters", certified)["status"] == "to_post"
