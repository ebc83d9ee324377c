"""The demo's debtors on the portal (issue 12), as the demo users see them: the reasons they
told, a promise, a plan waiting for the owner, a plan running with its first instalment debited
by SEPA and the next due in a few days, card payments, the Stripe account active, the plan
Profesional, and every page each demo user reaches from the dashboard answering 200.

Seeded at the fixed day of test_demo_history, far from the real clock, so a date left on the
real clock shows. Stripe is not called (no fake is running): the demo writes what Stripe's
answers would have left.
"""

import io
import re
from collections import Counter, deque
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import login
from tests.web.test_demo_history import DEMO_USERS, PASSWORD, TODAY, madrid_day, seed

PER_SHAPE = 3  # pages visited per URL shape, as the make-run walk does


def _portal_history(app):
    """What the demo left, read inside each workspace as the app reads it."""
    from tenants.db import tenant_context
    from tenants.models import CaseEvent, DebtorMessage, Payment
    from tenants.models.card_payments import CardPayment
    from tenants.models.instalments import InstalmentPlan
    from tenants.services.billing import connect, plans
    from tenants.services.platform import workspaces as ws_service
    from tenants.services.portal import telling

    found = {}
    with app.app_context():
        from tenants.db import session

        for slug, _email in DEMO_USERS:
            workspace = ws_service.workspace_by_slug(slug)
            with tenant_context(workspace.id):
                messages = session.scalars(select(DebtorMessage).order_by(DebtorMessage.id)).all()
                plan_rows = session.scalars(select(InstalmentPlan).order_by(InstalmentPlan.id))
                sub = plans.subscription()
                found[slug] = {
                    "account": connect.workspace_account(),
                    "sub": (sub.plan_code, sub.status),
                    "reasons": telling.reason_counts(),
                    "messages": [
                        (
                            m.case_id,
                            m.kind,
                            m.reason,
                            m.text,
                            [a.id for a in m.attachments],
                            madrid_day(m.created_at),
                        )
                        for m in messages
                    ],
                    "plans": [
                        (p, [(i.due_on, i.amount, i.status, i.paid_by) for i in p.instalments])
                        for p in plan_rows
                    ],
                    "cards": [
                        (
                            c.case_id,
                            c.status,
                            c.amount,
                            c.booked,
                            c.received_on,
                            c.payment_intent_id,
                            c.case.status,
                        )
                        for c in session.scalars(select(CardPayment))
                    ],
                    "card_bookings": session.scalars(
                        select(Payment).where(Payment.method == "card")
                    ).all(),
                    "events": {
                        (e.case_id, e.kind): madrid_day(e.created_at)
                        for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id))
                    },
                    "tokens": {c.id: c.portal_token for c in workspace_cases(session)},
                    "closed_tokens": {
                        c.portal_token for c in workspace_cases(session) if c.status == "closed"
                    },
                }
    return found


def workspace_cases(session):
    from tenants.models import Case

    return session.scalars(select(Case).order_by(Case.id)).all()


def test_the_demo_debtors_told_why_paid_by_card_and_by_instalments(app, make_client):
    seed(app)
    demo = _portal_history(app)
    for slug, _email in DEMO_USERS:
        book = demo[slug]
        # Both subscribed to Profesional; the landlord's lapsed (test_demo_badge). The
        # creditor's Express account takes charges.
        status = "suspended" if slug == "demo-landlord" else "active"
        assert book["sub"] == ("profesional", status), slug
        account = book["account"]
        assert account.status == "active" and re.fullmatch(r"acct_\w{24}", account.account_id)
        # Why debtors don't pay: counted.
        assert book["reasons"]["hardship"] >= 1 and book["reasons"]["promise"] >= 1, slug
        # Nothing dated after the demo's day, nothing on the real clock.
        days = [day for *_rest, day in book["messages"]] + list(book["events"].values())
        assert max(days) <= TODAY, slug
        # A card payment booked once, as the checkout webhook books it.
        ((case_id, status, amount, booked, received_on, intent, _case_status), *more) = book[
            "cards"
        ]
        assert more == [] and status == "paid" and booked == amount > 0, slug
        assert re.fullmatch(r"pi_\w{24}", intent) and received_on <= TODAY
        assert sum(p.amount for p in book["card_bookings"]) == amount
        assert book["events"][(case_id, "card_paid")] == received_on

    landlord, business = demo["demo-landlord"], demo["demo-business"]
    # The landlord: Andrei's plan runs, its first instalment debited by SEPA weeks ago and
    # the second due in a few days.
    ((plan, schedule),) = landlord["plans"]
    assert plan.status == "accepted" and plan.method == "sepa_debit" and plan.count == 3
    assert plan.mandate_reference == f"AMP-{plan.tenant_id}-{plan.case_id}-{plan.id}"
    assert re.fullmatch(r"cus_\w{14}", plan.stripe_customer_id)
    assert re.fullmatch(r"seti_\w{24}", plan.stripe_setup_intent_id)
    assert [s[2:] for s in schedule] == [("paid", "sepa_debit"), ("pending", ""), ("pending", "")]
    assert schedule[0][0] < TODAY < schedule[1][0] <= TODAY + timedelta(days=8)
    assert sum(s[1] for s in schedule) == plan.total
    andrei = plan.case_id
    assert (
        landlord["events"][(andrei, "plan_proposed")]
        < landlord["events"][(andrei, "plan_accepted")]
    )
    assert landlord["events"][(andrei, "instalment_paid")] == schedule[0][0]
    # The business: a quality dispute with a PDF, a hardship, a promise, a proposal waiting.
    told = {
        reason or kind: (case_id, text, files)
        for case_id, kind, reason, text, files, _d in business["messages"]
    }
    assert {"quality", "hardship", "promise"} <= set(told)
    assert len(told["quality"][2]) == 1
    ((proposal, no_schedule),) = business["plans"]
    assert proposal.status == "proposed" and proposal.proposed_by == "debtor" and no_schedule == []
    assert business["cards"][0][6] == "closed"  # the whole claim paid by card closes the case

    for slug, email in DEMO_USERS:
        book = demo[slug]
        client = make_client()
        login(client, email=email, password=PASSWORD)
        # The collections overview counts the reasons.
        html = client.get(f"/w/{slug}/cases").get_data(as_text=True)
        counts = dict(re.findall(r'data-reason="(\w+)">.*?why-count">(\d+)<', html, flags=re.S))
        assert {k: int(v) for k, v in counts.items()} == book["reasons"], slug
        # Each case a debtor wrote on shows what they said.
        for case_id, _kind, _reason, text, files, _day in book["messages"]:
            response = client.get(f"/w/{slug}/cases/{case_id}")
            assert response.status_code == 200
            page = response.get_data(as_text=True)
            assert text in page, (slug, case_id)
            for attachment_id in files:
                document = client.get(f"/w/{slug}/cases/{case_id}/told/{attachment_id}")
                assert document.status_code == 200 and document.mimetype == "application/pdf"
                words = PdfReader(io.BytesIO(document.data)).pages[0].extract_text()
                assert "Informe de recepción" in words
        # The plans on the case page and on the debtor's portal page (through its token).
        for plan, _schedule in book["plans"]:
            page = client.get(f"/w/{slug}/cases/{plan.case_id}").get_data(as_text=True)
            portal = make_client().get(f"/p/{book['tokens'][plan.case_id]}")
            assert portal.status_code == 200
            mine = portal.get_data(as_text=True)
            if plan.status == "accepted":
                assert 'id="plan-running"' in page and plan.mandate_reference in page
                assert plan.mandate_reference in mine and 'id="plan-schedule"' in mine
                assert mine.count('class="plan-instalment" data-status="paid"') == 1
                assert mine.count('class="plan-instalment" data-status="pending"') == 2
            else:
                assert 'id="plan-accept"' in page  # waiting for the owner's answer
                assert 'id="plan-proposed"' in mine
        # The settings pages for card payments and for the plan.
        settings = client.get(f"/w/{slug}/settings/card-payments")
        assert settings.status_code == 200
        settings = settings.get_data(as_text=True)
        assert 'id="stripe-status" data-status="active"' in settings
        assert book["account"].account_id in settings
        paid = book["cards"][0][2]
        assert f"{paid:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in settings
        plan_page = client.get(f"/w/{slug}/settings/plan")
        assert plan_page.status_code == 200 and "Profesional" in plan_page.get_data(as_text=True)
        # Every page reachable from the dashboard (and the debtor portal pages it links to)
        # answers 200.
        visited, failures = _walk(client, slug, gone=book["closed_tokens"])
        assert failures == [], (slug, failures)
        assert visited >= 20, (slug, visited)


def _walk(client, slug, gone=()):
    """Every page reachable by links from the dashboard, a few per URL shape: 200 each. The
    portal page of a case closed at the demo's day, a year before the real clock, has
    expired (410, its clear page), as the link of a case closed 90 days ago does."""
    start = f"/w/{slug}/"
    queue, seen, per_shape, failures, visited = deque([start]), {start}, Counter(), [], 0
    while queue:
        path = queue.popleft()
        response = client.get(path, follow_redirects=True)
        visited += 1
        if response.status_code == 410 and path.removeprefix("/p/") in gone:
            continue
        if response.status_code != 200:
            failures.append(f"{response.status_code} {path}")
            continue
        if response.mimetype != "text/html":
            continue
        for href in re.findall(r'href="([^"#]+)', response.get_data(as_text=True)):
            link = re.sub(r"^https?://[^/]+", "", href.replace("&amp;", "&"))
            if not (link.startswith(start) or link.startswith("/p/")) or "logout" in link:
                continue
            shape = re.sub(r"/\d+", "/<n>", link.split("?")[0]) + (
                "?" + ",".join(sorted(k.split("=")[0] for k in link.split("?")[1].split("&")))
                if "?" in link
                else ""
            )
            if link not in seen and per_shape[shape] < PER_SHAPE:
                seen.add(link)
                per_shape[shape] += 1
                queue.append(link)
    return visited, failures
