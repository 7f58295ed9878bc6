"""Which registries a sweep checks: every registry of the managed subscriptions, optionally narrowed.

``SWEEP_RESOURCE_GROUPS`` and ``SWEEP_REGISTRIES`` (names or resource IDs) each narrow the scope when set; with
both set a registry must match both. Listing costs one paged ARM read per subscription.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings
from shared.domain.models import Registry
from shared.services.ports import Registries


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepScope:
    resource_groups: frozenset[str] = frozenset()  # lower case
    registries: frozenset[str] = frozenset()  # lower-case names or resource IDs

    @classmethod
    def from_settings(cls, settings: Settings) -> SweepScope:
        return cls(resource_groups=settings.sweep_resource_groups, registries=settings.sweep_registries)

    def selects(self, registry: Registry) -> bool:
        if self.resource_groups and registry.resource_group.lower() not in self.resource_groups:
            return False
        return not self.registries or bool({registry.name.lower(), registry.id.lower()} & self.registries)

    def registries_in(self, registries: Registries) -> list[Registry]:
        """The registries in scope, in a stable order (subscription, name)."""
        found = [r for r in registries.list_registries() if self.selects(r)]
        return sorted(found, key=lambda r: (r.subscription_id.lower(), r.name.lower()))
