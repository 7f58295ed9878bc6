"""Keeping the secret index current: provisioning writes through it, and a cold index is rebuilt by one scan.

:class:`IndexingRegistries` wraps the ``Registries`` port, so every credential-set and cache-rule write the app makes
(HTTP API, rollback or event handler) updates the index as it happens; resource events cover the writes others make.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from shared.domain.models import CacheRule, CredentialSet, Registry
from shared.logs import event
from shared.services.ports import Registries, RegistriesDecorator
from shared.state.secret_index import IndexedSet, SecretIndex, SecretUse

log = logging.getLogger(__name__)


def distinct_sets(uses: Sequence[SecretUse]) -> list[SecretUse]:
    """One use per credential set (a set may read the secret as both username and password), first-seen order."""
    seen: dict[tuple[str, str], SecretUse] = {}
    for use in uses:
        seen.setdefault((use.registry_id.lower(), use.set_name.lower()), use)
    return list(seen.values())


class SetIndexer:
    def __init__(self, *, registries: Registries, index: SecretIndex) -> None:
        self.registries = registries
        self.index = index
        self._warming = threading.Lock()

    def ensure_warm(self) -> None:
        """Rebuild a cold index from one scan of every registry in scope (a warm one costs no ARM call).

        Concurrent events of one worker wait for the scan already running instead of each scanning the fleet (the
        event benchmark's cold start listed every registry twice and ran into ARM's throttling)."""
        if self.index.warm:
            return
        with self._warming:
            if not self.index.warm:
                self._scan()

    def _scan(self) -> None:
        sets = rules = 0
        for registry in self.registries.list_registries():
            for cs in self.registries.list_credential_sets(registry):
                self.index.put(registry, cs)
                sets += 1
            for rule in self.registries.list_cache_rules(registry):
                self.index.put_rule(registry.id, rule)
                rules += 1
        self.index.mark_built()
        event(log, logging.INFO, "SecretIndexRebuilt", credentialSets=sets, cacheRules=rules)

    def uses_of(self, vault: str, secret: str) -> list[SecretUse]:
        self.ensure_warm()
        return self.index.uses_of(vault, secret)

    def sets_in_vault(self, vault: str) -> list[IndexedSet]:
        self.ensure_warm()
        return self.sets_of(self.index.in_vault(vault))

    def sets_of(self, uses: Sequence[SecretUse]) -> list[IndexedSet]:
        """The distinct indexed sets behind ``uses``, in first-seen order."""
        found = (self.index.get(use.registry_id, use.set_name) for use in distinct_sets(uses))
        return [indexed for indexed in found if indexed is not None]

    def rules_using(self, registry: Registry, set_name: str) -> list[CacheRule]:
        """From the index, not ARM: a rotation of N sets would otherwise list N registries' rules."""
        self.ensure_warm()
        return self.index.rules_using(registry.id, set_name)


class IndexingRegistries(RegistriesDecorator):
    """A ``Registries`` that indexes each credential set and cache rule it creates or updates, and each rule it
    deletes.

    Set deletes are left to the resource event, which still needs the indexed identity to remove its grants.
    """

    def __init__(self, inner: Registries, index: SecretIndex) -> None:
        super().__init__(inner)
        self.index = index

    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule:
        made = self.inner.create_cache_rule(
            registry, name, source=source, target=target, credential_set_id=credential_set_id
        )
        self.index.put_rule(registry.id, made)
        return made

    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule:
        updated = self.inner.set_cache_rule_credential_set(registry, name, credential_set_id)
        self.index.put_rule(registry.id, updated)
        return updated

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        self.inner.delete_cache_rule(registry, name)
        self.index.remove_rule(registry.id, name)

    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet:
        made = self.inner.create_credential_set(
            registry, name, login_server=login_server, username_uri=username_uri, password_uri=password_uri
        )
        self.index.put(registry, made)
        return made

    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet:
        updated = self.inner.update_credential_set(
            registry, name, username_uri=username_uri, password_uri=password_uri
        )
        self.index.put(registry, updated)
        return updated
