"""Our calls to Stripe: each effect's idempotency key is fixed and committed before the first
attempt, so a retry, a crash or a second run of a job sends the same key."""

from __future__ import annotations


def test_a_purpose_keeps_its_key_across_calls_and_a_rolled_back_transaction(ctx, rows):
    from tenants import db
    from tenants.models import Workspace
    from tenants.services.billing import stripe_api

    first = stripe_api.options("instalment:42:charge:1")
    assert first == {"idempotency_key": first["idempotency_key"], "stripe_account": None}

    db.session.add(Workspace(name="Rolled back", slug="rolled-back", kind="landlord"))
    db.session.flush()
    inside = stripe_api.options("case:7:checkout:1", account="acct_1")
    db.session.rollback()  # the request or job that asked for it failed

    assert rows("SELECT count(*) AS n FROM workspaces") == [{"n": 0}]
    assert rows("SELECT purpose, idempotency_key, account FROM stripe_requests ORDER BY id") == [
        {
            "purpose": "instalment:42:charge:1",
            "idempotency_key": first["idempotency_key"],
            "account": None,
        },
        {
            "purpose": "case:7:checkout:1",
            "idempotency_key": inside["idempotency_key"],
            "account": "acct_1",
        },
    ]
    assert stripe_api.options("instalment:42:charge:1") == first
    assert stripe_api.options("case:7:checkout:1", account="acct_1") == inside
    assert stripe_api.options("instalment:42:charge:2")["idempotency_key"] not in {
        first["idempotency_key"],
        inside["idempotency_key"],
    }
