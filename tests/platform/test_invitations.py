"""Invitations and members, as the owner who invites and the person invited see them.

Ana Pérez owns "Pisos Ana" (the `owner` fixture). Her invitations leave as real email through a
burst RQ worker; where the email itself is not the point, the test signs the link the way the
invitation job does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tenants.db import utcnow
from tenants.services.platform.secrets import sign_link
from tests.conftest import PASSWORD, Tenant, login, post_form
from tests.platform import test_accounts as accounts
from tests.platform.test_accounts import (
    NEW_PASSWORD,
    count,
    deliver_mail,
    field_error,
    path_of,
    signed_ago,
    tampered,
)

sql = accounts.sql


@pytest.fixture
def owner(create_workspace, make_client) -> Tenant:
    workspace_id, slug = create_workspace()
    client = make_client()
    login(client)
    return Tenant(workspace_id, slug, "ana@example.com", client)


@pytest.fixture
def add_member(app, create_user):
    """A new person in a workspace with a role, straight in the database; the member id."""
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import Member

    def add(workspace_id: int, email: str, role: str, name: str = "Luis Gómez") -> int:
        user_id = create_user(email=email, name=name)
        with app.app_context(), tenant_context(workspace_id):
            member = Member(user_id=user_id, role=role)
            db.session.add(member)
            db.session.commit()
            return member.id

    return add


def invite(tenant: Tenant, emails: str, role: str = "manager", **kwargs):
    members = f"/w/{tenant.slug}/members"
    return post_form(
        tenant.client, members, {"emails": emails, "role": role}, token_from=members, **kwargs
    )


def invitation_path(settings, invitation: dict) -> str:
    """The link the invitation email carries (signed like jobs.invitations does)."""
    token = sign_link(
        settings["SECRET_KEY"], "invite", {"i": invitation["id"], "e": invitation["email"]}
    )
    return f"/invitations/{token}"


def member_roles(sql, workspace_id: int) -> dict[str, str]:
    rows = sql(
        "SELECT u.email, m.role FROM members m JOIN users u ON u.id = m.user_id "
        "WHERE m.tenant_id = :w",
        w=workspace_id,
    )
    return {row["email"]: row["role"] for row in rows}


# --- inviting and joining ------------------------------------------------------------------


def test_an_invited_person_creates_an_account_from_the_email_and_joins_with_the_role(
    owner, make_client, inbox, run_worker, sql, es
):
    response = invite(owner, "Marta@Example.com", "manager")
    assert response.status_code == 302
    progress = response.headers["Location"]
    assert progress.startswith(f"/w/{owner.slug}/members?run=")
    page = owner.client.get(progress).get_data(as_text=True)
    assert es("Invitations are on their way.") in page
    assert "marta@example.com" in page  # listed as pending
    [invitation] = sql("SELECT * FROM invitations")
    assert (invitation["email"], invitation["role"]) == ("marta@example.com", "manager")

    [message] = deliver_mail(run_worker, inbox, "marta@example.com")
    assert message["Subject"] == es(
        "%(name)s invites you to %(workspace)s on Amparo", name="Ana Pérez", workspace="Pisos Ana"
    )
    assert es("Done: %(done)s of %(total)s.", done=1, total=1) in owner.client.get(
        progress
    ).get_data(as_text=True)

    marta = make_client()
    link = path_of(inbox.link("marta@example.com", "/invitations/"))
    page = marta.get(link)
    assert page.status_code == 200
    assert es("Join %(workspace)s", workspace="Pisos Ana") in page.get_data(as_text=True)
    response = post_form(
        marta,
        link,
        {"name": "Marta Sanz", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        token_from=link,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{owner.slug}/"

    dashboard = marta.get(response.headers["Location"])
    assert dashboard.status_code == 200
    assert es("Welcome to %(workspace)s.", workspace="Pisos Ana") in dashboard.get_data(
        as_text=True
    )
    assert member_roles(sql, owner.id) == {
        "ana@example.com": "owner",
        "marta@example.com": "manager",
    }
    [user] = sql("SELECT * FROM users WHERE email = 'marta@example.com'")
    assert user["name"] == "Marta Sanz"
    assert user["email_verified_at"] is not None  # the link reached her inbox
    assert sql("SELECT accepted_at FROM invitations")[0]["accepted_at"] is not None

    used = make_client().get(link)
    assert used.status_code == 410
    assert es("Invitation not valid") in used.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"name": "Marta Sanz", "password": NEW_PASSWORD, "confirm": "otra cosa distinta"},
            "confirm",
            "The two passwords do not match.",
        ),
        (
            {"name": "Marta Sanz", "password": "corta", "confirm": "corta"},
            "password",
            "The password needs at least %(min)s characters.",
        ),
        (
            {"name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "name",
            "This field is required.",
        ),
    ],
    ids=["mismatch", "short", "no-name"],
)
def test_joining_with_bad_input_says_why_and_changes_nothing(
    owner, make_client, settings, sql, es, form, field, message
):
    invite(owner, "marta@example.com")
    [invitation] = sql("SELECT * FROM invitations")
    link = invitation_path(settings, invitation)
    marta = make_client()

    response = post_form(marta, link, form, token_from=link)

    assert response.status_code == 422
    assert es(message, min=10) in field_error(response.get_data(as_text=True), field)
    assert count(sql, "users") == 1
    assert sql("SELECT accepted_at FROM invitations")[0]["accepted_at"] is None
    assert member_roles(sql, owner.id) == {"ana@example.com": "owner"}


def test_someone_with_an_account_logs_in_first_then_accepts(
    owner, create_user, make_client, settings, sql, es
):
    create_user(email="bea@example.com", name="Bea Martín")
    invite(owner, "bea@example.com", "viewer")
    [invitation] = sql("SELECT * FROM invitations")
    link = invitation_path(settings, invitation)
    bea = make_client()

    response = bea.get(link)
    assert response.status_code == 302
    login_page = response.headers["Location"]
    assert path_of(login_page) == "/login"
    assert es(
        "Log in as %(email)s to join %(workspace)s.", email="bea@example.com", workspace="Pisos Ana"
    ) in bea.get(login_page).get_data(as_text=True)
    assert member_roles(sql, owner.id) == {"ana@example.com": "owner"}

    response = post_form(bea, login_page, {"email": "bea@example.com", "password": PASSWORD})
    assert response.headers["Location"] == link
    assert es("Accept the invitation") in bea.get(link).get_data(as_text=True)
    response = post_form(bea, link, {}, token_from=link)

    assert response.headers["Location"] == f"/w/{owner.slug}/"
    assert bea.get(f"/w/{owner.slug}/").status_code == 200
    assert member_roles(sql, owner.id) == {"ana@example.com": "owner", "bea@example.com": "viewer"}


def test_an_invitation_for_another_address_cannot_be_accepted(
    owner, create_workspace, make_client, settings, sql, es
):
    invite(owner, "marta@example.com")
    [invitation] = sql("SELECT * FROM invitations")
    link = invitation_path(settings, invitation)
    create_workspace(name="Locales Bea", owner_email="bea@example.com")
    bea = make_client()
    login(bea, "bea@example.com")

    response = post_form(bea, link, {}, token_from=link, follow_redirects=True)

    assert es(
        "This invitation was sent to %(email)s. Log in with that address to accept it.",
        email="marta@example.com",
    ) in response.get_data(as_text=True)
    assert member_roles(sql, owner.id) == {"ana@example.com": "owner"}
    assert sql("SELECT accepted_at FROM invitations")[0]["accepted_at"] is None


def test_a_revoked_invitations_link_is_not_valid(owner, make_client, settings, sql, es):
    invite(owner, "marta@example.com")
    [invitation] = sql("SELECT * FROM invitations")
    link = invitation_path(settings, invitation)
    assert make_client().get(link).status_code == 200

    members = f"/w/{owner.slug}/members"
    response = post_form(
        owner.client,
        f"/w/{owner.slug}/invitations/{invitation['id']}/revoke",
        {},
        token_from=members,
        follow_redirects=True,
    )
    assert response.request.path == members
    page = response.get_data(as_text=True)
    assert es("The invitation has been revoked.") in page
    assert "marta@example.com" not in page

    marta = make_client()
    for response in (
        marta.get(link),
        post_form(
            marta, link, {"name": "Marta Sanz", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ),
    ):
        assert response.status_code == 410
        assert es("Invitation not valid") in response.get_data(as_text=True)
    assert count(sql, "users") == 1


@pytest.mark.parametrize(
    "problem", ["link-expired", "invitation-expired", "tampered", "forged", "other-email"]
)
def test_a_bad_invitation_link_is_not_valid(
    owner, make_client, settings, admin_engine, sql, es, problem
):
    invite(owner, "marta@example.com")
    [invitation] = sql("SELECT * FROM invitations")
    payload = {"i": invitation["id"], "e": invitation["email"]}
    key = settings["SECRET_KEY"]
    if problem == "invitation-expired":
        with admin_engine.begin() as conn:
            conn.execute(
                text("UPDATE invitations SET expires_at = :t"),
                {"t": utcnow() - timedelta(minutes=1)},
            )
    token = {
        "link-expired": lambda: signed_ago(settings, 8 * 24 * 3600, "invite", payload),
        "invitation-expired": lambda: sign_link(key, "invite", payload),
        "tampered": lambda: tampered(sign_link(key, "invite", payload)),
        "forged": lambda: sign_link("another-key", "invite", payload),
        "other-email": lambda: sign_link(key, "invite", {**payload, "e": "eve@example.com"}),
    }[problem]()

    response = make_client().get(f"/invitations/{token}")

    assert response.status_code == 410
    assert es("Invitation not valid") in response.get_data(as_text=True)
    assert sql("SELECT accepted_at FROM invitations")[0]["accepted_at"] is None


# --- who may invite, and whom ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_an_owner_can_invite(owner, add_member, make_client, sql, es, role):
    add_member(owner.id, "luis@example.com", role)
    luis = make_client()
    login(luis, "luis@example.com")
    members = f"/w/{owner.slug}/members"

    page = luis.get(members).get_data(as_text=True)
    assert 'name="emails"' not in page  # no invitation form to fill in

    response = post_form(
        luis, members, {"emails": "marta@example.com", "role": "owner"}, token_from=members
    )
    assert response.status_code == 403
    assert count(sql, "invitations") == 0


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        ("ana@example.com", "ana@example.com: %s"),
        ("marta@example.com, LUIS@example.com", "LUIS@example.com: %s"),
        ("marta@example.com\nno-es-un-correo", "no-es-un-correo: %s"),
    ],
    ids=["self", "member-in-a-list", "malformed"],
)
def test_inviting_a_member_or_a_bad_address_says_why_and_invites_no_one(
    owner, add_member, sql, es, emails, message
):
    add_member(owner.id, "luis@example.com", "manager")
    why = (
        es("This is not a valid email address.")
        if "no-es" in emails
        else es("This person is already a member of the workspace.")
    )

    response = invite(owner, emails)

    assert response.status_code == 422
    assert message % why in field_error(response.get_data(as_text=True), "emails")
    assert (count(sql, "invitations"), count(sql, "job_runs"), count(sql, "emails")) == (0, 0, 0)


# --- roles ------------------------------------------------------------------------------------


def own_member_id(sql, workspace_id: int, email: str) -> int:
    [row] = sql(
        "SELECT m.id FROM members m JOIN users u ON u.id = m.user_id "
        "WHERE m.tenant_id = :w AND u.email = :e",
        w=workspace_id,
        e=email,
    )
    return row["id"]


def test_the_last_owner_can_be_neither_demoted_nor_removed(owner, add_member, sql, es):
    ana = own_member_id(sql, owner.id, "ana@example.com")
    members = f"/w/{owner.slug}/members"
    last_owner = es("The workspace needs at least one member with this role.")

    for action, data in (("role", {"role": "manager"}), ("remove", {})):
        response = post_form(
            owner.client,
            f"{members}/{ana}/{action}",
            data,
            token_from=members,
            follow_redirects=True,
        )
        assert response.request.path == members
        assert last_owner in response.get_data(as_text=True)
        assert member_roles(sql, owner.id) == {"ana@example.com": "owner"}

    add_member(owner.id, "luis@example.com", "owner")
    response = post_form(
        owner.client,
        f"{members}/{ana}/role",
        {"role": "manager"},
        token_from=members,
        follow_redirects=True,
    )
    assert es("The role has been changed.") in response.get_data(as_text=True)
    assert member_roles(sql, owner.id) == {
        "ana@example.com": "manager",
        "luis@example.com": "owner",
    }


def test_an_owner_cannot_touch_another_workspaces_members_or_invitations(two_tenants, sql):
    ana, bea = two_tenants
    invite(ana, "marta@example.com")
    ana_member = own_member_id(sql, ana.id, "ana@example.com")
    [invitation] = sql("SELECT * FROM invitations")
    members = f"/w/{bea.slug}/members"

    for path, data in (
        (f"{members}/{ana_member}/role", {"role": "viewer"}),
        (f"{members}/{ana_member}/remove", {}),
        (f"/w/{bea.slug}/invitations/{invitation['id']}/revoke", {}),
    ):
        response = post_form(bea.client, path, data, token_from=members)
        assert response.status_code == 404, path

    assert member_roles(sql, ana.id) == {"ana@example.com": "owner"}
    assert sql("SELECT revoked_at FROM invitations")[0]["revoked_at"] is None
