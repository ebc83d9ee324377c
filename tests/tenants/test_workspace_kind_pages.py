"""A workspace's kind decides its pages (issue 10.2, issue 11.15): a law firm sees only what a
law firm does, a landlord no invoices, a business no rent book; another kind's page is 404."""

from __future__ import annotations

import pytest

from tests.conftest import login

# Each kind's own pages among the workspace's GET pages that take no id. A page of the list
# below that is not a kind's own must answer 404 there.
OWN = {
    "law_firm": {
        "ws.dashboard",
        "ws.members",
        "ws.firm_profile",  # Settings → Firm profile (issue 14.1)
        "ws.firm_dpa",  # Settings → Data-processing agreement (issue 14.1)
        "ws.escalations.inbox_list",  # the case inbox (issue 14.4)
    },
    "landlord": {
        "ws.dashboard",
        "ws.members",
        "ws.rentals.bank",
        "ws.collections.case_list",
        "ws.collections.approvals",
        "ws.collections.postal_tray",
        "ws.collections.postal_tray_pdf",
        "ws.rentals.import_upload",
        "ws.rentals.import_template",
        "ws.rentals.lease_list",
        "ws.rentals.lease_new",
        "ws.rentals.parties_list",
        "ws.rentals.party_new",
        "ws.rentals.properties_list",
        "ws.rentals.rent_updates_list",
        "ws.rentals.archived",
        "ws.rentals.deposits_overview",
        "ws.api_tokens",
        "ws.collections.ladder_settings",
        "ws.collections.letterhead_settings",
        "ws.plan",
        "ws.plan_done",
        "ws.card_payments",
        "ws.card_onboarding_return",
        "ws.card_onboarding_refresh",
        "ws.badge_settings",  # Settings → Badge (issue 13.5)
        "ws.close_workspace",  # Settings → Close workspace (issue 13.1)
    },
}
OWN["business"] = (
    OWN["landlord"]
    - {
        "ws.rentals.bank",
        "ws.rentals.import_upload",
        "ws.rentals.import_template",
        "ws.rentals.lease_list",
        "ws.rentals.lease_new",
        "ws.rentals.properties_list",
        "ws.rentals.rent_updates_list",
        "ws.rentals.archived",
        "ws.rentals.deposits_overview",
    }
) | {
    "ws.receivables.invoice_list",
    "ws.receivables.invoice_import_upload",
    "ws.receivables.invoice_new",
}


# The letterhead's logo is a file, 404 until one is uploaded: tried in the letterhead tests.
NOT_A_PAGE = {"ws.collections.letterhead_logo"}


def pages_without_ids(app) -> dict[str, str]:
    return {
        rule.endpoint: rule.rule.replace("<slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/w/<slug>/")
        and "GET" in rule.methods
        and set(rule.arguments) == {"slug"}
        and rule.endpoint not in NOT_A_PAGE
    }


@pytest.mark.parametrize("kind", ["law_firm", "landlord", "business"])
def test_each_kind_opens_its_own_pages_and_no_other(app, client, create_workspace, kind, es):
    _id, slug = create_workspace(name="Espacio", kind=kind)
    login(client, "ana@example.com")
    pages = pages_without_ids(app)
    every_own = set().union(*OWN.values())
    assert set(pages) <= every_own, "a new page: say in OWN which kinds have it"
    for endpoint, path in sorted(pages.items()):
        response = client.get(path.format(slug=slug))
        if endpoint in OWN[kind]:
            assert response.status_code in (200, 302), f"{kind} {path}: {response.status_code}"
        else:
            assert response.status_code == 404, f"{kind} {path}: {response.status_code}"
    menu = client.get(f"/w/{slug}/").get_data(as_text=True)
    if kind != "business":
        assert f"/w/{slug}/invoices" not in menu and es("New invoice") not in menu
    if kind == "law_firm":
        for page in ("parties", "cases", "leases", "properties", "settings/ladder"):
            assert f"/w/{slug}/{page}" not in menu
