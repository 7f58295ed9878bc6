"""The sweep keeps the secret index rotations use (``shared.state.secret_index``) true to what it listed.

A sweep lists every credential set of a registry anyway, so it rewrites that registry's share of the index: sets
gone are forgotten, sets new or changed (another identity, other secrets) are indexed again; unchanged ones cost no
write. This catches what no event told the index (a set changed while events were lost or dead-lettered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.domain.models import CredentialSet, Registry
from shared.state.secret_index import IndexedSet, SecretIndex


def _same(indexed: IndexedSet, current: CredentialSet) -> bool:
    def key(cs: CredentialSet) -> tuple[str, ...]:
        return (
            cs.id.lower(),
            (cs.principal_id or "").lower(),
            cs.login_server.lower(),
            cs.username_secret_uri.lower(),
            cs.password_secret_uri.lower(),
        )

    return key(indexed.as_credential_set()) == key(current)


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexRefresh:
    index: SecretIndex

    def replace_registry(self, registry: Registry, credential_sets: Sequence[CredentialSet]) -> None:
        indexed = {s.name.lower(): s for s in self.index.registry_sets(registry.id)}
        listed = {s.name.lower() for s in credential_sets}
        for name, stale in indexed.items():
            if name not in listed:
                self.index.remove(registry.id, stale.name)
        for current in credential_sets:
            known = indexed.get(current.name.lower())
            if known is None or not _same(known, current):
                self.index.put(registry, current)
