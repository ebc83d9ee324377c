"""Invitations leave through a real RQ worker, in the inviting workspace's tenant."""

from __future__ import annotations

import re


def run_id_of(response) -> int:
    """The JobRun the invite view redirected to (/w/<slug>/members?run=<id>)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"[?&]run=(\d+)", response.location).group(1))


def _progress(tenant, run_id: int) -> str:
    response = tenant.client.get(f"/w/{tenant.slug}/jobs/{run_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_invitations_are_emailed_by_a_worker_in_each_tenant(
    two_tenants, invite, inbox, queued, row, run_worker
):
    a, b = two_tenants
    cases = [
        (a, "Pisos Ana", ("carla@example.com", "dani@example.com")),
        (b, "Locales Bea", ("elena@example.com",)),
    ]
    runs = [run_id_of(invite(tenant, *addresses)) for tenant, _name, addresses in cases]

    assert queued() == 2  # one batch job per workspace, enqueued after each request committed
    assert inbox.messages == []
    assert "En curso: 0 de 2…" in _progress(a, runs[0])

    run_worker()

    for (tenant, workspace, addresses), run_id in zip(cases, runs, strict=True):
        other_workspace = ({"Pisos Ana", "Locales Bea"} - {workspace}).pop()
        for address in addresses:
            [message] = inbox.to(address)
            assert message["Subject"] == f"Ana Pérez te invita a {workspace} en Amparo"
            assert workspace in inbox.body(message)
            assert other_workspace not in inbox.body(message)
            assert inbox.link(address, "/invitations/")
            invitation = row(
                "SELECT tenant_id, sent_at FROM invitations WHERE email = :e", e=address
            )
            assert invitation["tenant_id"] == tenant.id
            assert invitation["sent_at"] is not None
        total = len(addresses)
        run = row("SELECT status, done, total, finished_at FROM job_runs WHERE id = :i", i=run_id)
        assert (run["status"], run["done"], run["total"]) == ("done", total, total)
        assert run["finished_at"] is not None

        fragment = _progress(tenant, run_id)
        assert f"Completado: {total} de {total}." in fragment
        assert 'value="100"' in fragment
        assert "hx-get" not in fragment  # finished: the page stops polling
        page = tenant.client.get(f"/w/{tenant.slug}/members?run={run_id}")
        assert f"Completado: {total} de {total}." in page.get_data(as_text=True)
    assert len(inbox.messages) == 3
    assert queued() == 0


def test_one_tenant_cannot_watch_another_tenants_job(two_tenants, invite):
    a, b = two_tenants
    run_id = run_id_of(invite(a, "carla@example.com"))
    assert b.client.get(f"/w/{b.slug}/jobs/{run_id}").status_code == 404
    assert b.client.get(f"/w/{a.slug}/jobs/{run_id}").status_code == 404


def test_an_invalid_address_among_good_ones_enqueues_nothing(two_tenants, invite, queued, row):
    a, _b = two_tenants
    response = invite(a, "carla@example.com", "not-an-address", "dani@example.com")
    assert response.status_code == 422
    assert "not-an-address" in response.get_data(as_text=True)
    assert queued() == 0
    assert row("SELECT count(*) AS n FROM invitations")["n"] == 0
    assert row("SELECT count(*) AS n FROM job_runs")["n"] == 0


def test_a_refused_invitation_is_retried_and_the_batch_finishes(
    two_tenants, invite, inbox, row, run_worker
):
    a, _b = two_tenants
    run_id = run_id_of(invite(a, "carla@example.com"))
    inbox.refuse_next = 1  # the SMTP server answers 451 once

    run_worker()

    assert len(inbox.to("carla@example.com")) == 1
    email = row("SELECT status, attempts FROM emails WHERE \"to\" = 'carla@example.com'")
    assert (email["status"], email["attempts"]) == ("sent", 2)
    run = row("SELECT status, done, total FROM job_runs WHERE id = :i", i=run_id)
    assert (run["status"], run["done"], run["total"]) == ("done", 1, 1)
    assert "Completado: 1 de 1." in _progress(a, run_id)
