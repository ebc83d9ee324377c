"""Rentals views: the deposits of the whole rent book on one page (the menu's "Deposits")."""

from __future__ import annotations

from flask import render_template

from tenants.clock import today_in_spain
from tenants.services.rentals.deposit_book import book_deposits
from web.rentals import bp
from web.rentals.leases import LABELS, eur


@bp.get("/deposits")
def deposits_overview():
    rows = book_deposits()
    return render_template(
        "rentals/deposits_overview.html",
        rows=rows,
        held=sum(row.deposit.amount for row in rows if row.deposit.returned_on is None),
        today=today_in_spain(),
        labels=LABELS,
        eur=eur,
    )
