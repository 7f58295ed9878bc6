"""Container registry reads and writes (registries, cache rules, credential sets) in domain types."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call, not_found_as_none
from shared.domain.models import UNKNOWN_HEALTH, CacheRule, CredentialHealth, CredentialSet, Registry
from shared.domain.resource_ids import parse_resource_id

_REGISTRY_CACHE_SECONDS = 300.0
_MISS_RELIST_SECONDS = 30.0


def _props(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    props = raw.get("properties")
    return props if isinstance(props, Mapping) else {}


def to_cache_rule(raw: Mapping[str, Any]) -> CacheRule:
    props = _props(raw)
    return CacheRule(
        id=str(raw.get("id", "")),
        name=str(raw.get("name", "")),
        source_repository=str(props.get("sourceRepository", "")),
        target_repository=str(props.get("targetRepository", "")),
        credential_set_id=props.get("credentialSetResourceId") or None,
        provisioning_state=props.get("provisioningState"),
    )


def to_credential_set(raw: Mapping[str, Any]) -> CredentialSet:
    props = _props(raw)
    creds = props.get("authCredentials") or [{}]
    first: Mapping[str, Any] = creds[0] if creds else {}
    identity = raw.get("identity") or {}
    health_raw = first.get("credentialHealth")
    health = (
        CredentialHealth(
            status=str(health_raw.get("status") or "Unknown"),
            error_code=health_raw.get("errorCode") or None,
            error_message=health_raw.get("errorMessage") or None,
        )
        if isinstance(health_raw, Mapping)
        else UNKNOWN_HEALTH
    )
    return CredentialSet(
        id=str(raw.get("id", "")),
        name=str(raw.get("name", "")),
        login_server=str(props.get("loginServer", "")),
        username_secret_uri=str(first.get("usernameSecretIdentifier", "")),
        password_secret_uri=str(first.get("passwordSecretIdentifier", "")),
        principal_id=identity.get("principalId"),
        tenant_id=identity.get("tenantId"),
        health=health,
        provisioning_state=props.get("provisioningState"),
    )


def _auth_credentials(username_uri: str, password_uri: str) -> list[dict[str, str]]:
    return [
        {
            "name": "Credential1",
            "usernameSecretIdentifier": username_uri,
            "passwordSecretIdentifier": password_uri,
        }
    ]


def _wire(model: Any) -> Mapping[str, Any]:
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


class RegistryGateway:
    """ARM calls for one app; finds registries by name across the managed subscriptions."""

    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients
        self._lock = threading.Lock()
        self._registries: dict[str, Registry] = {}
        self._loaded_at = 0.0

    def _poll(self) -> dict[str, Any]:
        return {"polling_interval": self.clients.settings.poll_interval_seconds}

    def _acr(self, registry: Registry) -> Any:
        return self.clients.registries(registry.subscription_id)

    def _created(self, begin: Callable[[Any], Any]) -> Mapping[str, Any]:
        """The resource a ``begin_create`` made, polled to its end without a final GET (``shared.azure.lro``)."""
        from shared.azure.lro import CreatePolling

        polling = CreatePolling(self.clients.settings.poll_interval_seconds)
        poller = begin(polling)
        wire = _wire(poller.result())
        if not polling.answered_by_put:
            return wire
        return {**wire, "properties": {**_props(wire), "provisioningState": poller.status()}}

    def list_registries(self) -> list[Registry]:
        found: list[Registry] = []
        for sub in self.clients.settings.subscription_ids:
            with azure_call(f"list registries in subscription {sub}"):
                for raw in self.clients.registries(sub).registries.list():
                    wire = _wire(raw)
                    rid = parse_resource_id(str(wire["id"]))
                    found.append(
                        Registry(
                            id=str(wire["id"]),
                            name=str(wire["name"]),
                            subscription_id=rid.subscription_id,
                            resource_group=rid.resource_group,
                            login_server=str(_props(wire).get("loginServer", "")),
                        )
                    )
        with self._lock:
            self._registries = {r.name.lower(): r for r in found}
            self._loaded_at = time.monotonic()
        return found

    def find_registry(self, name: str) -> Registry | None:
        """From a list cached per process; a miss re-lists at most every 30 s, so unknown names cannot spend
        the ARM read budget."""
        with self._lock:
            age = time.monotonic() - self._loaded_at
            hit = self._registries.get(name.lower())
        if (hit and age < _REGISTRY_CACHE_SECONDS) or (not hit and age < _MISS_RELIST_SECONDS):
            return hit
        return {r.name.lower(): r for r in self.list_registries()}.get(name.lower())

    # cache rules
    def list_cache_rules(self, registry: Registry) -> list[CacheRule]:
        with azure_call(f"list cache rules of {registry.name}"):
            return [
                to_cache_rule(_wire(r))
                for r in self._acr(registry).cache_rules.list(registry.resource_group, registry.name)
            ]

    def get_cache_rule(self, registry: Registry, name: str) -> CacheRule | None:
        raw = not_found_as_none(
            f"get cache rule {name}",
            lambda: self._acr(registry).cache_rules.get(registry.resource_group, registry.name, name),
        )
        return to_cache_rule(_wire(raw)) if raw is not None else None

    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule:
        props: dict[str, Any] = {"sourceRepository": source, "targetRepository": target}
        if credential_set_id:
            props["credentialSetResourceId"] = credential_set_id
        with azure_call(f"create cache rule {name}"):
            return to_cache_rule(
                self._created(
                    lambda polling: self._acr(registry).cache_rules.begin_create(
                        registry.resource_group, registry.name, name, {"properties": props}, polling=polling
                    )
                )
            )

    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule:
        with azure_call(f"update cache rule {name}"):
            poller = self._acr(registry).cache_rules.begin_update(
                registry.resource_group,
                registry.name,
                name,
                {"properties": {"credentialSetResourceId": credential_set_id}},
                **self._poll(),
            )
            return to_cache_rule(_wire(poller.result()))

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        with azure_call(f"delete cache rule {name}"):
            self._acr(registry).cache_rules.begin_delete(
                registry.resource_group, registry.name, name, **self._poll()
            ).result()

    # credential sets
    def list_credential_sets(self, registry: Registry) -> list[CredentialSet]:
        with azure_call(f"list credential sets of {registry.name}"):
            return [
                to_credential_set(_wire(c))
                for c in self._acr(registry).credential_sets.list(registry.resource_group, registry.name)
            ]

    def get_credential_set(self, registry: Registry, name: str) -> CredentialSet | None:
        raw = not_found_as_none(
            f"get credential set {name}",
            lambda: self._acr(registry).credential_sets.get(registry.resource_group, registry.name, name),
        )
        return to_credential_set(_wire(raw)) if raw is not None else None

    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet:
        body = {
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "loginServer": login_server,
                "authCredentials": _auth_credentials(username_uri, password_uri),
            },
        }
        with azure_call(f"create credential set {name}"):
            return to_credential_set(
                self._created(
                    lambda polling: self._acr(registry).credential_sets.begin_create(
                        registry.resource_group, registry.name, name, body, polling=polling
                    )
                )
            )

    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet:
        body = {"properties": {"authCredentials": _auth_credentials(username_uri, password_uri)}}
        with azure_call(f"update credential set {name}"):
            poller = self._acr(registry).credential_sets.begin_update(
                registry.resource_group, registry.name, name, body, **self._poll()
            )
            return to_credential_set(_wire(poller.result()))

    def delete_credential_set(self, registry: Registry, name: str) -> None:
        with azure_call(f"delete credential set {name}"):
            self._acr(registry).credential_sets.begin_delete(
                registry.resource_group, registry.name, name, **self._poll()
            ).result()
