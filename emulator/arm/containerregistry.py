"""Handlers: Microsoft.ContainerRegistry registries, cacheRules, credentialSets (any api-version in,
2025-11-01 shapes out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from emulator.arm.framework import (
    check_not_deleting,
    delete_answer,
    page,
    require_api_version,
    results_path,
    write_answer,
)
from emulator.arm.resources import RG, SUB, add_tracked_type
from emulator.backends.containerregistry import (
    CACHE_RULE_TYPE,
    CREDENTIAL_SET_TYPE,
    PROVIDER,
    REGISTRY_TYPE,
    CacheRule,
    ContainerRegistryBackend,
    CredentialSet,
    Registry,
    cache_rule_json,
    credential_set_json,
)
from emulator.http import Request, Response, Router

if TYPE_CHECKING:
    from emulator.state import EmulatorState

REGISTRIES = r"/providers/Microsoft\.ContainerRegistry/registries"
REGISTRY = RG + REGISTRIES + r"/(?P<registry>[^/]+)"
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
    return write_answer(
        state,
        request,
        resource_id=found.id,
        operation=REGISTRY_TYPE + WRITE,
        asynchronous=created,
        pending_state="Creating",
        set_state=_state_setter(found),
        view=found.to_json,
        prefix="registries",
    )


def delete_registry(state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
    require_api_version(request)
    state.resources.group(sub, rg)
    found = state.registries.registries.get(registry.lower())
    if found is None or found.group.lower() != rg.lower():
        return Response(204)
    return delete_answer(
        state,
        request,
        resource_id=found.id,
        operation=REGISTRY_TYPE + DELETE,
        set_state=_state_setter(found),
        remove=lambda: state.registries.delete_registry(found),
        prefix="registries",
        poll_path=_delete_poll_path(found),
    )


def _delete_poll_path(registry: Registry) -> Callable[[str], str]:
    """Deletes of a registry and of its children are polled under the registry's region (recordings)."""
    return results_path(registry.subscription, PROVIDER, registry.location)


def list_registries(state: EmulatorState, request: Request, sub: str, rg: str | None = None) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    if rg is not None:
        state.resources.group(sub, rg)
    items = state.registries.list_registries(sub, rg)
    return Response(200, page(state, request, items, render=Registry.to_json))


def check_name(state: EmulatorState, request: Request, sub: str) -> Response:
    require_api_version(request)
    state.resources.check_subscription(sub)
    return Response(200, state.registries.name_available(str(request.json_object().get("name", ""))))


# cache rules and credential sets ----------------------------------------------------------------------
Child = TypeVar("Child", CacheRule, CredentialSet)


@dataclass(frozen=True)
class _Children(Generic[Child]):
    """A collection of registry children: ARM treats cache rules and credential sets alike, so one set of
    handlers serves both; only where they are kept, how the backend changes them and their view differ."""

    resource_type: str
    prefix: str  # operation-id prefix of their LROs
    collection: Callable[[Registry], dict[str, Child]]
    lookup: Callable[[ContainerRegistryBackend, Registry, str], Child]
    create_or_replace: Callable[
        [ContainerRegistryBackend, Registry, str, dict[str, Any], str | None, float], tuple[Child, bool]
    ]
    update: Callable[[ContainerRegistryBackend, Child, Registry, dict[str, Any], str | None, float], bool]
    remove: Callable[[ContainerRegistryBackend, Registry, str], None]
    render: Callable[[EmulatorState, Child], dict[str, Any]]

    def _write_answer(
        self, state: EmulatorState, request: Request, child: Child, *, asynchronous: bool, pending_state: str
    ) -> Response:
        return write_answer(
            state,
            request,
            resource_id=child.id,
            operation=self.resource_type + WRITE,
            asynchronous=asynchronous,
            pending_state=pending_state,
            set_state=_state_setter(child),
            view=lambda: self.render(state, child),
            prefix=self.prefix,
        )

    def list(self, state: EmulatorState, request: Request, sub: str, rg: str, registry: str) -> Response:
        found = _registry(state, request, sub, rg, registry)
        children = [child for _, child in sorted(self.collection(found).items())]
        return Response(200, page(state, request, children, render=lambda child: self.render(state, child)))

    def get(
        self, state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
    ) -> Response:
        found = _registry(state, request, sub, rg, registry)
        return Response(200, self.render(state, self.lookup(state.registries, found, name)))

    def put(
        self, state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
    ) -> Response:
        found = _registry(state, request, sub, rg, registry)
        existing = self.collection(found).get(name.lower())
        if existing is not None:
            check_not_deleting(existing.provisioning_state, name)
        child, created = self.create_or_replace(
            state.registries, found, name, request.json_object(), request.principal_id, state.clock.now()
        )
        return self._write_answer(state, request, child, asynchronous=created, pending_state="Creating")

    def patch(
        self, state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
    ) -> Response:
        found = _registry(state, request, sub, rg, registry)
        child = self.lookup(state.registries, found, name)
        check_not_deleting(child.provisioning_state, name)
        failed = child.provisioning_state == "Failed"
        changed = self.update(
            state.registries, child, found, request.json_object(), request.principal_id, state.clock.now()
        )
        # Assumption (ARM's provisioning-state model, not recorded for ACR): a write to a resource whose last
        # operation Failed runs the operation again, even with the same properties; that is how it recovers.
        return self._write_answer(
            state, request, child, asynchronous=changed or failed, pending_state="Updating"
        )

    def delete(
        self, state: EmulatorState, request: Request, sub: str, rg: str, registry: str, name: str
    ) -> Response:
        found = _registry(state, request, sub, rg, registry)
        child = self.collection(found).get(name.lower())
        if child is None:
            return Response(204)
        return delete_answer(
            state,
            request,
            resource_id=child.id,
            operation=self.resource_type + DELETE,
            set_state=_state_setter(child),
            remove=lambda: self.remove(state.registries, found, name),
            prefix=self.prefix,
            poll_path=_delete_poll_path(found),
        )


def _state_setter(resource: Registry | CacheRule | CredentialSet) -> Callable[[str], None]:
    def set_state(value: str) -> None:
        resource.provisioning_state = value

    return set_state


def _credential_set_view(state: EmulatorState, cs: CredentialSet) -> dict[str, Any]:
    """Health is re-evaluated on every read, as the secrets behind it may have changed."""
    state.refresh_health(cs)
    return credential_set_json(cs)


CACHE_RULES = _Children[CacheRule](
    resource_type=CACHE_RULE_TYPE,
    prefix="cacherules",
    collection=lambda registry: registry.cache_rules,
    lookup=ContainerRegistryBackend.cache_rule,
    create_or_replace=ContainerRegistryBackend.put_cache_rule,
    update=ContainerRegistryBackend.patch_cache_rule,
    remove=ContainerRegistryBackend.delete_cache_rule,
    render=lambda state, rule: cache_rule_json(rule),
)
CREDENTIAL_SETS = _Children[CredentialSet](
    resource_type=CREDENTIAL_SET_TYPE,
    prefix="credentialsets",
    collection=lambda registry: registry.credential_sets,
    lookup=ContainerRegistryBackend.credential_set,
    create_or_replace=ContainerRegistryBackend.put_credential_set,
    update=lambda backend, cs, registry, body, principal, now: backend.patch_credential_set(
        cs, body, principal, now
    ),
    remove=ContainerRegistryBackend.delete_credential_set,
    render=_credential_set_view,
)


def register(router: Router) -> None:
    router.add("POST", SUB + r"/providers/Microsoft\.ContainerRegistry/checkNameAvailability", check_name)
    add_tracked_type(
        router,
        REGISTRIES,
        REGISTRY,
        list_registries,
        {"GET": get_registry, "PUT": put_registry, "DELETE": delete_registry},
    )
    for collection, children in (("cacheRules", CACHE_RULES), ("credentialSets", CREDENTIAL_SETS)):
        item = REGISTRY + f"/{collection}/(?P<name>[^/]+)"
        router.add("GET", REGISTRY + f"/{collection}", children.list)
        router.add("GET", item, children.get)
        router.add("PUT", item, children.put)
        router.add("PATCH", item, children.patch)
        router.add("DELETE", item, children.delete)
