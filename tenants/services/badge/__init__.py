"""The "Protegido por Amparo" badge (issue 13): who qualifies, issuing, suspending,
reinstating and revoking it (issuance.py), the public lookups of a token (lookup.py), the
registered invoices and their stamping (invoices.py), and the daily views (views.py)."""
