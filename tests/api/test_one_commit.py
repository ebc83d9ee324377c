"""The API commits through the same end-of-request hook as the pages (web/transaction.py)."""

from __future__ import annotations


def test_a_refused_api_call_leaves_nothing_of_what_the_service_wrote(monkeypatch, api, ws_a, rows):
    from tenants.services.errors import ServiceError
    from tenants.services.rentals import parties

    real = parties.create_party

    def saves_then_refuses(**fields):
        real(**fields)  # flushed: the row is in the transaction
        raise ServiceError("tax_id_invalid", "tax_id")

    monkeypatch.setattr(parties, "create_party", saves_then_refuses)
    response = api("POST", "/clients", ws_a, json={"name": "Talleres Norte"})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "tax_id"
    assert rows("SELECT name FROM parties") == []


def test_a_successful_api_call_is_committed(api, ws_a, rows):
    response = api("POST", "/clients", ws_a, json={"name": "Talleres Norte"})

    assert response.status_code == 201
    assert rows("SELECT name FROM parties") == [{"name": "Talleres Norte"}]
    [token] = rows("SELECT last_used_at FROM api_tokens")
    assert token["last_used_at"] is not None  # committed with the request, not on its own
