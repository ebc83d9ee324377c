"""Issuing, suspending, reinstating and revoking the badge through the real RQ job and cron,
each change on the workspace's timeline, and closing the workspace (issue 13.1)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.badge.conftest import VALID_CIF
from tests.conftest import post_form

BADGE_EVENTS = ("badge.issued", "badge.suspended", "badge.reinstated", "badge.revoked")


def _enqueue(app, fn, *args):
    from jobs.enqueue import enqueue_now

    with app.app_context():
        enqueue_now(fn, *args)


def _fan_out(app, run_worker):
    """The hourly cron's job and the refreshes it enqueues, in a real worker."""
    from jobs import badges

    _enqueue(app, badges.fan_out_badges)
    run_worker()


def _sql(app, statement: str, **params) -> None:
    """A change made behind the app's back (the clock moving on, a row edited)."""
    from tenants import db
    from tenants.db import across_tenants

    with app.app_context(), across_tenants("test"):
        db.session.execute(text(statement), params)
        db.session.commit()


def _timeline(rows, workspace_id) -> list[tuple[str, str]]:
    return [
        (r["action"], (r["detail"] or {}).get("reason", ""))
        for r in rows(
            "SELECT action, detail FROM activity_events WHERE tenant_id = :t"
            " AND (action LIKE 'badge.%' OR action = 'workspace.closed') ORDER BY id",
            t=workspace_id,
        )
    ]


def _letterhead(ws, tax_id: str):
    return post_form(
        ws.client,
        ws.url("/settings/letterhead"),
        {"legal_name": "Suministros Ana SL", "tax_id": tax_id},
        token_from=ws.url("/settings/letterhead"),
    )


def _with_plan(app, workspace_id, code: str, **kwargs) -> None:
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.billing import plans

    with app.app_context(), tenant_context(workspace_id):
        plans.put_on(code, reason="test", **kwargs)
        db.session.commit()


def test_saving_a_valid_cif_issues_the_badge_through_the_job(
    app, creditor, badge_of, run_worker, rows, es
):
    ws = creditor()  # on its trial of Profesional (with the badge), owner verified, no CIF
    _fan_out(app, run_worker)
    assert badge_of(ws.id) is None  # it lacks a tax id

    response = _letterhead(ws, "b-12345674")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert badge_of(ws.id) is None  # the job runs after the commit, in a worker
    run_worker()

    badge = badge_of(ws.id)
    assert badge["state"] == "active" and badge["version"] == 1
    assert len(badge["token"]) >= 24
    assert _timeline(rows, ws.id) == [("badge.issued", "")]
    assert es("issued the “Protegido por Amparo” badge") in ws.page()

    _fan_out(app, run_worker)  # nothing changed: nothing happens, the same token
    assert badge_of(ws.id) == badge
    assert _timeline(rows, ws.id) == [("badge.issued", "")]


@pytest.mark.parametrize("lapse", ["trial_over", "grace_over"])
def test_losing_the_plan_suspends_the_badge_and_renewal_reinstates_it(
    app, creditor, badge_of, run_worker, rows, es, lapse
):
    ws = creditor()
    assert _letterhead(ws, VALID_CIF).status_code == 302
    if lapse == "grace_over":  # a renewal failed; the plan is kept for the grace period
        _with_plan(app, ws.id, "proteccion", status="past_due")
        _sql(app, "UPDATE subscriptions SET grace_ends_at = now() + interval '2 days'")
    run_worker()
    issued = badge_of(ws.id)
    assert issued["state"] == "active"

    # The trial or the grace period ends with no event at all: the hourly cron notices.
    column = "trial_ends_at" if lapse == "trial_over" else "grace_ends_at"
    _sql(app, f"UPDATE subscriptions SET {column} = now() - interval '1 minute'")  # noqa: S608
    _fan_out(app, run_worker)

    suspended = badge_of(ws.id)
    assert (suspended["state"], suspended["reason"]) == ("suspended", "plan")
    assert suspended["token"] == issued["token"]
    assert suspended["version"] == issued["version"] + 1

    # The owner pays: the plan change asks for a refresh, the worker reinstates the badge.
    _with_plan(app, ws.id, "proteccion")
    run_worker()

    reinstated = badge_of(ws.id)
    assert (reinstated["state"], reinstated["reason"]) == ("active", "")
    assert reinstated["token"] == issued["token"]  # the badges already embedded work again
    assert reinstated["version"] == issued["version"] + 2
    assert _timeline(rows, ws.id) == [
        ("badge.issued", ""),
        ("badge.suspended", "plan"),
        ("badge.reinstated", ""),
    ]
    dashboard = ws.page()
    for line in (
        es("issued the “Protegido por Amparo” badge"),
        es("suspended the badge: %(reason)s", reason=es("the plan does not include the badge")),
        es("reinstated the badge: every requirement is met again"),
    ):
        assert line in dashboard


def test_the_expiry_cron_losing_the_plan_suspends_the_badge_too(
    app, qualifying, badge_of, run_worker
):
    """plans.expire_due records the change and asks for a refresh: no hour to wait."""
    from jobs import badges, billing

    ws = qualifying()
    _enqueue(app, badges.refresh_badge, ws.id)
    run_worker()
    _with_plan(app, ws.id, "proteccion", status="past_due")
    _sql(app, "UPDATE subscriptions SET grace_ends_at = now() - interval '1 minute'")

    _enqueue(app, billing.expire_plans)
    run_worker()

    assert badge_of(ws.id)["state"] == "suspended"


def test_requirements_missing_are_listed_and_the_first_is_the_reason(
    app, creditor, create_user, create_workspace, badge_of, run_worker
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance

    def missing(workspace_id):
        with app.app_context(), tenant_context(workspace_id):
            found = issuance.missing_requirements()
            db.session.rollback()
            return found

    ws = creditor()
    assert missing(ws.id) == ["tax_id"]
    create_user(email="luis@example.com", name="Luis", verified=False)
    other_id, _slug = create_workspace(name="Locales Luis", owner_email="luis@example.com")
    _with_plan(app, other_id, "gratis")
    _sql(app, "DELETE FROM ladder_steps")
    _sql(
        app,
        "INSERT INTO ladders (tenant_id, name, min_gap_days, payment_days, credit_file_warning,"
        " credit_file_name, created_at) VALUES (:t, 'Vacía', 5, 10, false, '', now())",
        t=other_id,
    )
    assert missing(other_id) == ["plan", "email", "tax_id", "ladder"]

    # An active badge whose CIF is taken off the letterhead is suspended for that reason.
    assert _letterhead(ws, VALID_CIF).status_code == 302
    run_worker()
    assert badge_of(ws.id)["state"] == "active"
    assert _letterhead(ws, "").status_code == 302
    run_worker()
    assert badge_of(ws.id)["state"] == "suspended"
    assert badge_of(ws.id)["reason"] == "tax_id"
    assert badge_of(other_id) is None


def test_invoices_are_registered_while_the_badge_is_active(
    app, qualifying, badge_of, add_invoice, rows, run_worker
):
    from jobs import badges
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.badge import issuance
    from tenants.services.errors import NotFound

    ws = qualifying()
    first, second = add_invoice(ws.id, "F-1"), add_invoice(ws.id, "F-2")
    _enqueue(app, badges.refresh_badge, ws.id)
    run_worker()

    registered = rows("SELECT charge_id, token FROM invoice_badges ORDER BY charge_id")
    assert [r["charge_id"] for r in registered] == [first, second]
    tokens = {r["token"] for r in registered} | {badge_of(ws.id)["token"]}
    assert len(tokens) == 3 and all(len(t) >= 24 for t in tokens)

    third = add_invoice(ws.id, "F-3")
    with app.app_context(), tenant_context(ws.id):
        assert issuance.register_invoice(first).token == registered[0]["token"]  # idempotent
        made = issuance.register_invoice(third)
        assert issuance.register_invoice(third).token == made.token
        rent_or_unknown = db.session.scalar(text("SELECT max(id) + 1 FROM charges"))
        with pytest.raises(NotFound):
            issuance.register_invoice(rent_or_unknown)
        db.session.commit()
    assert len(rows("SELECT id FROM invoice_badges")) == 3


def test_a_law_firm_never_gets_a_badge(app, creditor, badge_of, run_worker):
    from jobs import badges
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    firm = creditor(kind="law_firm", name="Bufete Gil", email="gil@example.com")
    with app.app_context(), tenant_context(firm.id):
        db.session.get(Workspace, firm.id).tax_id = VALID_CIF
        assert issuance.missing_requirements() == ["plan"]
        assert issuance.refresh_badge() is None
        db.session.commit()
        assert firm.id not in issuance.tenants_to_refresh()
    _enqueue(app, badges.refresh_badge, firm.id)
    _fan_out(app, run_worker)
    assert badge_of(firm.id) is None


# --- closing the workspace --------------------------------------------------------------------


def _close(ws, typed: str):
    return post_form(
        ws.client,
        ws.url("/settings/close"),
        {"confirm_name": typed},
        token_from=ws.url("/settings/close"),
    )


def test_closing_the_workspace_revokes_the_badge_for_good(
    app, qualifying, badge_of, run_worker, rows, es
):
    from jobs import badges

    ws = qualifying()
    _enqueue(app, badges.refresh_badge, ws.id)
    run_worker()
    token = badge_of(ws.id)["token"]
    assert es("Close workspace") in ws.page()  # the owner's Settings menu

    response = _close(ws, "  suministros ana ")  # case and spaces do not matter
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    revoked = badge_of(ws.id)  # at once, not after some job
    assert (revoked["state"], revoked["reason"], revoked["token"]) == ("revoked", "closed", token)
    [closed_at] = [r["closed_at"] for r in rows("SELECT closed_at FROM workspaces")]
    assert closed_at is not None

    # Nothing brings it back: the cron, a plan renewed, a refresh asked for by hand.
    _with_plan(app, ws.id, "profesional")
    _enqueue(app, badges.refresh_badge, ws.id)
    _fan_out(app, run_worker)
    assert badge_of(ws.id) == revoked
    assert _timeline(rows, ws.id) == [
        ("badge.issued", ""),
        ("workspace.closed", ""),
        ("badge.revoked", "closed"),
    ]
    dashboard = ws.page()
    assert es("closed the workspace") in dashboard
    assert (
        es("revoked the badge for good: %(reason)s", reason=es("the workspace was closed"))
        in dashboard
    )
    assert 'id="workspace-closed"' in dashboard  # the banner, on every page
    assert 'id="workspace-closed"' in ws.page("/invoices")
    assert 'id="close-workspace-button"' not in ws.page("/settings/close")


def test_the_fan_out_leaves_closed_workspaces_alone_once_revoked(app, qualifying, badge_of):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import Workspace
    from tenants.services.badge import issuance

    ws = qualifying()
    with app.app_context(), tenant_context(ws.id):
        issuance.refresh_badge()
        # Closed by a path that did not revoke (a refresh lost): the cron still revokes it.
        db.session.get(Workspace, ws.id).closed_at = utcnow()
        db.session.commit()
        assert ws.id in issuance.tenants_to_refresh()
        assert issuance.refresh_badge() == "revoked"
        db.session.commit()
        assert ws.id not in issuance.tenants_to_refresh()


def test_closing_needs_the_owner_and_the_workspace_name(
    app, qualifying, badge_of, create_user, make_client, rows, es, message
):
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member
    from tests.conftest import login

    ws = qualifying()
    with app.app_context(), tenant_context(ws.id):
        from tenants.services.badge import issuance

        issuance.refresh_badge()
        db.session.commit()
    before = badge_of(ws.id)

    manager_id = create_user(email="mar@example.com", name="Mar")
    with app.app_context(), tenant_context(ws.id):
        db.session.add(Member(user_id=manager_id, role="manager"))
        db.session.commit()
    manager = make_client()
    login(manager, "mar@example.com")
    assert manager.get(ws.url("/settings/close")).status_code == 403
    assert 'id="menu-close-workspace"' not in manager.get(ws.url("/")).get_data(as_text=True)
    refused = post_form(
        manager, ws.url("/settings/close"), {"confirm_name": ws.name}, token_from=ws.url("/")
    )
    assert refused.status_code == 403

    wrong = _close(ws, "Suministros Anna")
    assert wrong.status_code == 422
    assert message("workspace_name_mismatch") in wrong.get_data(as_text=True)
    empty = _close(ws, "")
    assert empty.status_code == 422
    assert es("This field is required.") in empty.get_data(as_text=True)

    assert rows("SELECT closed_at FROM workspaces") == [{"closed_at": None}]
    assert badge_of(ws.id) == before
    assert _timeline(rows, ws.id) == [("badge.issued", "")]


def test_the_collections_sweep_skips_a_closed_workspace(
    app, qualifying, add_invoice, rows, run_worker
):
    from jobs import collections
    from tenants.db import utcnow
    from tenants.services.collections import sweep

    ws = qualifying()
    other = qualifying(name="Locales Bea", email="bea@example.com")
    add_invoice(ws.id, "F-1")
    add_invoice(other.id, "F-1")
    with app.app_context():
        assert sweep.tenants_with_due_work(utcnow()) == sorted([ws.id, other.id])
        # A sweep enqueued just before the workspace closed.
        from jobs.enqueue import enqueue_now

        enqueue_now(collections.sweep_workspace, ws.id, utcnow().isoformat())

    assert _close(ws, ws.name).status_code == 302

    with app.app_context():
        assert sweep.tenants_with_due_work(utcnow()) == [other.id]
    _enqueue(app, collections.fan_out_collections)
    run_worker()

    cases = "SELECT count(*) AS n FROM cases WHERE tenant_id = :t"
    assert rows(cases, t=ws.id) == [{"n": 0}]  # its overdue invoice is not chased
    assert rows(cases, t=other.id) == [{"n": 1}]
