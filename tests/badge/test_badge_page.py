"""The workspace's badge page (issue 13.5 and the views chart of 13.3): its state and why, the
requirements before issuance, the snippets that embed it, "check now", and the views."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from tests.conftest import csrf_token

BASE_URL = "http://localhost"


def _refresh(app, ws_id: int) -> str | None:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    with app.app_context(), tenant_context(ws_id):
        result = issuance.refresh_badge()
        db.session.commit()
        return result


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*id="snippet-{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no #snippet-{name}"
    return html.unescape(match.group(1))


def test_before_issuance_the_page_lists_what_is_missing_with_links(creditor, es):
    ws = creditor(kind="landlord", name="Pisos Ana")  # on the trial, verified, no tax id
    page = ws.page("/settings/badge")
    assert 'data-state="none"' in page
    assert (
        es("The badge is issued as soon as the workspace meets the four requirements below.")
        in page
    )
    assert re.search(r'data-requirement="tax_id" data-done="no"', page)
    assert re.search(r'data-requirement="plan" data-done="yes"', page)
    assert es("A valid NIF, CIF or NIE on the letterhead") in page
    assert f'href="/w/{ws.slug}/settings/letterhead"' in page
    assert es("Edit the letterhead") in page
    assert 'id="snippet-html"' not in page  # nothing to embed before there is a badge
    # A landlord has no invoices: the page says so instead of the stamp form.
    assert 'id="stamp-landlord"' in page and 'id="stamp-form"' not in page
    assert 'id="menu-badge"' in page


def test_an_active_badge_gives_snippets_with_its_token_urls(app, qualifying, badge_of, es):
    ws = qualifying()
    assert _refresh(app, ws.id) == "issued"
    token = badge_of(ws.id)["token"]
    page = ws.page("/settings/badge")
    assert 'data-state="active"' in page
    assert es("Active") in page
    snippet = _textarea(page, "html")
    assert f'href="{BASE_URL}/verify/{token}"' in snippet
    assert f'src="{BASE_URL}/badge/{token}.svg"' in snippet
    assert 'alt="Protegido por Amparo"' in snippet
    markdown = _textarea(page, "markdown")
    assert markdown == (
        f"[![Protegido por Amparo]({BASE_URL}/badge/{token}.svg)]({BASE_URL}/verify/{token})"
    )
    # Previews of every style and theme, a PNG to download, and the stamp form (a business).
    previews = re.findall(r'<img src="(/badge/[^"]+)"[^>]*class="img-fluid badge-preview"', page)
    assert len(previews) == 6 and all(p.startswith(f"/badge/{token}.svg") for p in previews)
    assert f'href="/badge/{token}.png"' in page
    assert 'id="stamp-form"' in page

    # Another variant: the snippet follows the choice.
    english = ws.page("/settings/badge?lang=en&theme=dark&style=compact")
    snippet = _textarea(english, "html")
    assert f"{BASE_URL}/badge/{token}.svg?lang=en&amp;theme=dark&amp;style=compact" in snippet
    assert 'alt="Protected by Amparo"' in snippet
    garbled = ws.page("/settings/badge?lang=xx&style=giant")  # falls back to the default
    assert f'src="{BASE_URL}/badge/{token}.svg"' in _textarea(garbled, "html")


def test_a_suspended_badge_says_why_and_links_the_fix(app, qualifying, es):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans

    ws = qualifying()
    _refresh(app, ws.id)
    with app.app_context(), tenant_context(ws.id):
        plans.put_on("gratis", reason="test")
        db.session.commit()
    assert _refresh(app, ws.id) == "suspended"
    page = ws.page("/settings/badge")
    assert 'data-state="suspended"' in page
    assert 'data-reason="plan"' in page
    assert re.search(r'data-requirement="plan" data-done="no"', page)
    assert f'href="/w/{ws.slug}/settings/plan"' in page
    assert 'id="snippet-html"' in page  # the embedded images keep working, reading "suspended"


def test_a_revoked_badge_says_the_workspace_is_closed(app, qualifying, es):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace

    ws = qualifying()
    _refresh(app, ws.id)
    with app.app_context(), tenant_context(ws.id):
        workspace = db.session.get(Workspace, ws.id)
        workspace.closed_at = workspace.created_at + timedelta(days=1)
        db.session.commit()
    assert _refresh(app, ws.id) == "revoked"
    page = ws.page("/settings/badge")
    assert 'data-state="revoked"' in page and 'id="badge-checklist"' not in page
    assert 'id="badge-check"' not in page


def test_check_now_asks_for_the_refresh_job(app, creditor, rows, es):
    ws = creditor()
    token = csrf_token(ws.client, ws.url("/settings/badge"))
    response = ws.client.post(ws.url("/settings/badge/check"), data={"csrf_token": token})
    assert response.status_code == 302
    outbox = rows("SELECT topic, args FROM outbox")
    assert {"topic": "jobs.badges:refresh_badge", "args": [ws.id]} in outbox


@pytest.mark.parametrize("views", [[], [3, 0, 12]])
def test_the_chart_shows_the_last_30_days_of_views_and_their_total(app, qualifying, es, views):
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import BadgeView
    from tenants.services.badge import issuance

    ws = qualifying()
    _refresh(app, ws.id)
    today = today_in_spain()
    with app.app_context(), tenant_context(ws.id):
        token = issuance.workspace_badge().token
        for n, count in enumerate(views):
            db.session.add(BadgeView(token=token, day=today - timedelta(days=n), views=count))
        db.session.add(BadgeView(token=token, day=today - timedelta(days=40), views=999))
        db.session.commit()
    page = ws.page("/settings/badge")
    chart = page[page.index('id="badge-views"') :]
    assert len(re.findall(r"<rect ", chart)) == 30
    total = sum(views)
    assert re.search(rf'id="badge-views-total">{total} (views|visualizaciones)', chart), chart[:600]
    note = es("Your badge and your invoices' badges together. Updated every 10 minutes.")
    assert html.unescape(note) in html.unescape(chart)
