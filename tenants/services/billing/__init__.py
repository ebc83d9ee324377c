"""Stripe and what it bills: the client and idempotency keys (stripe_api), webhook events
(events), the workspaces' plans (plans)."""
