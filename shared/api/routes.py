"""One handler per HTTP operation of DESIGN.md's API; each parses, calls a service, and shapes the answer."""

from __future__ import annotations

from collections.abc import Callable

from shared.api.auth import PRINCIPAL_HEADER, require_role
from shared.api.http import ApiRequest, ApiResponse, handle, json_body
from shared.domain.requests import (
    check_resource_name,
    parse_cache_rule,
    parse_cache_rule_patch,
    parse_credential_set,
    parse_credential_set_patch,
)
from shared.services.container import Services, get_services

Handler = Callable[[ApiRequest, Services], ApiResponse]


def _name(request: ApiRequest, what: str) -> str:
    name = request.route_params.get("name", "")
    check_resource_name(name, what=what)
    return name


def _rule_name(request: ApiRequest) -> str:
    return _name(request, "cache rule name")


def _set_name(request: ApiRequest) -> str:
    return _name(request, "credential set name")


def _registry(request: ApiRequest) -> str:
    return request.route_params.get("registry", "")


def _body(request: ApiRequest, services: Services) -> object:
    return json_body(request, max_bytes=services.settings.max_body_bytes)


def _location(request: ApiRequest, name: str) -> dict[str, str]:
    return {"Location": f"/api/registries/{_registry(request)}/cache-rules/{name}"}


def list_cache_rules(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(status=200, body=services.provisioning.list_rules(_registry(request)))


def _write_rule(request: ApiRequest, services: Services, name: str | None) -> ApiResponse:
    """PUT names the rule in the URL; POST takes it from the body or derives it from the target."""
    spec = parse_cache_rule(_body(request, services), name=name, rules=services.secret_rules)
    outcome = services.provisioning.put_rule(_registry(request), spec)
    return ApiResponse(
        status=201 if outcome.created else 200, body=outcome.view, headers=_location(request, spec.name)
    )


def create_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    return _write_rule(request, services, None)


def put_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    return _write_rule(request, services, _rule_name(request))


def get_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(
        status=200, body=services.provisioning.get_rule(_registry(request), _rule_name(request))
    )


def patch_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    name = _rule_name(request)
    credential_set = parse_cache_rule_patch(_body(request, services))
    return ApiResponse(
        status=200, body=services.provisioning.patch_rule(_registry(request), name, credential_set)
    )


def delete_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    services.provisioning.delete_rule(_registry(request), _rule_name(request))
    return ApiResponse(status=204)


def validate_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    name = _rule_name(request)
    registry = services.provisioning.registry(_registry(request))
    return ApiResponse(status=200, body=services.validation.validate(registry, name))


def list_credential_sets(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(status=200, body=services.provisioning.list_credential_sets(_registry(request)))


def get_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(
        status=200, body=services.provisioning.get_credential_set(_registry(request), _set_name(request))
    )


def put_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    name = _set_name(request)
    spec = parse_credential_set(_body(request, services), name=name, rules=services.secret_rules)
    outcome = services.provisioning.put_credential_set(_registry(request), spec)
    return ApiResponse(status=201 if outcome.created else 200, body=outcome.view)


def patch_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    name = _set_name(request)
    patch = parse_credential_set_patch(_body(request, services), rules=services.secret_rules)
    return ApiResponse(
        status=200, body=services.provisioning.patch_credential_set(_registry(request), name, patch)
    )


def delete_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    services.provisioning.delete_credential_set(_registry(request), _set_name(request))
    return ApiResponse(status=204)


def openapi_document(request: ApiRequest, services: Services) -> ApiResponse:
    from shared.api.openapi import document

    return ApiResponse(status=200, body=document())


def run(
    handler: Handler, request: ApiRequest, *, services: Callable[[], Services] = get_services
) -> ApiResponse:
    """Authorise, then run ``handler`` with the process's services; errors become problem details."""

    def action(req: ApiRequest) -> ApiResponse:
        wired = services()
        require_role(wired.settings.required_caller_role, req.header(PRINCIPAL_HEADER))
        return handler(req, wired)

    return handle(request, action)
