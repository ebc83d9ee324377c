"""Hostile names reach mail headers folded to one line, and one email row has one Message-ID.

A name with a line break (U+2028 pasted from a word processor, a stray CR) used to make every
letter email fail to build. Here each such name goes into the letterhead (the From name and the
subject) and the renter (the To name), and the letter must still arrive, its headers intact.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

import letters.compose  # noqa: F401 - WeasyPrint warns once on import: at collection, not in a test
from tests.jobs.collections_fixtures import (  # noqa: F401 - fixtures
    RENDER_WARNING,
    RENTER_EMAIL,
    madrid,
    rent_book,
    sweep_at,
    today,
)

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

HOSTILE = {
    "line separator": "Inmuebles\u2028Ruiz SL",
    "paragraph separator": "Inmuebles\u2029Ruiz SL",
    "carriage return": "Inmuebles\rRuiz SL",
    "header injection": "Inmuebles Ruiz SL\r\nBcc: intruso@example.com",
    "vertical tab": "Inmuebles\x0bRuiz SL",
    "next line": "Inmuebles\x85Ruiz SL",
    "escape": "Inmuebles\x1bRuiz SL",  # PostgreSQL text holds no NUL: refused at input
    "long non-ascii": "Ñandú Inmobiliaria Peñíscola Cigüeña " * 12,
}


@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_letter_with_a_hostile_name_in_every_header_is_built_and_sent(
    name,
    rent_book,
    sweep_at,
    admin_engine,
    inbox,
    rows,
    run_worker,  # noqa: F811
):
    book = rent_book(today() - timedelta(days=5), guarantor=False)
    # Written as stored data, not through the forms (which refuse line breaks): names saved
    # before that check, or imported, must still send.
    with admin_engine.begin() as conn:
        conn.execute(text("UPDATE workspaces SET legal_name = :n"), {"n": name[:200]})
        conn.execute(text("UPDATE parties SET name = :n"), {"n": name[:200]})
    assert sweep_at(book.workspace_id, madrid(today() - timedelta(days=1)))["letters"] == 1

    run_worker()

    (message,) = inbox.to(RENTER_EMAIL)
    assert rows("SELECT status FROM letters")[0]["status"] == "sent"
    assert "Bcc" not in message and message["Bcc"] is None
    words = " ".join(name.replace("\x1b", " ").split())[:40].split()[:2]
    for header in ("From", "To", "Subject"):
        value = str(message[header])
        assert "\n" not in value and "\r" not in value and "\u2028" not in value
        for word in words:  # the name itself survives, folded to one line
            assert word in value, (header, value)
    assert RENTER_EMAIL in str(message["To"])


def test_the_same_email_row_sent_twice_carries_one_message_id(
    app, record_email, admin_engine, inbox, row, run_worker
):
    """The one window SMTP leaves open: the server took the message, our worker died before it
    recorded "sent". The retry sends again; the copy carries the same Message-ID, so the
    receiving side can drop it."""
    from jobs.enqueue import enqueue_now
    from jobs.mail import deliver_email

    email_id = record_email(to="carla@example.com")
    stored = row("SELECT message_id FROM emails WHERE id = :i", i=email_id)["message_id"]
    assert stored  # fixed when the row was recorded, before any attempt

    for _ in range(2):
        with app.app_context():
            enqueue_now(deliver_email, email_id)
        run_worker()
        # What the crash leaves behind: the message delivered, the row still "queued".
        with admin_engine.begin() as conn:
            conn.execute(
                text("UPDATE emails SET status = 'queued', sent_at = NULL WHERE id = :i"),
                {"i": email_id},
            )

    first, second = inbox.to("carla@example.com")
    assert first["Message-ID"] == second["Message-ID"] == stored


def test_every_email_row_has_its_own_message_id(record_email, row):
    one = record_email(key="test:1")
    other = record_email(key="test:2")
    sql = "SELECT message_id FROM emails WHERE id = :i"
    ids = {row(sql, i=email_id)["message_id"] for email_id in (one, other)}
    assert len(ids) == 2
