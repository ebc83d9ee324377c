"""The demo's badges (issue 13.6), as anyone sees them: the business protected (its badge
issued weeks ago, its newest invoice stamped, weeks of views), the landlord's suspended when its
plan lapsed, both on their timelines at the days they happened.

Seeded at the fixed day of test_demo_history, far from the real clock, so a date left on the
real clock shows.
"""

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import login
from tests.web.test_demo_history import PASSWORD, TODAY, madrid_day, seed


def _badges(app):
    from tenants.db import session, tenant_context
    from tenants.models import ActivityEvent
    from tenants.models.badges import Badge, InvoiceBadge
    from tenants.services.badge import views
    from tenants.services.billing import plans
    from tenants.services.platform import workspaces as ws_service

    found = {}
    with app.app_context():
        for slug in ("demo-landlord", "demo-business"):
            workspace = ws_service.workspace_by_slug(slug)
            with tenant_context(workspace.id):
                badge = session.scalar(select(Badge))
                stamped = session.scalar(
                    select(InvoiceBadge).where(InvoiceBadge.stamped_sha256.is_not(None))
                )
                found[slug] = {
                    "token": badge.token,
                    "state": (badge.state, badge.reason),
                    "issued": madrid_day(badge.issued_at),
                    "changed": madrid_day(badge.changed_at),
                    "protected": workspace.is_protected,
                    "sub": (plans.subscription().status, plans.code_in_force(plans.subscription())),
                    "events": {
                        e.action: madrid_day(e.created_at)
                        for e in session.scalars(select(ActivityEvent).order_by(ActivityEvent.id))
                    },
                    "timeline": [e.action for e in ws_service.recent_activity(50)],
                    "views": views.daily_views(30, today=TODAY),
                    "stamped": (stamped.charge_id, stamped.token) if stamped else None,
                    "stamped_on": madrid_day(stamped.stamped_at) if stamped else None,
                }
    return found


def test_the_demo_business_is_protected_and_the_landlord_s_badge_suspended(app, make_client):
    seed(app)
    demo = _badges(app)
    business, landlord = demo["demo-business"], demo["demo-landlord"]

    # The business: issued weeks ago, active, its newest invoice stamped today.
    assert business["state"] == ("active", "") and business["protected"]
    assert TODAY - timedelta(days=42) <= business["issued"] <= TODAY - timedelta(days=21)
    assert business["events"]["badge.issued"] == business["issued"]
    assert business["sub"] == ("active", "profesional")
    assert business["stamped_on"] == TODAY
    # Views every day of the chart since it was issued, weekdays above weekends, growing.
    shown = [(day, n) for day, n in business["views"] if day >= business["issued"]]
    assert all(n > 0 for _day, n in shown)
    weekdays = [n for day, n in shown if day.weekday() < 5]
    weekends = [n for day, n in shown if day.weekday() >= 5]
    assert sum(weekdays) / len(weekdays) > 2 * sum(weekends) / len(weekends)
    assert sum(n for _d, n in shown[-7:]) > 1.5 * sum(n for _d, n in shown[:7])

    # The landlord: issued the day its ladder first ran, suspended when the plan lapsed.
    assert landlord["state"] == ("suspended", "plan") and not landlord["protected"]
    assert landlord["sub"] == ("suspended", "gratis")
    events = landlord["events"]
    assert events["badge.issued"] == landlord["issued"] == TODAY - timedelta(days=98)
    assert events["badge.suspended"] == landlord["changed"] == TODAY - timedelta(days=2)
    assert landlord["issued"] < events["plan.changed"] <= landlord["changed"]
    # The timeline reads newest first: suspended above issued.
    timeline = landlord["timeline"]
    assert timeline.index("badge.suspended") < timeline.index("badge.issued")
    for book in demo.values():
        assert max(book["events"].values()) <= TODAY

    anyone = make_client()
    art = anyone.get(f"/badge/{business['token']}.svg")
    assert art.status_code == 200 and art.mimetype == "image/svg+xml"
    svg = art.get_data(as_text=True)
    assert "Protegido por Amparo" in svg and "Comercial Demo S.L." in svg
    art = anyone.get(f"/badge/{landlord['token']}.svg")
    assert art.status_code == 200
    svg = art.get_data(as_text=True)
    assert "Protección suspendida" in svg and "Alquileres Demo" in svg

    page = anyone.get(f"/verify/{business['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Comercial Demo S.L." in html and 'data-state="active"' in html
    page = anyone.get(f"/verify/{landlord['token']}")
    assert page.status_code == 200
    assert 'data-state="suspended"' in page.get_data(as_text=True)
    charge_id, invoice_token = business["stamped"]
    page = anyone.get(f"/verify/{invoice_token}")
    assert page.status_code == 200

    # The owners: the stamped invoice downloads with the verify link on its first page; each
    # badge page answers.
    owner = make_client()
    login(owner, email="business@demo.amparo.test", password=PASSWORD)
    stamped = owner.get(f"/w/demo-business/invoices/{charge_id}/stamped.pdf")
    assert stamped.status_code == 200 and stamped.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(stamped.data))
    links = [
        annotation.get_object().get("/A", {}).get("/URI", "")
        for annotation in reader.pages[0].get("/Annots", [])
    ]
    assert any(f"/verify/{invoice_token}" in link for link in links)
    assert "Factura" in reader.pages[0].extract_text()
    for slug, email in (
        ("demo-business", "business@demo.amparo.test"),
        ("demo-landlord", "landlord@demo.amparo.test"),
    ):
        client = make_client()
        login(client, email=email, password=PASSWORD)
        page = client.get(f"/w/{slug}/settings/badge")
        assert page.status_code == 200, slug
        assert demo[slug]["token"] in page.get_data(as_text=True)


def test_seeding_the_demo_again_the_same_day_changes_no_badge(app):
    from tenants.db import session
    from tenants.models.badges import Badge, BadgeView, InvoiceBadge
    from tenants.models.plans import Subscription

    def snapshot():
        from tenants.db import across_tenants

        with app.app_context(), across_tenants("test: the demo's badges"):
            return (
                sorted((b.token, b.state, b.version) for b in session.scalars(select(Badge))),
                sorted((v.token, v.day, v.views) for v in session.scalars(select(BadgeView))),
                sorted(
                    (i.token, i.stamped_sha256)
                    for i in session.scalars(select(InvoiceBadge))
                    if i.stamped_sha256
                ),
                sorted((s.tenant_id, s.status) for s in session.scalars(select(Subscription))),
            )

    seed(app)
    first = snapshot()
    seed(app)
    assert snapshot() == first
