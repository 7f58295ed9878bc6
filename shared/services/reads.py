"""Showing and listing cache rules and credential sets, each with what the views need (set, users)."""

from __future__ import annotations

from shared.domain.results import CredentialSetState, RegistrySummary, RuleState
from shared.services.lookup import RegistryLookup


class Reads:
    def __init__(self, *, lookup: RegistryLookup) -> None:
        self.lookup = lookup
        self.registries = lookup.registries

    def rule(self, registry_ref: str, name: str) -> RuleState:
        registry = self.lookup.registry(registry_ref)
        rule = self.lookup.rule(registry, name)
        return RuleState(registry=registry, rule=rule, credential_set=self.lookup.set_of(registry, rule))

    def rules(self, registry_ref: str) -> list[RuleState]:
        """Sorted by name; one list of credential sets serves every rule."""
        registry = self.lookup.registry(registry_ref)
        sets = {c.name.lower(): c for c in self.registries.list_credential_sets(registry)}
        return [
            RuleState(
                registry=registry, rule=r, credential_set=sets.get((r.credential_set_name or "").lower())
            )
            for r in sorted(self.registries.list_cache_rules(registry), key=lambda r: r.name.lower())
        ]

    def credential_set(self, registry_ref: str, name: str) -> CredentialSetState:
        registry = self.lookup.registry(registry_ref)
        found = self.lookup.credential_set(registry, name)
        return CredentialSetState(credential_set=found, used_by=self.lookup.users_of(registry, name))

    def credential_sets(self, registry_ref: str) -> list[CredentialSetState]:
        registry = self.lookup.registry(registry_ref)
        rules = self.registries.list_cache_rules(registry)
        return [
            CredentialSetState(
                credential_set=found,
                used_by=tuple(
                    sorted(
                        r.name for r in rules if (r.credential_set_name or "").lower() == found.name.lower()
                    )
                ),
            )
            for found in sorted(self.registries.list_credential_sets(registry), key=lambda c: c.name.lower())
        ]

    def registry_summaries(self) -> list[RegistrySummary]:
        """Every registry in the managed subscriptions with its rule count, by name. Listing also refreshes the
        registry cache, so a registry created outside the app is usable right after it shows here."""
        return [
            RegistrySummary(registry=r, cache_rules=len(self.registries.list_cache_rules(r)))
            for r in sorted(self.registries.list_registries(), key=lambda r: r.name.lower())
        ]
