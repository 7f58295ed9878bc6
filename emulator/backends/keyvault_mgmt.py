"""Microsoft.KeyVault/vaults (management plane): vaults, access policies, the permission model flag."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emulator.backends.common import check_name, in_scope, iso_z, not_found, rg_id
from emulator.constants import KEYVAULT_DNS_SUFFIX, TENANT_ID
from emulator.http import ServiceError

VAULT_TYPE = "Microsoft.KeyVault/vaults"
ACCESS_POLICY_KINDS = ("add", "replace", "remove")
PERMISSION_KINDS = ("keys", "secrets", "certificates", "storage")


@dataclass
class Vault:
    subscription: str
    group: str
    name: str
    location: str
    properties: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    created_by: str = ""
    modified: float = 0.0
    modified_by: str = ""

    @property
    def id(self) -> str:
        return f"{rg_id(self.subscription, self.group)}/providers/{VAULT_TYPE}/{self.name}"

    @property
    def rbac(self) -> bool:
        return bool(self.properties.get("enableRbacAuthorization"))

    @property
    def access_policies(self) -> list[dict[str, Any]]:
        policies: list[dict[str, Any]] = self.properties.setdefault("accessPolicies", [])
        return policies

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": VAULT_TYPE,
            "id": self.id,
            "location": self.location,
            "properties": copy.deepcopy(self.properties),
            "systemData": {
                "createdAt": iso_z(self.created),
                "createdBy": self.created_by,
                "createdByType": "Application",
                "lastModifiedAt": iso_z(self.modified),
                "lastModifiedBy": self.modified_by,
                "lastModifiedByType": "Application",
            },
            "tags": self.tags,
        }

    def touch(self, principal: str | None, now: float) -> None:
        self.modified, self.modified_by = now, principal or ""

    def grants_secret(self, principal_id: str, permission: str) -> bool:
        """Access-policy check (meaningless on an RBAC vault, where Key Vault ignores policies)."""
        for policy in self.access_policies:
            if str(policy.get("objectId", "")).lower() != principal_id.lower():
                continue
            perms = [p.lower() for p in (policy.get("permissions") or {}).get("secrets") or []]
            if permission.lower() in perms or "all" in perms:
                return True
        return False


def _check_policies(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ServiceError(400, "BadRequest", "properties.accessPolicies must be a list.")
    for policy in raw:
        if not isinstance(policy, dict) or not policy.get("objectId") or not policy.get("tenantId"):
            raise ServiceError(
                400, "BadRequest", "Each access policy needs tenantId, objectId and permissions."
            )
        if not isinstance(policy.get("permissions"), dict):
            raise ServiceError(400, "BadRequest", "Each access policy needs a permissions object.")
    return copy.deepcopy(raw)


class KeyVaultMgmtBackend:
    def __init__(self) -> None:
        self.vaults: dict[str, Vault] = {}  # by lowercase name: vault names are global

    def reset(self) -> None:
        self.vaults = {}

    def vault(self, subscription: str, group: str, name: str) -> Vault:
        found = self.vaults.get(name.lower())
        if found is None or not in_scope(found, subscription, group):
            raise not_found(VAULT_TYPE, name, group)
        return found

    def by_name(self, name: str) -> Vault | None:
        return self.vaults.get(name.lower())

    def put_vault(
        self,
        subscription: str,
        group: str,
        name: str,
        body: dict[str, Any],
        principal: str | None,
        now: float,
    ) -> tuple[Vault, bool]:
        """Full PUT (az keyvault set-policy writes policies this way): properties are replaced."""
        check_name("vault", name, 3, 24, r"[a-zA-Z0-9-]*")
        existing = self.vaults.get(name.lower())
        if existing is not None and not in_scope(existing, subscription, group):
            raise ServiceError(409, "VaultAlreadyExists", f"The vault name '{name}' is already in use.")
        props = body.get("properties")
        if not isinstance(props, dict) or not props.get("tenantId") or not isinstance(props.get("sku"), dict):
            raise ServiceError(400, "BadRequest", "properties.tenantId and properties.sku are required.")
        location = body.get("location") or (existing.location if existing else None)
        if not location:
            raise ServiceError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        properties = copy.deepcopy(props)
        properties["accessPolicies"] = _check_policies(props.get("accessPolicies", []))
        properties.setdefault("enableSoftDelete", True)
        properties.setdefault("softDeleteRetentionInDays", 90)
        properties.setdefault("enableRbacAuthorization", False)
        properties.setdefault("publicNetworkAccess", "Enabled")
        properties["vaultUri"] = f"https://{name.lower()}{KEYVAULT_DNS_SUFFIX}"
        properties["provisioningState"] = "Succeeded"
        if existing is not None:
            existing.properties, existing.tags = properties, dict(body.get("tags") or {})
            return existing, False
        vault = Vault(
            subscription.lower(), group, name, str(location), properties, dict(body.get("tags") or {})
        )
        self.vaults[name.lower()] = vault
        return vault, True

    def patch_vault(self, vault: Vault, body: dict[str, Any]) -> None:
        props = body.get("properties") or {}
        if "accessPolicies" in props:
            props = dict(props, accessPolicies=_check_policies(props["accessPolicies"]))
        for key, value in props.items():
            if key not in ("vaultUri", "provisioningState"):
                vault.properties[key] = copy.deepcopy(value)
        if "tags" in body:
            vault.tags = dict(body.get("tags") or {})

    def update_access_policy(self, vault: Vault, kind: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """PUT vaults/{v}/accessPolicies/{add|replace|remove}; permissions merge per principal, as Azure does."""
        if kind not in ACCESS_POLICY_KINDS:
            raise ServiceError(
                400, "BadRequest", f"operationKind must be one of {', '.join(ACCESS_POLICY_KINDS)}."
            )
        requested = _check_policies((body.get("properties") or {}).get("accessPolicies"))
        for policy in requested:
            current = next(
                (
                    p
                    for p in vault.access_policies
                    if str(p.get("objectId")).lower() == str(policy["objectId"]).lower()
                    and str(p.get("applicationId") or "") == str(policy.get("applicationId") or "")
                ),
                None,
            )
            if kind == "replace" or current is None:
                if current is not None:
                    vault.access_policies.remove(current)
                if kind != "remove":
                    vault.access_policies.append(copy.deepcopy(policy))
                continue
            for perm_kind in PERMISSION_KINDS:
                have = list((current.get("permissions") or {}).get(perm_kind) or [])
                asked = list(policy["permissions"].get(perm_kind) or [])
                if kind == "add":
                    merged = have + [p for p in asked if p.lower() not in {h.lower() for h in have}]
                else:
                    merged = [p for p in have if p.lower() not in {a.lower() for a in asked}]
                current.setdefault("permissions", {})[perm_kind] = merged
            if kind == "remove" and not any(current["permissions"].get(k) for k in PERMISSION_KINDS):
                vault.access_policies.remove(current)
        return requested

    def list_vaults(self, subscription: str, group: str | None = None) -> list[Vault]:
        return [v for _, v in sorted(self.vaults.items()) if in_scope(v, subscription, group)]

    def delete_vault(self, vault: Vault) -> None:
        self.vaults.pop(vault.name.lower(), None)


def default_vault_body(location: str, *, rbac: bool, policies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "tenantId": TENANT_ID,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": policies,
            "enableRbacAuthorization": rbac,
        },
    }
