"""A stored value (a role, an email's status) reaches a page in the reader's words, never as
it is stored: "Gestor", not "manager" (issue 11.11)."""

from __future__ import annotations

import re

from tests.platform.test_invitations import invite, owner  # noqa: F401 - fixture


def test_roles_are_named_in_spanish_on_the_members_page_and_the_workspace_list(
    owner,  # noqa: F811
    es,
):
    invite(owner, "luis@example.com", role="manager")
    members = owner.client.get(f"/w/{owner.slug}/members").get_data(as_text=True)
    (pending,) = re.findall(r"luis@example\.com · ([^·<]+) ·", members)
    assert pending.strip() == es("Manager") == "Gestor"

    workspaces = owner.client.get("/workspaces").get_data(as_text=True)
    assert f"· {es('Owner')}</span>" in workspaces
    assert "· owner<" not in workspaces
