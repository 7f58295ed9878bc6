"""Handlers: Microsoft.ContainerRegistry registries, cacheRules, credentialSets (any api-version in,
2025-11-01 shapes out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.arm.framework import check_not_deleting, delete_answer, page, require_api_version, write_answer
from emulator.arm.resources import RG, SUB
from emulator.backends.containerregistry import (
    CACHE_RULE_TYPE,
    CREDENTIAL_SET_TYPE,
    REGISTRY_TYPE,
    CacheRule,
    CredentialSet,
    Registry,
    cache_rule_json,
    credential_set_json,
)
from emulator.http import Request, Response, Router

if TYPE_CHECKING:
    from emulator.state import EmulatorState

REGISTRY = RG + r"/providers/Microsoft\.ContainerRegistry/registries/(?P<registry>[^/]+)"
WRITE, DELETE = "/write", "/delete"


def _registry(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Registry:
    require_api_version(request)
    state.resources.group(sub, rg)
    return state.registries.registry(sub, rg, registry)


# registries -----------------------------------------------------------------------------------------
def get_registry(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
    return Response(200, _registry(state, request, sub, rg, registry).to_json())


def put_registry(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found, created = state.registries.put_registry(
        sub, rg, registry, request.json_object(), state.clock.now()
    )

    def set_state(value: str) -> None:
        found.provisioning_state = value

    return write_answer(
        state,
        request,
        resource_id=found.id,
        operation=REGISTRY_TYPE + WRITE,
        asynchronous=created,
        pending_state="Creating",
        set_state=set_state,
        view=found.to_json,
        prefix="registries",
    )


def delete_registry(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found = state.registries.registries.get(registry.lower())
    if found is None or found.group.lower() != rg.lower():
        return Response(204)

    def set_state(value: str) -> None:
        found.provisioning_state = value

    return delete_answer(
        state,
        request,
        resource_id=found.id,
        operation=REGISTRY_TYPE + DELETE,
        set_state=set_state,
        remove=lambda: state.registries.delete_registry(found),
        prefix="registries",
    )


def list_registries(state: EmulatorState, request: Request, sub: str, rg: str | None = None) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    if rg is not None:
        state.resources.group(sub, rg)
    items = [r.to_json() for r in state.registries.list_registries(sub, rg)]
    return Response(200, page(state, request, items))


def check_name(state: EmulatorState, request: Request, sub: str) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    return Response(200, state.registries.name_available(str(request.json_object().get("name", ""))))


# cache rules ----------------------------------------------------------------------------------------
def _rule_setter(rule: CacheRule):  # type: ignore[no-untyped-def]
    def set_state(value: str) -> None:
        rule.provisioning_state = value

    return set_state


def list_cache_rules(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
    found = _registry(state, request, sub, rg, registry)
    items = [cache_rule_json(r) for _, r in sorted(found.cache_rules.items())]
    return Response(200, page(state, request, items))


def get_cache_rule(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    return Response(200, cache_rule_json(state.registries.cache_rule(found, name)))


def put_cache_rule(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    existing = found.cache_rules.get(name.lower())
    if existing is not None:
        check_not_deleting(existing.provisioning_state, name)
    rule, created = state.registries.put_cache_rule(found, name, request.json_object(), state.clock.now())
    return write_answer(
        state,
        request,
        resource_id=rule.id,
        operation=CACHE_RULE_TYPE + WRITE,
        asynchronous=created,
        pending_state="Creating",
        set_state=_rule_setter(rule),
        view=lambda: cache_rule_json(rule),
        prefix="cacherules",
    )


def patch_cache_rule(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    rule = state.registries.cache_rule(found, name)
    check_not_deleting(rule.provisioning_state, name)
    changed = state.registries.patch_cache_rule(rule, found, request.json_object())
    return write_answer(
        state,
        request,
        resource_id=rule.id,
        operation=CACHE_RULE_TYPE + WRITE,
        asynchronous=changed,
        pending_state="Updating",
        set_state=_rule_setter(rule),
        view=lambda: cache_rule_json(rule),
        prefix="cacherules",
    )


def delete_cache_rule(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    rule = found.cache_rules.get(name.lower())
    if rule is None:
        return Response(204)
    return delete_answer(
        state,
        request,
        resource_id=rule.id,
        operation=CACHE_RULE_TYPE + DELETE,
        set_state=_rule_setter(rule),
        remove=lambda: found.cache_rules.pop(name.lower(), None),
        prefix="cacherules",
    )


# credential sets ------------------------------------------------------------------------------------
def _cs_setter(cs: CredentialSet):  # type: ignore[no-untyped-def]
    def set_state(value: str) -> None:
        cs.provisioning_state = value

    return set_state


def _cs_view(state: EmulatorState, cs: CredentialSet):  # type: ignore[no-untyped-def]
    def view() -> dict[str, object]:
        state.refresh_health(cs)
        return credential_set_json(cs)

    return view


def list_credential_sets(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    items = [_cs_view(state, cs)() for _, cs in sorted(found.credential_sets.items())]
    return Response(200, page(state, request, items))


def get_credential_set(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    return Response(200, _cs_view(state, state.registries.credential_set(found, name))())


def put_credential_set(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    existing = found.credential_sets.get(name.lower())
    if existing is not None:
        check_not_deleting(existing.provisioning_state, name)
    cs, created = state.registries.put_credential_set(found, name, request.json_object(), state.clock.now())
    return write_answer(
        state,
        request,
        resource_id=cs.id,
        operation=CREDENTIAL_SET_TYPE + WRITE,
        asynchronous=created,
        pending_state="Creating",
        set_state=_cs_setter(cs),
        view=_cs_view(state, cs),
        prefix="credentialsets",
    )


def patch_credential_set(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    cs = state.registries.credential_set(found, name)
    check_not_deleting(cs.provisioning_state, name)
    changed = state.registries.patch_credential_set(cs, request.json_object())
    return write_answer(
        state,
        request,
        resource_id=cs.id,
        operation=CREDENTIAL_SET_TYPE + WRITE,
        asynchronous=changed,
        pending_state="Updating",
        set_state=_cs_setter(cs),
        view=_cs_view(state, cs),
        prefix="credentialsets",
    )


def delete_credential_set(
    state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
) -> Response:
    found = _registry(state, request, sub, rg, registry)
    cs = found.credential_sets.get(name.lower())
    if cs is None:
        return Response(204)
    return delete_answer(
        state,
        request,
        resource_id=cs.id,
        operation=CREDENTIAL_SET_TYPE + DELETE,
        set_state=_cs_setter(cs),
        remove=lambda: found.credential_sets.pop(name.lower(), None),
        prefix="credentialsets",
    )


def register(router: Router) -> None:
    router.add("GET", SUB + r"/providers/Microsoft\.ContainerRegistry/registries", list_registries)
    router.add("POST", SUB + r"/providers/Microsoft\.ContainerRegistry/checkNameAvailability", check_name)
    router.add("GET", RG + r"/providers/Microsoft\.ContainerRegistry/registries", list_registries)
    router.add("GET", REGISTRY, get_registry)
    router.add("PUT", REGISTRY, put_registry)
    router.add("DELETE", REGISTRY, delete_registry)
    for collection, one, handlers in (
        (
            "cacheRules",
            "name",
            (list_cache_rules, get_cache_rule, put_cache_rule, patch_cache_rule, delete_cache_rule),
        ),
        (
            "credentialSets",
            "name",
            (
                list_credential_sets,
                get_credential_set,
                put_credential_set,
                patch_credential_set,
                delete_credential_set,
            ),
        ),
    ):
        listing, get, put, patch, delete = handlers
        item = REGISTRY + f"/{collection}/(?P<{one}>[^/]+)"
        router.add("GET", REGISTRY + f"/{collection}", listing)
        router.add("GET", item, get)
        router.add("PUT", item, put)
        router.add("PATCH", item, patch)
        router.add("DELETE", item, delete)
