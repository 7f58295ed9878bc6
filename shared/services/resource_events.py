"""Registry, cache rule and credential set changes (made by anyone) followed up: grants, the index, health rows.

Only the operations in :data:`HANDLED_OPERATIONS` do anything; every other resource event returns before any call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shared.domain.errors import RegistryNotFound
from shared.domain.models import Registry
from shared.events.resources import HANDLED_OPERATIONS, AcrKind, AcrResource, ResourceEvent
from shared.logs import event
from shared.services.access import AccessService
from shared.services.access_events import access_granted_flag
from shared.services.flagging import FlagPublisher
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.lookup import RegistryLookup
from shared.services.ports import Registries
from shared.services.rollback import Rollback
from shared.state.health import TableHealthStore
from shared.state.secret_index import SecretIndex

log = logging.getLogger(__name__)

_HANDLED = frozenset(op.lower() for op in HANDLED_OPERATIONS)


def handles(view: ResourceEvent) -> bool:
    return view.acr is not None and view.operation_name.lower() in _HANDLED


class ResourceEvents:
    def __init__(
        self,
        *,
        lookup: RegistryLookup,
        access: AccessService,
        index: SecretIndex,
        health_store: TableHealthStore,
        locks: ProvisioningLocks,
        publisher: FlagPublisher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lookup = lookup
        self.registries: Registries = lookup.registries
        self.access = access
        self.index = index
        self.health_store = health_store
        self.locks = locks
        self.publisher = publisher
        self.clock = clock

    def handle(self, view: ResourceEvent, *, cause: str) -> str:
        """What was done, in one word (for the log); ``ignored`` for anything not in HANDLED_OPERATIONS."""
        if not handles(view) or view.acr is None:
            return "ignored"
        acr = view.acr
        deleted = view.operation_name.lower().endswith("/delete")
        if acr.kind is AcrKind.REGISTRY:
            return self.registry_deleted(acr) if deleted else "ignored"
        if acr.kind is AcrKind.CREDENTIAL_SET:
            return self.set_deleted(acr) if deleted else self.set_written(acr, cause=cause)
        return self.rule_deleted(acr) if deleted else self.rule_written(acr)

    def _registry(self, acr: AcrResource) -> Registry | None:
        try:
            return self.lookup.registry(acr.registry_id)
        except RegistryNotFound:
            return None

    def set_written(self, acr: AcrResource, *, cause: str) -> str:
        """Grant the set's current identity; remove the grants of the identity it had before, if it changed."""
        registry = self._registry(acr)
        name = acr.name or ""
        if registry is None:
            return "outOfScope"
        # Most of these events are the app's own writes, already indexed and granted: seen without the lease,
        # they cost one index read and one ARM read. Anything to write is decided again under the lease, which a
        # set with no recorded grant (outside writes, a freshly scanned index) goes to straight away.
        recorded = self.index.recorded(registry.id, name)
        if recorded is not None:
            seen = self.registries.get_credential_set(registry, name)
            if seen is None:
                return "gone"
            if self.index.settled(registry, seen, recorded):
                return "checked"
        with self.locks.hold(set_lock_key(registry.id, name)):
            current = self.registries.get_credential_set(registry, name)
            if current is None:
                return "gone"
            if self.index.refresh_if_granted(registry, current):
                # Same identity, same vaults, already granted (e.g. the app's own PATCH): no vault read.
                return "checked"
            previous = self.index.get(registry.id, name)
            granted: list[str] = []
            if current.principal_id:
                granted = [v.name for v in self.access.ensure(current, Rollback(step="grant"))]
            if (
                previous is not None
                and previous.principal_id
                and ((previous.principal_id or "").lower() != (current.principal_id or "").lower())
            ):
                cleaned = self.access.revoke(previous.as_credential_set())
                event(
                    log,
                    logging.INFO,
                    "StaleGrantRemoved",
                    credentialSet=current.id,
                    principalId=previous.principal_id,
                    vaults=cleaned,
                )
            self.index.put(registry, current, granted=bool(current.principal_id))
            if granted:
                self.publisher.publish(
                    [access_granted_flag(registry, current, granted, cause=cause, now=self.clock())]
                )
        return "granted" if granted else "checked"

    def set_deleted(self, acr: AcrResource) -> str:
        """Remove the grant the deleted set's identity held, and nothing else (a recreated set keeps its own)."""
        name = acr.name or ""
        with self.locks.hold(set_lock_key(acr.registry_id, name)):
            registry = self._registry(acr)
            if registry is not None and self.registries.get_credential_set(registry, name) is not None:
                return "recreated"  # a later write already took over; its handler removed the old grant
            previous = self.index.remove(acr.registry_id, name)
            if previous is None or not previous.principal_id:
                return "unknown"
            self.access.revoke(previous.as_credential_set())
        return "revoked"

    def registry_deleted(self, acr: AcrResource) -> str:
        """The registry's identities vanished with it: remove their grants (else they stay in vaults for ever)."""
        for indexed in self.index.drop_registry(acr.registry_id):
            if indexed.principal_id:
                self.access.revoke(indexed.as_credential_set())
        self.health_store.forget_registry(acr.registry_id)
        return "revoked"

    def rule_written(self, acr: AcrResource) -> str:
        """Index the rule and the set it uses (either may be new to the index)."""
        registry = self._registry(acr)
        if registry is None:
            return "outOfScope"
        rule = self.registries.get_cache_rule(registry, acr.name or "")
        if rule is None:
            self.index.remove_rule(registry.id, acr.name or "")
            return "checked"
        self.index.put_rule(registry.id, rule)
        name = rule.credential_set_name
        if name is None:
            return "checked"
        found = self.registries.get_credential_set(registry, name)
        if found is not None:
            self.index.put(registry, found)
        return "indexed"

    def rule_deleted(self, acr: AcrResource) -> str:
        self.health_store.forget(acr.resource_id)
        self.index.remove_rule(acr.registry_id, acr.name or "")
        return "forgotten"
