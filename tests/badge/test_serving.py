"""Serving `/badge/<token>.svg|png` (issue 13.3): cacheable by browsers and proxies, no cookie,
no database query when Redis answers, a change of state seen on the next request, views
counted in Redis and flushed into the database by cron; a made-up token is a not-valid badge,
never a 500 and never another workspace's."""

from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy import event

from tests.conftest import login

SVG = "image/svg+xml"


@pytest.fixture
def issued(app, qualifying):
    """A protected creditor: its badge issued by the service. Returns (creditor, token)."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    def issue(**kwargs):
        ws = qualifying(**kwargs)
        with app.app_context(), tenant_context(ws.id):
            assert issuance.refresh_badge() == "issued"
            token = issuance.workspace_badge().token
            db.session.commit()
        return ws, token

    return issue


@pytest.fixture
def statements(app):
    """Counts the SQL statements the app's engine runs: `with statements() as seen: ...`."""
    from contextlib import contextmanager

    from tenants.db import SessionFactory

    @contextmanager
    def count():
        seen = []
        engine = SessionFactory.kw["bind"]

        def record(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return count


def _svg_text(response) -> str:
    assert response.mimetype == SVG
    return response.get_data(as_text=True)


def test_the_badge_shows_its_creditor_and_state_with_headers_fit_for_caching(app, client, issued):
    ws, token = issued(name="Suministros Ana")

    response = client.get(f"/badge/{token}.svg")

    assert response.status_code == 200
    body = _svg_text(response)
    assert "Protegido por Amparo" in body
    assert "Suministros Ana" in body
    assert response.headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    # Another site embeds it: the browser must let it (and a COEP page) load the image.
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")

    again = client.get(f"/badge/{token}.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60, must-revalidate"

    other_etag = client.get(f"/badge/{token}.svg", headers={"If-None-Match": '"stale"'})
    assert other_etag.status_code == 200

    english = client.get(f"/badge/{token}.svg?lang=en&theme=dark")
    assert "Protected by Amparo" in _svg_text(english)
    assert english.headers["ETag"] != etag

    png = client.get(f"/badge/{token}.png?style=compact")
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    assert png.get_data().startswith(b"\x89PNG")
    assert png.headers["ETag"] not in (etag, english.headers["ETag"])


def test_a_logged_in_browser_gets_no_cookie_from_the_badge(app, issued):
    _ws, token = issued()
    client = app.test_client()
    login(client)  # the badge's own owner, with a session cookie

    for path in (f"/badge/{token}.svg", f"/badge/{token}.png", f"/verify/{token}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path


def test_a_cached_badge_costs_no_database_query(app, issued, statements):
    _ws, token = issued()
    client = app.test_client()
    login(client)  # a session cookie must not make the app read the user either
    first = client.get(f"/badge/{token}.svg")
    assert first.status_code == 200

    with statements() as seen:
        again = client.get(f"/badge/{token}.svg")
        revalidated = client.get(
            f"/badge/{token}.svg", headers={"If-None-Match": first.headers["ETag"]}
        )
        made_up = [client.get("/badge/NoSuchBadgeToken1234567.svg") for _ in range(2)]

    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert revalidated.status_code == 304
    assert [r.status_code for r in made_up] == [404, 404]
    # The made-up token's first request reads the database (then it is remembered as unknown).
    assert len(seen) <= 3, seen
    with statements() as seen:
        assert client.get("/badge/NoSuchBadgeToken1234567.svg").status_code == 404
        assert client.get(f"/badge/{token}.png").status_code == 200
    assert seen == []


def test_suspending_the_badge_shows_on_the_next_request(app, client, issued):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    ws, token = issued()
    before = client.get(f"/badge/{token}.svg")
    assert "Protegido por Amparo" in _svg_text(before)  # now in Redis

    with app.app_context(), tenant_context(ws.id):
        db.session.get(Workspace, ws.id).tax_id = ""  # a requirement goes missing
        assert issuance.refresh_badge() == "suspended"
        db.session.commit()

    after = client.get(f"/badge/{token}.svg", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200  # not a 304 of the old image
    assert "Protección suspendida" in _svg_text(after)
    assert "Protegido por Amparo" not in after.get_data(as_text=True)


def test_a_workspace_closed_shows_its_badge_revoked_at_once(app, client, issued):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import User
    from tenants.services.badge import issuance

    ws, token = issued(name="Suministros Ana")
    assert "Protegido por Amparo" in _svg_text(client.get(f"/badge/{token}.svg"))

    with app.app_context(), tenant_context(ws.id):
        owner = db.session.query(User).filter_by(email="ana@example.com").one()
        issuance.close_workspace(owner, typed_name="Suministros Ana")
        db.session.commit()

    assert "Protección revocada" in _svg_text(client.get(f"/badge/{token}.svg"))


def test_a_state_read_before_a_change_is_never_cached_after_it(app, issued):
    """The race the generation counter closes: a request read the old state from the database,
    the change commits and drops the cache, then that request would have stored the old one."""
    from jobs import badge_cache
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance, lookup

    ws, token = issued()
    real_lookup = lookup.public_badge

    def lookup_then_change(t):
        old = real_lookup(t)
        with tenant_context(ws.id):
            db.session.get(Workspace, ws.id).tax_id = ""
            assert issuance.refresh_badge() == "suspended"
            db.session.commit()
        return old

    with app.test_request_context():
        lookup.public_badge = lookup_then_change
        try:
            assert badge_cache.image_state(token).state == "active"  # what it read
        finally:
            lookup.public_badge = real_lookup
        assert badge_cache.image_state(token).state == "suspended"
        db.session.rollback()


@pytest.mark.parametrize(
    "path",
    [
        "/badge/AAAAAAAAAAAAAAAAAAAAAAAA.svg",  # well formed, issued to no one
        "/badge/x.svg",
        "/badge/../../etc/passwd.svg",
        "/badge/a/b/c.svg",
        "/badge/%2e%2e%2fsecret.svg",
        "/badge/" + "A" * 5000 + ".svg",
        "/badge/ñandú-сова-🦉.svg",
        "/badge/%00nul.svg",
        "/badge/' OR 1=1 --.svg",
        "/badge/AAAAAAAAAAAAAAAAAAAAAAAA.png",
        "/badge/%ff%fe.png",
    ],
)
def test_a_made_up_token_gets_the_not_valid_badge(client, issued, path):
    _ws, token = issued(name="Suministros Ana")

    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype in (SVG, "image/png")
    assert "Set-Cookie" not in response.headers
    if response.mimetype == SVG:
        body = response.get_data(as_text=True)
        assert "Sello no válido" in body
        assert "Suministros Ana" not in body and "Protegido" not in body


def test_a_tampered_token_is_not_valid(client, issued):
    _ws, token = issued()
    for tampered in (token[:-1], token + "A", token.swapcase(), token[::-1]):
        response = client.get(f"/badge/{tampered}.svg")
        assert response.status_code == 404, tampered
        assert "Sello no válido" in response.get_data(as_text=True)


def test_each_token_shows_only_its_own_workspace(client, issued):
    ana, ana_token = issued(name="Suministros Ana", email="ana@example.com")
    bea, bea_token = issued(name="Talleres Bea", email="bea@example.com")

    ana_badge = _svg_text(client.get(f"/badge/{ana_token}.svg"))
    bea_badge = _svg_text(client.get(f"/badge/{bea_token}.svg"))

    assert "Suministros Ana" in ana_badge and "Talleres Bea" not in ana_badge
    assert "Talleres Bea" in bea_badge and "Suministros Ana" not in bea_badge


def test_an_invoice_badge_shows_its_workspace_state(app, client, issued, add_invoice):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    ws, _token = issued(name="Suministros Ana")
    invoice_id = add_invoice(ws.id, "F-2026-001")
    with app.app_context(), tenant_context(ws.id):
        invoice_token = issuance.register_invoice(invoice_id).token
        db.session.commit()

    body = _svg_text(client.get(f"/badge/{invoice_token}.svg"))
    assert "Protegido por Amparo" in body and "Suministros Ana" in body


def test_with_redis_down_the_badge_is_served_from_the_database(app, client, issued, monkeypatch):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    ws, token = issued()
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "amparo_badge_redis", down)

    response = client.get(f"/badge/{token}.svg")
    assert response.status_code == 200
    assert "Protegido por Amparo" in _svg_text(response)
    assert client.get("/badge/AAAAAAAAAAAAAAAAAAAAAAAA.svg").status_code == 404

    # A change committed while Redis is down stays committed, and is shown.
    with app.app_context(), tenant_context(ws.id):
        db.session.get(Workspace, ws.id).tax_id = ""
        assert issuance.refresh_badge() == "suspended"
        db.session.commit()
    assert "Protección suspendida" in _svg_text(client.get(f"/badge/{token}.svg"))


# --- views ---------------------------------------------------------------------------------


def test_views_are_counted_in_redis_and_flushed_into_the_database_by_cron(
    app, issued, add_invoice, rows, run_worker
):
    from jobs import badge_cache
    from jobs.enqueue import enqueue_now
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.services.badge import issuance, views

    ws, token = issued()
    other, other_token = issued(name="Talleres Bea", email="bea@example.com")
    invoice_id = add_invoice(ws.id, "F-2026-001")
    with app.app_context(), tenant_context(ws.id):
        invoice_token = issuance.register_invoice(invoice_id).token
        db.session.commit()
    client = app.test_client()
    for _ in range(3):
        client.get(f"/badge/{token}.svg")
    etag = client.get(f"/badge/{token}.png").headers["ETag"]
    client.get(f"/badge/{token}.png", headers={"If-None-Match": etag})  # a 304 is a view too
    client.get(f"/badge/{invoice_token}.svg")
    client.get(f"/badge/{other_token}.svg")
    client.get("/badge/AAAAAAAAAAAAAAAAAAAAAAAA.svg")  # no badge: not counted
    assert rows("SELECT * FROM badge_views") == []  # counted in Redis only, so far

    with app.app_context():
        enqueue_now(badge_cache.flush_badge_views)
    run_worker()

    today = today_in_spain()
    counted = {
        (r["tenant_id"], r["token"], r["day"]): r["views"]
        for r in rows("SELECT tenant_id, token, day, views FROM badge_views")
    }
    assert counted == {
        (ws.id, token, today): 5,
        (ws.id, invoice_token, today): 1,
        (other.id, other_token, today): 1,
    }

    # More views the same day are added to the same row; a flush with nothing new adds none.
    client.get(f"/badge/{token}.svg")
    with app.app_context():
        enqueue_now(badge_cache.flush_badge_views)
        enqueue_now(badge_cache.flush_badge_views)
    run_worker()
    [row] = rows("SELECT views FROM badge_views WHERE token = :t", t=token)
    assert row["views"] == 6

    with app.app_context(), tenant_context(ws.id):
        chart = views.daily_views(days=30)
    assert len(chart) == 30
    assert chart[-1] == (today, 7)  # its own badge and its invoice's
    assert all(n == 0 for _day, n in chart[:-1])
    assert chart[0][0] == today - __import__("datetime").timedelta(days=29)
