"""The firm's data-processing agreement (GDPR art. 28, docs/law.md#gdpr-28-law-firms) and its
profile page: a partner accepts the agreement with an explicit tick, a lawyer may not; the
version, the date and who accepted it are kept; until then the dashboard says no case comes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, login, post_form
from tests.escalations.test_firms import create_firm  # noqa: F401 - the fixture

DPA = "/w/bufete-uno/settings/dpa"


@pytest.fixture
def firm(app, create_firm, create_user):  # noqa: F811 - the fixture imported above
    """Bufete Uno, its agreement not accepted: Socia is its partner, Luis its lawyer."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    firm_id = create_firm(dpa=False)
    lawyer_id = create_user(email="luis@example.com", name="Luis Letrado", language="en")
    with app.app_context(), tenant_context(firm_id):
        db.session.add(Member(user_id=lawyer_id, role="lawyer"))
        db.session.commit()
    return firm_id


def stored(app, firm_id):
    from tenants import db
    from tenants.models.escalations import LawFirm

    with app.app_context():
        firm = db.session.get(LawFirm, firm_id)
        return firm.dpa_version, firm.dpa_accepted_at, firm.dpa_accepted_by_id


def test_a_partner_accepts_the_agreement_and_the_record_holds_version_date_and_who(
    app, client, firm, es, message
):
    from tenants import db
    from tenants.db import tenant_context, utcnow
    from tenants.models import ActivityEvent
    from tenants.services.escalations.core import DPA_VERSION
    from tenants.services.platform.accounts import find_user_by_email

    login(client, "socia@example.com")
    dashboard = client.get("/w/bufete-uno/").get_data(as_text=True)
    banner = es("Your firm will not receive cases until it accepts the data-processing agreement.")
    assert banner in dashboard and DPA in dashboard
    page = client.get(DPA).get_data(as_text=True)
    assert "Encargo de tratamiento" in page and "art. 28.3 RGPD" in page  # in her language
    assert es("Not accepted yet.") in page
    unticked = post_form(client, DPA, {"version": DPA_VERSION}, token_from=DPA)
    assert unticked.status_code == 422
    assert message("dpa_not_ticked") in unticked.get_data(as_text=True)
    assert stored(app, firm) == (None, None, None)
    before = utcnow()
    accepted = post_form(client, DPA, {"version": DPA_VERSION, "agree": "y"}, token_from=DPA)
    assert accepted.status_code == 302
    version, accepted_at, by_id = stored(app, firm)
    with app.app_context():
        partner_id = find_user_by_email("socia@example.com").id
        with tenant_context(firm):
            event = db.session.scalar(
                select(ActivityEvent).where(ActivityEvent.action == "firm.dpa")
            )
            assert (event.actor_id, event.detail) == (partner_id, {"version": DPA_VERSION})
    assert (version, by_id) == (DPA_VERSION, partner_id)
    assert before <= accepted_at <= utcnow()
    page = client.get(DPA).get_data(as_text=True)
    assert 'id="dpa-accepted"' in page and "Socia" in page and 'id="dpa-form"' not in page
    assert banner not in client.get("/w/bufete-uno/").get_data(as_text=True)
    # Accepting again keeps the first record.
    post_form(client, DPA, {"version": DPA_VERSION, "agree": "y"}, token_from="/w/bufete-uno/")
    assert stored(app, firm) == (version, accepted_at, by_id)


def test_a_lawyer_may_read_the_agreement_but_not_accept_it(app, firm, make_client, es):
    from tenants.services.escalations.core import DPA_VERSION

    lawyer = make_client()
    login(lawyer, "luis@example.com")
    page = lawyer.get(DPA).get_data(as_text=True)
    assert "Data-processing agreement between the creditor and the law firm" in page  # English
    assert "processor" in page and 'id="dpa-form"' not in page
    refused = post_form(
        lawyer, DPA, {"version": DPA_VERSION, "agree": "y"}, token_from="/w/bufete-uno/"
    )
    assert refused.status_code == 403
    assert stored(app, firm) == (None, None, None)


def test_an_older_version_shows_as_not_accepted_and_a_stale_form_is_refused(
    app, client, firm, es, message
):
    from tenants import db
    from tenants.models.escalations import LawFirm
    from tenants.services.escalations.core import DPA_VERSION

    with app.app_context():
        db.session.get(LawFirm, firm).dpa_version = "2025-01"
        db.session.commit()
    login(client, "socia@example.com")
    page = client.get(DPA).get_data(as_text=True)
    assert 'id="dpa-not-accepted"' in page and "2025-01" in page
    stale = post_form(client, DPA, {"version": "2025-01", "agree": "y"}, token_from=DPA)
    assert stale.status_code == 422
    assert message("dpa_version_changed", version=DPA_VERSION) in stale.get_data(as_text=True)
    assert stored(app, firm)[0] == "2025-01"


def test_the_firm_profile_shows_its_terms_and_load_read_only(app, client, firm, es, money):
    login(client, "socia@example.com")
    html = client.get("/w/bufete-uno/settings/firm").get_data(as_text=True)
    assert "Madrid, Toledo" in html
    assert es("Payment order (monitorio)") in html
    assert es("%(open)s open escalations now, of %(capacity)s at once", open=0, capacity=2) in html
    assert money("300") in html and money("150") in html
    assert es("Only the platform administrator changes these terms.") in html
    assert "<form" not in html.split('id="main"', 1)[1]  # nothing to change here


def test_a_creditor_has_no_firm_pages(client, create_workspace):
    create_workspace(name="Pisos Ana")
    login(client, "ana@example.com", PASSWORD)
    for page in ("settings/firm", "settings/dpa"):
        assert client.get(f"/w/pisos-ana/{page}").status_code == 404
