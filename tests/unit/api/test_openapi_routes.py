"""The document describes exactly the routes function_app.py registers, with their parameters and security."""

from __future__ import annotations

import json
import re

import pytest

from shared.api import routes
from shared.api.http import ApiRequest
from shared.api.openapi import NAME_PATTERN, REGISTRY_PATTERN, document
from shared.config import Settings
from shared.services.container import build_services
from tests.unit.api.registered import EVERY_METHOD, http_routes
from tests.unit.api.schema_subset import METHODS, resolve

DOC = document()


def _documented() -> dict[str, frozenset[str]]:
    return {path: frozenset(METHODS & set(item)) for path, item in DOC["paths"].items()}


def _operations() -> list[tuple[str, str, dict]]:
    return [(p, m, item[m]) for p, item in DOC["paths"].items() for m in sorted(METHODS & set(item))]


def test_every_registered_route_is_documented_and_nothing_else() -> None:
    registered = http_routes()
    assert registered, "function_app.py registers no HTTP function"
    assert set(_documented()) == set(registered)
    assert all(spec["methods"] == EVERY_METHOD for spec in registered.values()), "the app answers 405 itself"


def test_a_method_a_route_does_not_offer_is_405_with_allow() -> None:
    handlers = routes.by_template()["registries/{registry}/cache-rules/{name}/validate"]
    request = ApiRequest(
        method="GET", path="/api/x/validate", route_params={}, headers={}, params={}, body=b""
    )

    response = routes.dispatch(handlers, request)

    assert response.status == 405 and response.headers["Allow"] == "POST"
    assert response.body["type"].endswith("#method-not-allowed")


def test_a_caller_without_the_role_is_refused_before_being_told_the_allowed_methods() -> None:
    services = build_services(Settings.from_env({"REQUIRED_CALLER_ROLE": "CacheRules.Admin"}))
    handlers = routes.by_template()["registries/{registry}/cache-rules/{name}/validate"]
    request = ApiRequest(
        method="GET", path="/api/x/validate", route_params={}, headers={}, params={}, body=b""
    )

    response = routes.dispatch(handlers, request, services=lambda: services)

    assert response.status == 401 and "Allow" not in response.headers


def test_routes_use_function_keys_and_the_document_requires_them_globally() -> None:
    assert {a for spec in http_routes().values() for a in spec["auth"]} == {"FUNCTION"}
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["functionKeyHeader"] == {"type": "apiKey", "in": "header", "name": "x-functions-key"}
    assert schemes["functionKeyQuery"] == {"type": "apiKey", "in": "query", "name": "code"}
    assert DOC["security"] == [{"functionKeyHeader": []}, {"functionKeyQuery": []}]
    assert all("security" not in op for _, _, op in _operations()), "no operation may opt out of the key"


@pytest.mark.parametrize(
    ("path", "method", "operation"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_path_parameters_carry_their_name_rules(path: str, method: str, operation: dict) -> None:
    parameters = [resolve(DOC, p["$ref"]) for p in DOC["paths"][path].get("parameters", [])]
    by_name = {p["name"]: p["schema"]["pattern"] for p in parameters}
    assert set(by_name) == set(re.findall(r"\{(\w+)\}", path))
    if "registry" in by_name:
        assert by_name["registry"] == REGISTRY_PATTERN == "^[a-zA-Z0-9]{5,50}$"
    if "name" in by_name:
        assert by_name["name"] == NAME_PATTERN == "^[a-zA-Z0-9-]{5,50}$"


@pytest.mark.parametrize(
    ("path", "method", "operation"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_operation_documents_auth_failures_and_server_errors(
    path: str, method: str, operation: dict
) -> None:
    statuses = set(operation["responses"])
    assert {"401", "403", "500"} <= statuses
    assert any(s.startswith("2") for s in statuses)
    if "{registry}" in path:
        assert {"400", "404", "502", "503"} <= statuses
    has_body = "requestBody" in operation
    assert has_body == ({"413", "415"} <= statuses), "413/415 exactly where a body is read"
    for status, response in operation["responses"].items():
        if status.startswith(("4", "5")):
            content = resolve(DOC, response["$ref"])["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


EXPECTED_SUCCESS = {
    ("/api/registries/{registry}/cache-rules", "get"): {"200"},
    ("/api/registries/{registry}/cache-rules", "post"): {"200", "201"},
    ("/api/registries/{registry}/cache-rules/{name}", "put"): {"200", "201"},
    ("/api/registries/{registry}/cache-rules/{name}", "delete"): {"204", "200"},  # 200: ?cleanup=true
    ("/api/registries/{registry}/credential-sets/{name}", "put"): {"200", "201"},
    ("/api/registries/{registry}/credential-sets/{name}", "delete"): {"204"},
    ("/api/registries/{registry}/cache-rules/{name}/validate", "post"): {"200"},
}


@pytest.mark.parametrize(
    ("key", "expected"), EXPECTED_SUCCESS.items(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_success_statuses_follow_the_design(key: tuple[str, str], expected: set[str]) -> None:
    path, method = key
    responses = DOC["paths"][path][method]["responses"]
    assert {s for s in responses if s.startswith("2")} == expected


def test_conflicts_are_documented_where_the_service_raises_them() -> None:
    rule, cs = (
        "/api/registries/{registry}/cache-rules/{name}",
        "/api/registries/{registry}/credential-sets/{name}",
    )
    for path, method in [(rule, "put"), (rule, "patch"), (cs, "put"), (cs, "delete")]:
        assert "409" in DOC["paths"][path][method]["responses"], (path, method)
    assert "Retry-After" in DOC["components"]["responses"]["ServiceUnavailable"]["headers"]


def test_the_document_is_cached_and_json_serialisable() -> None:
    assert document() is DOC
    assert json.loads(json.dumps(DOC)) == DOC


def test_the_openapi_route_serves_the_document() -> None:
    services = build_services(Settings.from_env({}))  # clients are built lazily: no Azure call
    request = ApiRequest(
        method="GET", path="/api/openapi.json", route_params={}, headers={}, params={}, body=b""
    )
    response = routes.run(routes.openapi_document, request, services=lambda: services)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert json.loads(response.encoded()) == DOC
