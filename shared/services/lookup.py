"""Finding what a request or an event names: a registry by name or by resource ID, and its rules and sets.

HTTP routes name a registry; resource events carry resource IDs (of the registry or of a child such as a cache
rule). Both go through :meth:`RegistryLookup.registry`, so both see the same managed subscriptions.
"""

from __future__ import annotations

from shared.domain.errors import CacheRuleNotFound, CredentialSetNotFound, RegistryNotFound, ValidationFailed
from shared.domain.models import CacheRule, CredentialSet, Registry
from shared.domain.names import is_registry_name
from shared.domain.resource_ids import parse_resource_id
from shared.services.ports import Registries

_REGISTRY_TYPE = ("microsoft.containerregistry", "registries")


class RegistryLookup:
    def __init__(self, *, registries: Registries) -> None:
        self.registries = registries

    def registry(self, ref: str) -> Registry:
        """``ref`` is a registry name or the resource ID of a registry or of anything inside one."""
        if ref.startswith("/"):
            return self._by_id(ref)
        if not is_registry_name(ref):
            raise ValidationFailed.of(
                "The registry name in the URL is invalid",
                field="registry",
                message="must be 5-50 letters and digits",
            )
        found = self.registries.find_registry(ref)
        if found is None:
            raise RegistryNotFound(f"registry '{ref}' was not found in the managed subscriptions")
        return found

    def _by_id(self, resource_id: str) -> Registry:
        try:
            rid = parse_resource_id(resource_id)
        except ValueError:
            rid = None
        if rid is None or (rid.provider.lower(), rid.types[0].lower()) != _REGISTRY_TYPE:
            raise ValidationFailed.of(
                "The resource ID is not in a container registry",
                field="resourceId",
                message=f"'{resource_id}' is not a Microsoft.ContainerRegistry/registries resource ID",
            )
        found = self.registries.find_registry(rid.parent_name)
        if found is None or (
            found.subscription_id.lower(),
            found.resource_group.lower(),
        ) != (rid.subscription_id.lower(), rid.resource_group.lower()):
            raise RegistryNotFound(f"registry '{resource_id}' was not found in the managed subscriptions")
        return found

    def in_subscription(self, subscription_id: str) -> list[Registry]:
        """Every registry of one managed subscription (fresh list)."""
        return [
            r
            for r in self.registries.list_registries()
            if r.subscription_id.lower() == subscription_id.lower()
        ]

    def rule(self, registry: Registry, name: str) -> CacheRule:
        rule = self.registries.get_cache_rule(registry, name)
        if rule is None:
            raise CacheRuleNotFound(f"cache rule '{name}' does not exist in registry '{registry.name}'")
        return rule

    def credential_set(self, registry: Registry, name: str) -> CredentialSet:
        found = self.registries.get_credential_set(registry, name)
        if found is None:
            raise CredentialSetNotFound(
                f"credential set '{name}' does not exist in registry '{registry.name}'"
            )
        return found

    def set_of(self, registry: Registry, rule: CacheRule) -> CredentialSet | None:
        name = rule.credential_set_name
        return self.registries.get_credential_set(registry, name) if name else None

    def users_of(self, registry: Registry, name: str) -> tuple[str, ...]:
        """The cache rules that use credential set ``name``, by name, sorted."""
        return tuple(
            sorted(
                r.name
                for r in self.registries.list_cache_rules(registry)
                if (r.credential_set_name or "").lower() == name.lower()
            )
        )
