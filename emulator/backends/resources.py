"""Subscriptions and resource groups (Microsoft.Resources).

The emulator starts with one subscription; `PUT /_emulator/subscriptions/{id}` adds others (real fleets span
several). Each holds its own resource groups, and through them its registries and vaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from emulator.backends.common import check_name, rg_id
from emulator.constants import SUBSCRIPTION_ID, SUBSCRIPTION_NAME, TENANT_ID
from emulator.http import ServiceError


@dataclass
class ResourceGroup:
    subscription: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": rg_id(self.subscription, self.name),
            "name": self.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
            "tags": self.tags,
            "properties": {"provisioningState": "Succeeded"},
        }


@dataclass
class Subscription:
    subscription_id: str  # lower-case GUID
    display_name: str
    tenant_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": {},
        }


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ResourcesBackend:
    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], ResourceGroup] = {}
        self.subs: dict[str, Subscription] = {}
        self.reset()

    def reset(self) -> None:
        self.groups = {}
        self.subs = {SUBSCRIPTION_ID: Subscription(SUBSCRIPTION_ID, SUBSCRIPTION_NAME, TENANT_ID)}

    def put_subscription(self, subscription_id: str, body: dict[str, Any]) -> tuple[Subscription, bool]:
        """Add (or rename) a subscription; `tenantId` defaults to the emulator's tenant."""
        key = subscription_id.lower()
        if not _GUID.fullmatch(key):
            raise ServiceError(400, "InvalidSubscriptionId", f"'{subscription_id}' is not a GUID.")
        name, tenant = body.get("displayName"), body.get("tenantId")
        if name is not None and (not isinstance(name, str) or not name):
            raise ServiceError(400, "InvalidBody", "displayName must be a non-empty string.")
        if tenant is not None and (not isinstance(tenant, str) or not _GUID.fullmatch(tenant.lower())):
            raise ServiceError(400, "InvalidBody", "tenantId must be a GUID.")
        existing = self.subs.get(key)
        found = existing or Subscription(key, f"Subscription {key}", TENANT_ID)
        found.display_name = name or found.display_name
        found.tenant_id = (tenant or found.tenant_id).lower()
        self.subs[key] = found
        return found, existing is None

    def subscriptions(self, tenant_id: str | None = None) -> list[Subscription]:
        """Every subscription, or those of one tenant (ARM lists the caller's tenant's subscriptions)."""
        return [
            s for _, s in sorted(self.subs.items()) if tenant_id is None or s.tenant_id == tenant_id.lower()
        ]

    def subscription(self, subscription: str) -> Subscription:
        found = self.subs.get(subscription.lower())
        if found is None:
            raise ServiceError(
                404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found."
            )
        return found

    def check_subscription(self, subscription: str) -> None:
        self.subscription(subscription)

    def group(self, subscription: str, name: str) -> ResourceGroup:
        self.check_subscription(subscription)
        found = self.groups.get((subscription.lower(), name.lower()))
        if found is None:
            raise ServiceError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return found

    def put_group(self, subscription: str, name: str, body: dict[str, Any]) -> tuple[ResourceGroup, bool]:
        self.check_subscription(subscription)
        check_name("resource group", name, 1, 90, r"[-\w._()]*[-\w_()]")
        key = (subscription.lower(), name.lower())
        existing = self.groups.get(key)
        location = body.get("location")
        if existing is None and not location:
            raise ServiceError(
                400, "LocationRequired", "The location property is required for this definition."
            )
        if existing is not None:
            if location and location.lower() != existing.location.lower():
                raise ServiceError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists in "
                    f"location '{existing.location}'.",
                )
            existing.tags = dict(body.get("tags") or existing.tags)
            return existing, False
        group = ResourceGroup(subscription.lower(), name, str(location), dict(body.get("tags") or {}))
        self.groups[key] = group
        return group, True

    def list_groups(self, subscription: str) -> list[ResourceGroup]:
        self.check_subscription(subscription)
        return [g for (s, _), g in sorted(self.groups.items()) if s == subscription.lower()]

    def delete_group(self, subscription: str, name: str) -> ResourceGroup | None:
        self.check_subscription(subscription)
        return self.groups.pop((subscription.lower(), name.lower()), None)
