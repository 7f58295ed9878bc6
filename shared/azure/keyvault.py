"""Key Vault management (vault lookup, access policies) and secret metadata (never values)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call, not_found_as_none
from shared.domain.models import AccessPolicy, SecretMetadata, Vault
from shared.domain.resource_ids import parse_resource_id


def to_vault(raw: Mapping[str, Any]) -> Vault:
    props = raw.get("properties") or {}
    rid = parse_resource_id(str(raw["id"]))
    policies = tuple(
        AccessPolicy(
            tenant_id=str(p.get("tenantId", "")),
            object_id=str(p.get("objectId", "")),
            secret_permissions=tuple((p.get("permissions") or {}).get("secrets") or ()),
        )
        for p in props.get("accessPolicies") or ()
    )
    return Vault(
        id=str(raw["id"]),
        name=str(raw["name"]),
        subscription_id=rid.subscription_id,
        resource_group=rid.resource_group,
        tenant_id=str(props.get("tenantId", "")),
        rbac=bool(props.get("enableRbacAuthorization")),
        access_policies=policies,
    )


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value else None


class VaultGateway:
    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients
        self._lock = threading.Lock()
        self._locations: dict[str, tuple[str, str]] = {}

    def _kv(self, subscription_id: str) -> Any:
        return self.clients.vaults(subscription_id)

    def find_vault(self, name: str) -> Vault | None:
        """The vault (fresh, with its policies) among the managed subscriptions, or None."""
        key = name.lower()
        with self._lock:
            location = self._locations.get(key)
        if location:
            vault = self.get_vault(*location, name)
            if vault:
                return vault
        for sub in self.clients.settings.subscription_ids:
            with azure_call(f"list vaults in subscription {sub}"):
                for raw in self._kv(sub).vaults.list_by_subscription():
                    wire = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw)
                    if str(wire.get("name", "")).lower() == key:
                        vault = to_vault(wire)
                        with self._lock:
                            self._locations[key] = (vault.subscription_id, vault.resource_group)
                        return vault
        return None

    def get_vault(self, subscription_id: str, resource_group: str, name: str) -> Vault | None:
        raw = not_found_as_none(
            f"get vault {name}", lambda: self._kv(subscription_id).vaults.get(resource_group, name)
        )
        return to_vault(raw.as_dict()) if raw is not None else None

    def _policy(self, vault: Vault, operation: str, tenant_id: str, object_id: str) -> None:
        body = {
            "properties": {
                "accessPolicies": [
                    {"tenantId": tenant_id, "objectId": object_id, "permissions": {"secrets": ["get"]}}
                ]
            }
        }
        with azure_call(f"{operation} access policy on {vault.name}"):
            self._kv(vault.subscription_id).vaults.update_access_policy(
                vault.resource_group, vault.name, operation, body
            )

    def add_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self._policy(vault, "add", tenant_id, object_id)

    def remove_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self._policy(vault, "remove", tenant_id, object_id)

    def secret_versions(self, vault: str, name: str) -> list[SecretMetadata]:
        """Every version's attributes, newest first; empty when the secret does not exist."""
        client = self.clients.secrets(vault)

        def load() -> list[SecretMetadata]:
            return [
                SecretMetadata(
                    vault=vault,
                    name=name,
                    version=str(p.version),
                    enabled=bool(p.enabled),
                    not_before=_timestamp(p.not_before),
                    expires_on=_timestamp(p.expires_on),
                    created_on=_timestamp(p.created_on),
                )
                for p in client.list_properties_of_secret_versions(name)
            ]

        versions = not_found_as_none(f"list versions of secret {name} in {vault}", load) or []
        # created_on has whole-second resolution: among versions of the same second, the later-listed is newer.
        ranked = sorted(enumerate(versions), key=lambda iv: (iv[1].created_on or 0.0, iv[0]), reverse=True)
        return [v for _, v in ranked]
