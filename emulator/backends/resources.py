"""Subscriptions and resource groups (Microsoft.Resources)."""

from __future__ import annotations

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


class ResourcesBackend:
    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], ResourceGroup] = {}

    def reset(self) -> None:
        self.groups = {}

    @staticmethod
    def subscriptions() -> list[dict[str, Any]]:
        return [
            {
                "id": f"/subscriptions/{SUBSCRIPTION_ID}",
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
                "displayName": SUBSCRIPTION_NAME,
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
        ]

    def check_subscription(self, subscription: str) -> None:
        if subscription.lower() != SUBSCRIPTION_ID:
            raise ServiceError(
                404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found."
            )

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
