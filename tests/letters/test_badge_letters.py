"""Letters carry the creditor's badge while it is active (issue 13.5): the art with its verify QR
in the letterhead and the verify address under it; a suspended or revoked badge, or a plan
without the badge, prints none of it. Built from the database as the render job builds it."""

from __future__ import annotations

import pytest

from tests.collections.conftest import RENDER_WARNING, make_case, pdf_text  # noqa: F401

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

BASE = "https://amparo.example"
TOKEN = "Q2hlY2sgdGhlIGJhZGdlIQxy"
VERIFY = f"{BASE}/verify/{TOKEN}"


@pytest.fixture
def letter_of(app, create_workspace, make_case):  # noqa: F811 - the imported fixture
    """A claim letter of a landlord whose badge is in `state` (None: no badge), on `plan`;
    returns what the render job would print, as text, and the art's data: URI."""

    def make(state: str | None, plan: str = "proteccion", language: str = "es"):
        from letters import compose
        from letters.context import build_context
        from tenants import db
        from tenants.clock import today_in_spain
        from tenants.db import tenant_context
        from tenants.models import Badge, Case
        from tenants.services.billing import plans
        from tenants.services.collections import letters
        from tests.collections.test_letter_facts import madrid

        workspace_id, _slug = create_workspace(name="Pisos Rosa", owner_email="rosa@example.com")
        case = make_case(workspace_id)
        with app.app_context(), tenant_context(workspace_id):
            row = db.session.get(Case, case.case_id)
            step = next(s for s in row.ladder.steps if s.kind == "claim_1")
            row.stage = step.position
            [letter] = letters.record_step_letters(row, step, [])
            # The plan as it is when the letter is rendered (it may have lapsed since).
            plans.put_on(plan, reason="test")
            if state is not None:
                db.session.add(Badge(token=TOKEN, state=state))
            db.session.flush()
            now = madrid(today_in_spain())
            context = build_context(letter, now, base_url=BASE + "/")
            rendered = compose.render_letter(context, language, now=now)
            db.session.rollback()
        badge = compose.with_badge(context["creditor"], language)["badge"]
        return context["creditor"], pdf_text(rendered.pdf), badge

    return make


def test_an_active_badge_puts_its_art_and_verify_address_on_the_letter(letter_of):
    import base64

    creditor, text, badge = letter_of("active")

    assert creditor["protected"] is True
    assert creditor["verify_url"] == VERIFY
    assert VERIFY in text
    assert "Protegido por Amparo · Verifique este sello en" in text
    art = base64.b64decode(badge.split(",", 1)[1]).decode()
    assert "Protegido por Amparo" in art and "Pisos Rosa" in art
    assert 'aria-label="Protegido por Amparo: Pisos Rosa"' in art

    _creditor, english, badge = letter_of("active", language="en")
    assert "Protected by Amparo · Verify this seal at" in english and VERIFY in english
    assert "Protected by Amparo" in base64.b64decode(badge.split(",", 1)[1]).decode()


@pytest.mark.parametrize(
    ("state", "plan"),
    [
        ("suspended", "proteccion"),
        ("revoked", "proteccion"),
        (None, "proteccion"),
        ("active", "gratis"),
    ],
)
def test_no_badge_on_the_letter_unless_it_is_active_on_a_plan_with_it(letter_of, state, plan):
    creditor, text, badge = letter_of(state, plan)

    assert creditor["protected"] is False and creditor["verify_url"] is None
    assert badge is None
    assert "/verify/" not in text
    assert "Protegido por Amparo" not in text and "Verifique este sello" not in text
    assert "Pisos Rosa" in text  # the letter itself is there
