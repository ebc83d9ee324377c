"""Helpers and fixtures for the collections job tests: a landlord's rent book with an unpaid
rent, the sweep run in-process as of a given time, and what the emails carried.

Letters are rendered by real workers at the real time, so every scenario is dated in the past:
the rent fell due weeks ago and the sweep is run "as it would have run" on each day since.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader

from tenants.clock import spanish_time, today_in_spain

RENTER = "Lucía Fernández Gómez"
RENTER_EMAIL = "lucia@example.com"
GUARANTOR = "George Whitfield"
GUARANTOR_EMAIL = "george@example.com"
LANDLORD = "Inmuebles Ruiz SL"

# WeasyPrint leaves its sRGB ICC profile open when writing PDF/A (see tests/letters/test_render.py)
RENDER_WARNING = r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning"


def madrid(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock in Madrid on `day`, as the aware UTC time the sweep takes."""
    return spanish_time(day, time(hour))


def today() -> date:
    return today_in_spain()


@dataclass
class RentBook:
    workspace_id: int
    lease_id: int
    renter_id: int
    guarantor_id: int | None
    due: date  # the unpaid rent's due date


def landlord_with_a_flat(workspace_id: int):
    """In the current tenant: the letterhead filled in, and one flat to let. Returns the unit."""
    from tenants import db
    from tenants.models import Workspace
    from tenants.services.rentals import properties

    workspace = db.session.get(Workspace, workspace_id)
    workspace.legal_name = LANDLORD
    workspace.street = "Calle Mayor 1"
    workspace.postal_code = "28013"
    workspace.city = "Madrid"
    workspace.contact_email = "ana@example.com"
    building = properties.create_property(
        name="Calle de la Luna 3",
        street="Calle de la Luna 3",
        postal_code="28004",
        city="Madrid",
        province="Madrid",
    )
    return properties.add_unit(building.id, label="2º B")


@pytest.fixture
def rent_book(app, create_workspace):
    """A landlord (letterhead filled in) with one lease whose rent of `due`'s month is unpaid.

    The renter writes Spanish and has an email; the guarantor (if any) writes English."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals import charges, leases, parties

    def create(
        due: date,
        *,
        guarantor: bool = True,
        renter_email: str | None = RENTER_EMAIL,
        rent: str = "750.00",
    ) -> RentBook:
        workspace_id, _slug = create_workspace(name="Pisos Ana", kind="landlord")
        with app.app_context(), tenant_context(workspace_id):
            unit = landlord_with_a_flat(workspace_id)
            renter = parties.create_party(name=RENTER, email=renter_email, language="es")
            backer = (
                parties.create_party(name=GUARANTOR, email=GUARANTOR_EMAIL, language="en")
                if guarantor
                else None
            )
            lease = leases.create_lease(
                leases.LeaseInput(
                    unit_id=unit.id,
                    renter_ids=[renter.id],
                    guarantor_ids=[backer.id] if backer else [],
                    start_date=due,
                    rent=rent,
                    due_day=due.day,
                    payment_method="cash",
                )
            )
            charges.generate_rent_charges(due)
            db.session.commit()
            return RentBook(workspace_id, lease.id, renter.id, backer.id if backer else None, due)

    return create


@pytest.fixture
def sweep_at(app):
    """Run the sweep of one workspace in-process as of `now` and commit; the render jobs are
    enqueued after the commit, as the cron job's would be."""
    import jobs.enqueue  # noqa: F401 - the outbox listener that enqueues after commit
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.collections import sweep

    def run(workspace_id: int, now: datetime) -> dict:
        with app.app_context(), tenant_context(workspace_id):
            result = sweep.sweep(now).as_dict()
            db.session.commit()
            return result

    return run


@pytest.fixture
def in_workspace(app):
    """Call `fn()` in the workspace's context and commit (enqueueing what the services ask)."""
    import jobs.enqueue  # noqa: F401
    from tenants import db
    from tenants.db import tenant_context

    def call(workspace_id: int, fn):
        with app.app_context(), tenant_context(workspace_id):
            try:
                result = fn()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise

    return call


@pytest.fixture
def owner(app):
    """The workspace owner (ana@example.com), for approvals."""
    from tenants.services.platform.accounts import find_user_by_email

    def get():
        return find_user_by_email("ana@example.com")

    return get


def attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


def pdf_text(message) -> str:
    """The text of the email's one PDF attachment, whitespace collapsed."""
    files = attachments(message)
    assert len(files) == 1, [name for name, _ in files]
    name, content = files[0]
    assert name.endswith(".pdf") and content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def money(value) -> str:
    """An amount as the letter prints it, spaces as pdf_text gives them ("750,00 €")."""
    from letters.render import format_money

    return re.sub(r"\s+", " ", format_money(value))


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
