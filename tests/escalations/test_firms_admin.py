"""The platform admin keeps the directory of law firms (issue 14.1): /admin/firms and
`flask firms`. Only a platform admin gets in; bad input shows its message and adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import login, post_form

FORM = {
    "name": "Bufete Norte",
    "provinces": "Madrid, Toledo",
    "case_types": ["monitorio", "eviction"],
    "capacity": "20",
    "min_amount": "300",
    "flat_fee": "150,00",
    "success_percent": "10",
    "partner_email": "socia@norte.example",
    "partner_name": "Marta Norte",
}


@pytest.fixture
def admin_client(app, client, create_user):
    from tenants import db
    from tenants.models import User

    user_id = create_user(email="admin@example.com", name="Admin Amparo")
    with app.app_context():
        db.session.get(User, user_id).is_platform_admin = True
        db.session.commit()
    login(client, "admin@example.com")
    return client


def firm_count(app) -> int:
    from tenants import db
    from tenants.models import Workspace
    from tenants.models.escalations import LawFirm

    with app.app_context():
        workspaces = db.session.scalar(select(func.count(Workspace.id)))
        return min(workspaces, db.session.scalar(select(func.count(LawFirm.workspace_id))))


def test_the_admin_adds_a_firm_on_the_page_and_it_is_listed(app, admin_client, es, money):
    page = admin_client.get("/admin/firms")
    assert page.status_code == 200 and es("No law firm yet.") in page.get_data(as_text=True)
    response = post_form(admin_client, "/admin/firms/new", FORM, token_from="/admin/firms/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    html = admin_client.get("/admin/firms").get_data(as_text=True)
    assert es("The firm %(name)s is in the directory.", name="Bufete Norte") in html
    row = html.split('id="firm-', 1)[1].split("</tr>", 1)[0]
    assert "Bufete Norte" in row and "Madrid, Toledo" in row
    assert es("Payment order (monitorio)") in row and es("Eviction for non-payment") in row
    assert "0 / 20" in row and money("300") in row and money("150") in row and "10" in row
    assert es("Not accepted") in row  # the agreement waits for the partner
    assert es("%(email)s (invited)", email="socia@norte.example") in row


@pytest.mark.parametrize(
    ("change", "code", "params"),
    [
        ({"provinces": "Madrid, Narnia"}, "firm_province_unknown", {"province": "Narnia"}),
        ({"case_types": []}, "firm_case_types_required", {}),
        ({"capacity": "veinte"}, "firm_capacity_invalid", {"max": 9999}),
        ({"flat_fee": "-150"}, "amount_negative", {}),
        ({"success_percent": "120"}, "firm_percent_range", {}),
        ({"flat_fee": "", "success_percent": ""}, "firm_terms_required", {}),
    ],
)
def test_bad_input_on_the_page_shows_the_message_and_adds_nothing(
    app, admin_client, message, change, code, params
):
    response = post_form(
        admin_client, "/admin/firms/new", {**FORM, **change}, token_from="/admin/firms/new"
    )
    assert response.status_code == 422
    assert message(code, **params) in response.get_data(as_text=True)
    assert firm_count(app) == 0


def test_the_admin_edits_the_terms_and_deactivates_the_firm(app, admin_client, es):
    from tenants import db
    from tenants.models.escalations import LawFirm

    post_form(admin_client, "/admin/firms/new", FORM, token_from="/admin/firms/new")
    with app.app_context():
        firm_id = db.session.scalar(select(LawFirm.workspace_id))
    edit = f"/admin/firms/{firm_id}"
    form = admin_client.get(edit).get_data(as_text=True)
    assert 'value="Madrid, Toledo"' in form and 'value="150,00"' in form
    changed = {k: v for k, v in FORM.items() if not k.startswith("partner")}
    refused = post_form(admin_client, edit, {**changed, "capacity": "0"}, token_from=edit)
    assert refused.status_code == 422
    response = post_form(
        admin_client,
        edit,
        {**changed, "provinces": "barcelona", "capacity": "3", "flat_fee": ""},
        token_from=edit,
    )
    assert response.status_code == 302
    with app.app_context():
        firm = db.session.get(LawFirm, firm_id)
        assert (firm.provinces, firm.capacity, firm.flat_fee) == (["Barcelona"], 3, None)
    post_form(admin_client, f"{edit}/active", {}, token_from="/admin/firms")
    with app.app_context():
        assert db.session.get(LawFirm, firm_id).active is False
    html = admin_client.get("/admin/firms").get_data(as_text=True)
    assert es("The firm is out of the directory: it receives no new cases.") in html
    row = html.split('id="firm-', 1)[1].split("</tr>", 1)[0]
    assert f">{es('Activate')}</button>" in row


def test_anyone_but_a_platform_admin_gets_no_firm_page(app, client, create_workspace):
    create_workspace(name="Pisos Ana")  # Ana owns a workspace but is no platform admin
    login(client)
    for path in ("/admin/firms", "/admin/firms/new", "/admin/firms/1"):
        assert client.get(path).status_code == 404
    response = post_form(client, "/admin/firms/new", FORM, token_from="/w/pisos-ana/")
    assert response.status_code == 404
    assert firm_count(app) == 0
    anonymous = app.test_client()
    assert anonymous.get("/admin/firms").status_code == 404


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["firms", *args])


def test_the_cli_adds_lists_and_updates_a_firm(app, create_user):
    create_user(email="socio@sur.example", name="Pedro Sur")
    added = _cli(
        app,
        "add",
        "--name",
        "Bufete Sur",
        "--provinces",
        "Sevilla,Málaga",
        "--case-types",
        "monitorio,eviction",
        "--capacity",
        "20",
        "--min-amount",
        "300",
        "--flat-fee",
        "150",
        "--success-percent",
        "10",
        "--partner-email",
        "socio@sur.example",
        "--partner-name",
        "Pedro Sur",
    )
    assert added.exit_code == 0, added.output
    assert "bufete-sur" in added.output
    listed = _cli(app, "list")
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith("bufete-sur"))
    assert "Málaga,Sevilla" in line and "0/20" in line and "DPA not accepted" in line
    assert "150.00 EUR + 10.00 %" in line
    updated = _cli(app, "update", "bufete-sur", "--capacity", "5", "--case-types", "ordinary")
    assert updated.exit_code == 0, updated.output
    line = next(line for line in _cli(app, "list").output.splitlines() if "bufete-sur" in line)
    assert "\tordinary\t" in line and "0/5" in line and "Málaga,Sevilla" in line


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (["--provinces", "Atlantis"], "Atlantis"),
        (["--success-percent", "150"], "between 0 and 100"),
        (["--flat-fee", "-5"], "cannot be negative"),
        (["--case-types", "divorce"], "divorce"),
    ],
)
def test_the_cli_refuses_bad_input_with_the_message_and_exit_code_1(app, bad, words):
    good = {
        "--name": "Bufete Este",
        "--provinces": "Valencia",
        "--case-types": "monitorio",
        "--capacity": "10",
        "--flat-fee": "100",
        "--partner-email": "este@example.com",
    }
    good.update(dict(zip(bad[::2], bad[1::2], strict=True)))
    result = _cli(app, "add", *[part for pair in good.items() for part in pair])
    assert result.exit_code == 1
    assert words in result.output
    assert firm_count(app) == 0
    missing = _cli(app, "update", "no-such-firm", "--capacity", "3")
    assert missing.exit_code == 1 and "no-such-firm" in missing.output
