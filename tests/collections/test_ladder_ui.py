"""The settings letters are made from: the workspace's ladder (steps, gaps, the credit-file
warning) and its letterhead (legal name, NIF/CIF, address, IBAN, logo). Bad input: a message
next to the field, nothing changed, never an error page."""

from __future__ import annotations

from io import BytesIO

import pytest

from tests.conftest import PASSWORD

LADDER = "/settings/ladder"
LETTERHEAD = "/settings/letterhead"
DEFAULT_STEPS = [
    ("reminder", 3, "due", "email", False),
    ("claim_1", 10, "due", "email", False),
    ("claim_2", 20, "due", "email", False),
    ("formal_demand", 30, "due", "email", True),
    ("certified_demand", 45, "due", "certified", True),
    ("escalation", 60, "due", "email", True),
]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def ladder_form(steps=DEFAULT_STEPS, **fields) -> dict:
    data = {"name": "Impagos", "min_gap_days": "5", "payment_days": "10", "credit_file_name": ""}
    data.update(fields)
    for i, (kind, delay, anchor, channel, approval) in enumerate(steps):
        data.update(
            {
                f"steps-{i}-kind": kind,
                f"steps-{i}-delay_days": str(delay),
                f"steps-{i}-anchor": anchor,
                f"steps-{i}-channel": channel,
            }
        )
        if approval:
            data[f"steps-{i}-needs_approval"] = "y"
    return data


@pytest.fixture
def saved_steps(rows):
    def read(workspace_id: int) -> list[tuple]:
        return [
            (r["kind"], r["delay_days"], r["anchor"], r["channel"], r["needs_approval"])
            for r in rows(
                "SELECT * FROM ladder_steps WHERE tenant_id = :t ORDER BY position", t=workspace_id
            )
        ]

    return read


def test_the_ladder_page_shows_the_default_steps(landlord, es):
    html = landlord.page(LADDER)
    assert 'value="Impagos de alquiler"' in html
    for label in ("Friendly reminder", "Formal demand", "Escalation to a lawyer"):
        assert es(label) in html
    assert html.count('class="step-row"') == len(DEFAULT_STEPS) + 1  # and an empty row to add


def test_changing_adding_and_removing_steps(landlord, saved_steps, rows):
    landlord.page(LADDER)  # the default ladder exists from the first visit
    steps = [list(s) for s in DEFAULT_STEPS]
    steps[3][3] = "postal"  # the formal demand on paper
    data = ladder_form([tuple(s) for s in steps], credit_file_warning="y", credit_file_name="ASNEF")
    data["steps-1-remove"] = "y"  # no first claim
    data.update(
        {"steps-6-kind": "claim_2", "steps-6-delay_days": "5", "steps-6-anchor": "previous"}
    )
    data["steps-6-channel"] = "email"
    response = landlord.post(LADDER, data, page=LADDER)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert saved_steps(landlord.id) == [
        ("reminder", 3, "due", "email", False),
        ("claim_2", 20, "due", "email", False),
        ("formal_demand", 30, "due", "postal", True),
        ("certified_demand", 45, "due", "certified", True),
        ("escalation", 60, "due", "email", True),
        ("claim_2", 5, "previous", "email", False),
    ]
    [ladder] = rows("SELECT * FROM ladders WHERE tenant_id = :t", t=landlord.id)
    assert (ladder["credit_file_warning"], ladder["credit_file_name"]) == (True, "ASNEF")


@pytest.mark.parametrize(
    ("change", "code", "params"),
    [
        ({"steps-2-delay_days": "5"}, "ladder_goes_back", {}),
        ({"min_gap_days": "99"}, "number_range", {"low": 0, "high": 60}),
        ({"credit_file_warning": "y"}, "credit_file_name_required", {}),
        ({"name": " "}, "required", {}),
    ],
)
def test_bad_ladder_input_changes_nothing(landlord, saved_steps, message, change, code, params):
    landlord.page(LADDER)
    before = saved_steps(landlord.id)
    response = landlord.post(LADDER, {**ladder_form(), **change}, page=LADDER)
    assert response.status_code == 422
    assert message(code, **params) in response.get_data(as_text=True)
    assert saved_steps(landlord.id) == before


def test_a_word_for_a_number_is_refused_not_an_error_page(landlord, saved_steps):
    landlord.page(LADDER)
    before = saved_steps(landlord.id)
    response = landlord.post(LADDER, {**ladder_form(), "steps-0-delay_days": "tres"}, page=LADDER)
    assert response.status_code == 422
    assert 'id="steps-0-delay_days"' in response.get_data(as_text=True)
    assert saved_steps(landlord.id) == before


def test_a_viewer_cannot_change_the_ladder(landlord, viewer, saved_steps):
    landlord.page(LADDER)
    before = saved_steps(landlord.id)
    response = landlord.post(LADDER, ladder_form(min_gap_days="1"), page=LADDER, client=viewer)
    assert response.status_code == 403
    assert saved_steps(landlord.id) == before


# --- the letterhead ---------------------------------------------------------------------------


def letterhead(**fields) -> dict:
    return {
        "legal_name": "Rosa Vidal Pons",
        "tax_id": "12345678z",
        "street": "Calle Mayor 12",
        "postal_code": "28013",
        "city": "Madrid",
        "province": "Madrid",
        "contact_email": "Rosa@Example.com",
        "phone": "+34 600 000 000",
        "iban": "ES91 2100 0418 4502 0005 1332",
        "password": PASSWORD,  # a new IBAN needs the owner's password again
        **fields,
    }


def workspace_row(rows, workspace_id):
    [row] = rows("SELECT * FROM workspaces WHERE id = :id", id=workspace_id)
    return row


def test_the_letterhead_is_saved_with_its_logo(landlord, rows):
    data = letterhead(logo=(BytesIO(PNG), "logo.png"))
    response = landlord.post(LETTERHEAD, data, page=LETTERHEAD, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ws = workspace_row(rows, landlord.id)
    assert (ws["legal_name"], ws["tax_id"], ws["iban"], ws["contact_email"]) == (
        "Rosa Vidal Pons",
        "12345678Z",
        "ES9121000418450200051332",
        "rosa@example.com",
    )
    html = landlord.page(LETTERHEAD)
    assert 'id="logo"' in html and 'value="Rosa Vidal Pons"' in html
    logo = landlord.get(f"{LETTERHEAD}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == PNG


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tax_id": "12345678A"}, "tax_id_invalid"),
        ({"iban": "ES00 1234"}, "iban_invalid"),
        ({"postal_code": "280"}, "postal_code_invalid"),
        ({"contact_email": "rosa@"}, "email_invalid"),
        ({"legal_name": ""}, "required"),
        ({"logo": (BytesIO(b"GIF89a" + bytes(10)), "logo.png")}, "logo_not_image"),
        ({"logo": (BytesIO(PNG + bytes(4096)), "logo.png")}, "logo_too_large"),
    ],
)
def test_bad_letterhead_input_changes_nothing(landlord, rows, message, monkeypatch, change, code):
    # A smaller limit for the test: a real 1 MB upload spills to a temporary file the test
    # client never closes.
    monkeypatch.setattr("tenants.services.collections.letterhead.MAX_LOGO_BYTES", 2048)
    params = {"kb": 2} if code == "logo_too_large" else {}
    response = landlord.post(
        LETTERHEAD, letterhead(**change), page=LETTERHEAD, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message(code, **params) in response.get_data(as_text=True)
    ws = workspace_row(rows, landlord.id)
    assert (ws["legal_name"], ws["tax_id"], ws["logo_sha256"]) == ("", "", None)


# --- the payee IBAN: the owner's, with the password again, logged and told to every owner ----


@pytest.fixture
def member_of(app, landlord, create_user, make_client):
    """Another person in Rosa's workspace with `role`, logged in on their own client."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member
    from tests.conftest import login

    def add(email: str, role: str, *, language: str = "es"):
        user_id = create_user(email=email, name=email.split("@")[0].title(), language=language)
        with app.app_context(), tenant_context(landlord.id):
            db.session.add(Member(user_id=user_id, role=role))
            db.session.commit()
        client = make_client()
        login(client, email)
        return client

    return add


def test_a_new_iban_needs_the_owners_password_again(landlord, rows, message):
    response = landlord.post(
        LETTERHEAD,
        letterhead(password="not my password"),
        page=LETTERHEAD,
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert message("password_wrong") in response.get_data(as_text=True)
    assert workspace_row(rows, landlord.id)["iban"] == ""
    assert rows("SELECT * FROM activity_events WHERE action = 'payee.changed'") == []


def test_a_new_iban_is_on_the_activity_log_and_emailed_to_every_owner(landlord, member_of, rows):
    member_of("jaime@example.com", "owner", language="en")
    member_of("luis@example.com", "manager")

    response = landlord.post(
        LETTERHEAD, letterhead(), page=LETTERHEAD, content_type="multipart/form-data"
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (event,) = rows("SELECT detail FROM activity_events WHERE action = 'payee.changed'")
    assert event["detail"] == {"old": "—", "new": "•••• 1332"}  # never the whole IBAN
    emails = {e["to"]: e for e in rows("SELECT * FROM emails WHERE idempotency_key LIKE 'payee%'")}
    assert set(emails) == {"rosa@example.com", "jaime@example.com"}  # the owners, not Luis
    assert "•••• 1332" in emails["rosa@example.com"]["text"]
    assert emails["rosa@example.com"]["subject"].startswith("Ha cambiado el IBAN")
    assert "has changed" in emails["jaime@example.com"]["subject"]  # in his language
    dashboard = landlord.page("/")
    assert "1332" in dashboard  # the activity log says who changed it


def test_a_manager_edits_the_letterhead_but_not_the_iban(landlord, member_of, rows, es):
    manager = member_of("luis@example.com", "manager")
    data = letterhead(iban="", password="")

    kept = landlord.post(
        LETTERHEAD, data, page=LETTERHEAD, client=manager, content_type="multipart/form-data"
    )
    assert kept.status_code == 302  # name and address are the manager's to keep up to date
    assert workspace_row(rows, landlord.id)["legal_name"] == "Rosa Vidal Pons"

    refused = landlord.post(
        LETTERHEAD,
        letterhead(),
        page=LETTERHEAD,
        client=manager,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403, refused.status_code
    assert es("Not allowed for your role") in refused.get_data(as_text=True)
    assert workspace_row(rows, landlord.id)["iban"] == ""
    assert rows("SELECT * FROM emails WHERE idempotency_key LIKE 'payee%'") == []


def test_the_members_page_shows_who_may_do_what(landlord, es):
    page = landlord.page("/members")
    title, _, body = page.partition("</title>")
    assert es("Who may do what") not in title  # the browser's tab says "Members", nothing more
    page = body

    assert es("Who may do what") in page
    assert es("Change the IBAN debtors pay to") in page
    assert es("If the owner allows it") in page
