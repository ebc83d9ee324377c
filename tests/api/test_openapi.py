"""The OpenAPI document describes exactly the routes the code serves."""

from __future__ import annotations

import re

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        routes.setdefault(path, set()).update(rule.methods - IGNORED_METHODS)
    return routes


def _spec_paths(spec) -> dict[str, set[str]]:
    methods = {"get", "put", "post", "patch", "delete"}
    return {path: {m.upper() for m in item if m in methods} for path, item in spec["paths"].items()}


def test_every_route_is_in_the_spec_with_the_same_methods_and_back(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    routes = _routes(app)
    assert "/clients/{client_id}" in routes  # the conversion of <int:client_id> works
    assert _spec_paths(spec) == routes


def test_every_operation_documents_auth_and_problem_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert spec["security"] == [{"bearerAuth": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path == "/openapi.json":
                continue
            responses = operation["responses"]
            assert "401" in responses, (path, method)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (path, status)


def test_path_parameters_are_declared_for_every_path():
    from web.api.spec import SPEC

    assert SPEC["openapi"] == "3.0.3"
    for path, item in SPEC["paths"].items():
        names = re.findall(r"{([^}]+)}", path)
        declared = [p["name"] for p in item.get("parameters", []) if p["in"] == "path"]
        assert names == declared, path
