"""Every deposit of the rent book at once: held, lodged or not (and where), due back or returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tenants.db import session
from tenants.models import Deposit, Lease
from tenants.services.rentals.deposits import LODGEMENT_BODIES, lodgement_deadline


@dataclass
class DepositRow:
    lease: Lease
    deposit: Deposit
    body: str  # where it is (or must be) lodged; "" when the region is not chosen yet
    deadline: date | None  # by when to lodge it, while it is not lodged


def book_deposits() -> list[DepositRow]:
    """Each lease's deposit, running leases first, then by start (newest first)."""
    found = session.execute(
        select(Lease, Deposit)
        .join(Deposit, Deposit.lease_id == Lease.id)
        .order_by(Lease.status.notin_(("draft", "active")), Lease.start_date.desc(), Lease.id)
    ).all()
    return [
        DepositRow(
            lease=lease,
            deposit=deposit,
            body=LODGEMENT_BODIES[deposit.region][0] if deposit.region else "",
            deadline=lodgement_deadline(lease, deposit),
        )
        for lease, deposit in found
    ]
