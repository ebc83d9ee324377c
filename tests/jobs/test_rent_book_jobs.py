"""The daily rent-book job: fan-out to landlord workspaces, charges, credit, proposals and
the deposit lodgement reminder, through a real worker."""

from datetime import date, timedelta

import pytest

from tests.tenants.conftest import _valid_dni


@pytest.fixture
def landlord(app, create_workspace):
    """A landlord workspace with one lease starting 1 March 2026, deposit to lodge in Madrid."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.services.rentals import leases, parties, properties

    workspace_id, slug = create_workspace(name="Pisos Ana", kind="landlord")
    with app.app_context(), tenant_context(workspace_id):
        prop = properties.create_property(
            name="Calle Mayor 1",
            street="Calle Mayor 1",
            postal_code="28013",
            city="Madrid",
            province="Madrid",
        )
        unit = properties.add_unit(prop.id, label="1º A")
        renter = parties.create_party(name="Juan Pérez", tax_id=_valid_dni(12345678))
        lease = leases.create_lease(
            leases.LeaseInput(
                unit_id=unit.id,
                renter_ids=[renter.id],
                start_date=date(2026, 3, 1),
                signed_on=date(2026, 2, 20),
                rent="900",
                payment_method="cash",
                update_clause="fixed",
                update_fixed_pct="3",
                deposit_region="madrid",
            )
        )
        db.session.commit()
        return workspace_id, lease.id


def test_daily_job_brings_the_book_up_to_date_once(
    app, landlord, create_workspace, run_worker, inbox
):
    from jobs.enqueue import enqueue_now
    from jobs.rentals import fan_out_rent_book
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Charge, RentUpdate

    workspace_id, lease_id = landlord
    create_workspace(name="Comercial", kind="business", owner_email="bea@example.com")
    with app.app_context():
        # 15 March: the deposit is due for lodgement by 22 March (30 days after signing).
        enqueue_now(fan_out_rent_book, "2026-03-15")
        enqueue_now(fan_out_rent_book, "2026-03-15")  # a second run creates nothing twice
    run_worker()
    with app.app_context(), tenant_context(workspace_id):
        charges = db.session.query(Charge).filter_by(lease_id=lease_id).all()
        assert [(c.period_start, c.amount) for c in charges] == [(date(2026, 3, 1), 900)]
        assert db.session.query(RentUpdate).count() == 0  # anniversary is a year away
    reminders = inbox.to("ana@example.com")
    assert len(reminders) == 1
    assert "Agencia de Vivienda Social" in inbox.body(reminders[0])

    with app.app_context():
        # A late run in February 2027: every month since March is created, and the 3 % fixed
        # update for 1 March 2027 is proposed (within 45 days of the anniversary).
        enqueue_now(fan_out_rent_book, "2027-02-01")
    run_worker()
    with app.app_context(), tenant_context(workspace_id):
        months = sorted(c.period_start for c in db.session.query(Charge).all())
        assert months[0] == date(2026, 3, 1) and months[-1] == date(2027, 2, 1)
        assert len(months) == 12
        update = db.session.query(RentUpdate).one()
        assert (update.effective_on, update.new_rent) == (date(2027, 3, 1), 927)
    assert len(inbox.to("ana@example.com")) == 1  # the reminder went once


def test_fan_out_skips_workspaces_without_leases(app, landlord, create_workspace):
    from jobs.rentals import fan_out_rent_book
    from jobs.runtime import bind_app

    create_workspace(name="Vacío", kind="landlord", owner_email="eva@example.com")
    bind_app(app)
    assert fan_out_rent_book((date.today() + timedelta(days=1)).isoformat()) == 1
