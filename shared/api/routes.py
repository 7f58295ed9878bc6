"""Every HTTP operation of DESIGN.md's API, declared once in :data:`ROUTES`.

Each handler parses, calls a service, and renders the domain result as a view. ``functions.http_api`` registers
the blueprint from :data:`ROUTES` and ``shared.api.openapi`` documents the same table, so they cannot drift.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.api import views
from shared.api.auth import PRINCIPAL_HEADER, require_role
from shared.api.dashboard import HTML, dashboard_page
from shared.api.http import ApiRequest, ApiResponse, handle, json_body
from shared.domain.errors import MethodNotAllowed
from shared.domain.requests import (
    check_resource_name,
    parse_audit_query,
    parse_cache_rule,
    parse_cache_rule_patch,
    parse_credential_set,
    parse_credential_set_patch,
    parse_flag,
)
from shared.domain.sweeps import SweepStatus
from shared.services import deadline
from shared.services.audit import caused_by, http_cause

# The container imports every service module: it is imported and built on the first request, not with the app.
if TYPE_CHECKING:
    from shared.services.container import Services

Handler = Callable[[ApiRequest, "Services"], ApiResponse]


def process_services() -> Services:
    """The worker's services, imported and wired on first use so importing the app stays cheap."""
    from shared.services.container import get_services

    return get_services()


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


def list_registries(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(status=200, body=views.registry_list_view(services.reads.registry_summaries()))


def list_cache_rules(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(status=200, body=views.rule_list_view(services.reads.rules(_registry(request))))


def _write_rule(request: ApiRequest, services: Services, name: str | None) -> ApiResponse:
    """PUT names the rule in the URL; POST takes it from the body or derives it from the target."""
    spec = parse_cache_rule(_body(request, services), name=name, rules=services.secret_rules)
    written = services.cache_rules.put(_registry(request), spec)
    return ApiResponse(
        status=201 if written.created else 200,
        body=views.rule_state_view(written.value),
        headers=_location(request, spec.name),
    )


def create_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    return _write_rule(request, services, None)


def put_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    return _write_rule(request, services, _rule_name(request))


def get_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    state = services.reads.rule(_registry(request), _rule_name(request))
    return ApiResponse(status=200, body=views.rule_state_view(state))


def patch_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    name = _rule_name(request)
    credential_set = parse_cache_rule_patch(_body(request, services))
    state = services.cache_rules.patch(_registry(request), name, credential_set)
    return ApiResponse(status=200, body=views.rule_state_view(state))


def delete_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    """``?cleanup=true`` also removes the credential set the app made for the rule when nothing else uses it,
    and answers what became of it (200); a plain delete answers 204."""
    cleanup = parse_flag(request.params.get("cleanup"), field="cleanup")
    deleted = services.cache_rules.delete(_registry(request), _rule_name(request), cleanup=cleanup)
    if not cleanup:
        return ApiResponse(status=204)
    return ApiResponse(status=200, body=views.rule_deleted_view(deleted))


def validate_cache_rule(request: ApiRequest, services: Services) -> ApiResponse:
    name = _rule_name(request)
    registry = services.lookup.registry(_registry(request))
    return ApiResponse(status=200, body=views.validation_view(services.validation.validate(registry, name)))


def list_credential_sets(request: ApiRequest, services: Services) -> ApiResponse:
    return ApiResponse(
        status=200, body=views.set_list_view(services.reads.credential_sets(_registry(request)))
    )


def get_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    state = services.reads.credential_set(_registry(request), _set_name(request))
    return ApiResponse(status=200, body=views.set_state_view(state))


def put_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    name = _set_name(request)
    spec = parse_credential_set(_body(request, services), name=name, rules=services.secret_rules)
    written = services.credential_sets.put(_registry(request), spec)
    return ApiResponse(status=201 if written.created else 200, body=views.set_state_view(written.value))


def patch_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    name = _set_name(request)
    patch = parse_credential_set_patch(_body(request, services), rules=services.secret_rules)
    state = services.credential_sets.patch(_registry(request), name, patch)
    return ApiResponse(status=200, body=views.set_state_view(state))


def delete_credential_set(request: ApiRequest, services: Services) -> ApiResponse:
    services.credential_sets.delete(_registry(request), _set_name(request))
    return ApiResponse(status=204)


def start_sweep(request: ApiRequest, services: Services) -> ApiResponse:
    """200 with the result when the sweep ran here; 202 and its URL when it was fanned out over the queue."""
    from shared.api import sweep_views  # with the sweep's services, on first use (cold start)

    result = services.sweeps.start(trigger="http")
    location = {"Location": sweep_views.sweep_location(result.sweep_id)}
    status = 200 if result.status is SweepStatus.COMPLETED else 202
    return ApiResponse(status=status, body=sweep_views.sweep_view(result), headers=location)


def get_sweep(request: ApiRequest, services: Services) -> ApiResponse:
    from shared.api import sweep_views

    result = services.sweeps.result(request.route_params.get("id", ""))
    return ApiResponse(status=200, body=sweep_views.sweep_view(result))


def get_health(request: ApiRequest, services: Services) -> ApiResponse:
    from shared.api import sweep_views

    query = sweep_views.parse_health_query(request.params)
    return ApiResponse(status=200, body=sweep_views.health_view(services.health_report.page(query)))


def list_audit(request: ApiRequest, services: Services) -> ApiResponse:
    query = parse_audit_query(request.params, now=time.time())
    entries = services.audit.read(since=query.since, resource=query.resource)
    return ApiResponse(status=200, body=views.audit_view(entries))


def get_dashboard(request: ApiRequest, services: Services) -> ApiResponse:
    return dashboard_page()


def openapi_document(request: ApiRequest, services: Services) -> ApiResponse:
    from shared.api.openapi import document

    return ApiResponse(status=200, body=document(services.secret_rules))


def dispatch(
    handlers: Mapping[str, Handler],
    request: ApiRequest,
    *,
    services: Callable[[], Services] = process_services,
) -> ApiResponse:
    """Run the template's handler for the request's method, or answer 405 naming the methods it offers.

    The 405 goes through :func:`run` too, so a caller without the required role learns nothing of the route."""
    handler = handlers.get(request.method)
    if handler is None:
        allowed = tuple(handlers)

        def not_allowed(req: ApiRequest, _: Services) -> ApiResponse:
            raise MethodNotAllowed(
                f"{req.method} is not offered here; use {', '.join(allowed)}", allowed=allowed
            )

        handler = not_allowed
    return run(handler, request, services=services)


def run(
    handler: Handler, request: ApiRequest, *, services: Callable[[], Services] = process_services
) -> ApiResponse:
    """Authorise, then run ``handler`` with the process's services; errors become problem details."""

    def action(req: ApiRequest) -> ApiResponse:
        wired = services()
        require_role(wired.settings.required_caller_role, req.header(PRINCIPAL_HEADER))
        with (
            caused_by(http_cause(req.method, req.path, req.header(PRINCIPAL_HEADER))),
            deadline.within(wired.settings.request_deadline_seconds or None),
        ):
            return handler(req, wired)

    return handle(request, action)


# --- the route table --------------------------------------------------------------------------------------

# Problem statuses every route that looks the registry up can answer, and those added by a body / a delete.
LOOKUP = (400, 401, 403, 404, 429, 500, 502, 503, 504)
BODY = (409, 413, 415)
DELETE = (409,)
AUTH_ONLY = (401, 403, 500)


@dataclass(frozen=True, kw_only=True, slots=True)
class Success:
    status: int
    description: str
    schema: str | None = None
    location: bool = False
    media_type: str = "application/json"


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    """One method of one route: the handler, and what the OpenAPI document says of it."""

    method: str  # upper case, as the Functions host and ``ApiRequest`` spell it
    template: str  # under the host's route prefix (``api``)
    handler: Handler
    operation_id: str
    summary: str
    tag: str
    request: str | None = None  # the request body's schema name
    success: tuple[Success, ...]
    errors: tuple[int, ...] = LOOKUP
    query: tuple[str, ...] = ()  # query parameters, by their OpenAPI component name


RULES = "registries/{registry}/cache-rules"
RULE = RULES + "/{name}"
SETS = "registries/{registry}/credential-sets"
SET = SETS + "/{name}"
RULE_TAG, SET_TAG, META_TAG = "Cache rules", "Credential sets", "Meta"
HEALTH_TAG = "Health"
AUDIT_TAG = "Audit"
REGISTRY_TAG = "Registries"

_RULE_WRITE = (
    Success(status=200, description="The rule already exists as asked.", schema="CacheRule", location=True),
    Success(
        status=201,
        description="The rule (and its credential set and grant) was created.",
        schema="CacheRule",
        location=True,
    ),
)
_SET_WRITE = (
    Success(
        status=200, description="The credential set existed and now is as asked.", schema="CredentialSet"
    ),
    Success(status=201, description="The credential set and its grant were created.", schema="CredentialSet"),
)
_DELETED = (Success(status=204, description="Deleted."),)
_RULE_DELETED = (
    *_DELETED,
    Success(
        status=200,
        description="Deleted with `?cleanup=true`: says whether the rule's credential set went too, and why not.",
        schema="CacheRuleDeleted",
    ),
)

ROUTES: tuple[Route, ...] = (
    Route(
        method="GET",
        template="registries",
        handler=list_registries,
        operation_id="listRegistries",
        summary="List the registries in the managed subscriptions, with their cache rule counts",
        tag=REGISTRY_TAG,
        success=(Success(status=200, description="The registries in scope.", schema="RegistryList"),),
        errors=(401, 403, 429, 500, 502, 503, 504),
    ),
    Route(
        method="GET",
        template=RULES,
        handler=list_cache_rules,
        operation_id="listCacheRules",
        summary="List cache rules",
        tag=RULE_TAG,
        success=(Success(status=200, description="The registry's cache rules.", schema="CacheRuleList"),),
    ),
    Route(
        method="POST",
        template=RULES,
        handler=create_cache_rule,
        operation_id="createCacheRule",
        summary="Create a cache rule, provisioning its credential set and grant",
        tag=RULE_TAG,
        request="CacheRuleCreate",
        success=_RULE_WRITE,
        errors=LOOKUP + BODY,
    ),
    Route(
        method="GET",
        template=RULE,
        handler=get_cache_rule,
        operation_id="getCacheRule",
        summary="Show a cache rule",
        tag=RULE_TAG,
        success=(Success(status=200, description="The cache rule.", schema="CacheRule"),),
    ),
    Route(
        method="PUT",
        template=RULE,
        handler=put_cache_rule,
        operation_id="putCacheRule",
        summary="Create a cache rule by name (idempotent)",
        tag=RULE_TAG,
        request="CacheRulePut",
        success=_RULE_WRITE,
        errors=LOOKUP + BODY,
    ),
    Route(
        method="PATCH",
        template=RULE,
        handler=patch_cache_rule,
        operation_id="patchCacheRule",
        summary="Change a cache rule's credential set",
        tag=RULE_TAG,
        request="CacheRulePatch",
        success=(Success(status=200, description="The updated cache rule.", schema="CacheRule"),),
        errors=LOOKUP + BODY,
    ),
    Route(
        method="DELETE",
        template=RULE,
        handler=delete_cache_rule,
        operation_id="deleteCacheRule",
        summary="Delete a cache rule (with ?cleanup=true, also the credential set the app made for it)",
        tag=RULE_TAG,
        query=("Cleanup",),
        success=_RULE_DELETED,
        errors=LOOKUP + DELETE,
    ),
    Route(
        method="POST",
        template=RULE + "/validate",
        handler=validate_cache_rule,
        operation_id="validateCacheRule",
        summary="Check whether a pull through the cache rule would work",
        tag=RULE_TAG,
        success=(
            Success(status=200, description="Every check and the first failure.", schema="ValidationResult"),
        ),
    ),
    Route(
        method="GET",
        template=SETS,
        handler=list_credential_sets,
        operation_id="listCredentialSets",
        summary="List credential sets",
        tag=SET_TAG,
        success=(
            Success(status=200, description="The registry's credential sets.", schema="CredentialSetList"),
        ),
    ),
    Route(
        method="GET",
        template=SET,
        handler=get_credential_set,
        operation_id="getCredentialSet",
        summary="Show a credential set",
        tag=SET_TAG,
        success=(Success(status=200, description="The credential set.", schema="CredentialSet"),),
    ),
    Route(
        method="PUT",
        template=SET,
        handler=put_credential_set,
        operation_id="putCredentialSet",
        summary="Create or replace a credential set and grant its identity access",
        tag=SET_TAG,
        request="CredentialSetPut",
        success=_SET_WRITE,
        errors=LOOKUP + BODY,
    ),
    Route(
        method="PATCH",
        template=SET,
        handler=patch_credential_set,
        operation_id="patchCredentialSet",
        summary="Point a credential set at other secrets",
        tag=SET_TAG,
        request="CredentialSetPatch",
        success=(Success(status=200, description="The updated credential set.", schema="CredentialSet"),),
        errors=LOOKUP + BODY,
    ),
    Route(
        method="DELETE",
        template=SET,
        handler=delete_credential_set,
        operation_id="deleteCredentialSet",
        summary="Delete an unused credential set and its grants",
        tag=SET_TAG,
        success=_DELETED,
        errors=LOOKUP + DELETE,
    ),
    Route(
        method="POST",
        template="sweeps",
        handler=start_sweep,
        operation_id="startSweep",
        summary="Run a health sweep now (in-process, or fanned out over the sweep queue)",
        tag=HEALTH_TAG,
        success=(
            Success(
                status=200, description="The sweep ran here; its result.", schema="SweepResult", location=True
            ),
            Success(
                status=202,
                description="The sweep was fanned out; poll its URL.",
                schema="SweepResult",
                location=True,
            ),
        ),
        errors=(*AUTH_ONLY, 502, 503),
    ),
    Route(
        method="GET",
        template="sweeps/{id}",
        handler=get_sweep,
        operation_id="getSweep",
        summary="A sweep's result so far",
        tag=HEALTH_TAG,
        success=(Success(status=200, description="The sweep's result.", schema="SweepResult"),),
        errors=(400, 404, *AUTH_ONLY, 503),
    ),
    Route(
        method="GET",
        template="health",
        handler=get_health,
        operation_id="getHealth",
        summary="Every cache rule's last verdict, failing first",
        tag=HEALTH_TAG,
        success=(
            Success(status=200, description="A page of verdicts and their summary.", schema="HealthReport"),
        ),
        errors=(400, *AUTH_ONLY, 503),
        query=("HealthStatus", "HealthRegistry", "Top", "Skip"),
    ),
    Route(
        method="GET",
        template="audit",
        handler=list_audit,
        operation_id="listAudit",
        summary="What the app changed in Azure, and what caused each change",
        tag=AUDIT_TAG,
        success=(
            Success(
                status=200,
                description="The newest audit entries (at most 1,000), oldest first.",
                schema="AuditLog",
            ),
        ),
        errors=(400, *AUTH_ONLY),
        query=("AuditSince", "AuditResource"),
    ),
    Route(
        method="GET",
        template="dashboard",
        handler=get_dashboard,
        operation_id="getDashboard",
        summary="The health dashboard: an HTML page drawn from GET /api/health and GET /api/audit",
        tag=HEALTH_TAG,
        success=(Success(status=200, description="The dashboard page.", media_type=HTML),),
        errors=AUTH_ONLY,
    ),
    Route(
        method="GET",
        template="openapi.json",
        handler=openapi_document,
        operation_id="getOpenApiDocument",
        summary="This document",
        tag=META_TAG,
        success=(Success(status=200, description="The OpenAPI document.", schema=None),),
        errors=AUTH_ONLY,
    ),
)


def by_template() -> dict[str, dict[str, Handler]]:
    """``{template: {METHOD: handler}}`` in table order: one Functions HTTP trigger per template."""
    grouped: dict[str, dict[str, Handler]] = {}
    for route in ROUTES:
        methods = grouped.setdefault(route.template, {})
        if route.method in methods:
            raise ValueError(f"{route.method} {route.template} is declared twice")
        methods[route.method] = route.handler
    return grouped
