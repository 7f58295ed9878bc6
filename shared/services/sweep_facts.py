"""What one sweep reads, read once: per vault its permission model and grants, per secret its metadata.

A registry's own reads (its credential sets and cache rules) are two lists; everything a rule's verdict needs beyond
them comes from these caches, keyed by vault, (vault, identity) and secret, so the cost of a sweep grows with the
vaults, identities and secrets in use and never with the number of rules. A cache lives for one sweep only: the next
sweep must see what changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

from shared.domain.health import RuleFacts, SecretState
from shared.domain.models import CacheRule, CredentialSet, Vault
from shared.domain.repositories import normalise_source
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.domain.upstreams import CredentialPolicy, credential_policy
from shared.services.access import AccessService
from shared.services.ports import Vaults

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Once(Generic[K, V]):
    """A value per key, loaded by the first caller while concurrent callers for the same key wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[K, threading.Lock] = {}
        self._values: dict[K, V] = {}

    def get(self, key: K, load: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = load()
            with self._lock:
                self._values[key] = value
            return value

    def forget(self, key: K) -> None:
        with self._lock:
            self._values.pop(key, None)


def credentials_required(rule: CacheRule) -> bool:
    try:
        login_server = normalise_source(rule.source_repository).login_server
    except ValueError:
        return False  # a source the service accepted but we cannot parse: judge it on its credentials alone
    return credential_policy(login_server) is CredentialPolicy.REQUIRED


class SweepFacts:
    def __init__(self, *, vaults: Vaults, access: AccessService, dns_suffix: str) -> None:
        self.vaults = vaults
        self.access = access
        self.dns_suffix = dns_suffix
        self._vaults: Once[str, Vault | None] = Once()
        self._grants: Once[tuple[str, str], bool] = Once()
        self._secrets: Once[tuple[str, str], SecretState] = Once()

    def vault(self, name: str) -> Vault | None:
        return self._vaults.get(name.lower(), lambda: self.vaults.find_vault(name))

    def vault_names(self, credential_set: CredentialSet) -> list[str]:
        try:
            return self.access.vault_names(credential_set)
        except SecretUriError:
            return []  # a set whose URIs we refuse: its secrets are judged missing instead

    def vaults_without_grant(self, credential_set: CredentialSet) -> list[str]:
        principal = credential_set.principal_id or ""
        return [name for name in self.vault_names(credential_set) if not self._granted(name, principal)]

    def _granted(self, name: str, principal: str) -> bool:
        vault = self.vault(name)
        if vault is None or not principal:
            return False
        return self._grants.get(
            (name.lower(), principal.lower()), lambda: self.access.has_grant(vault, principal)
        )

    def forget_grants(self, credential_set: CredentialSet) -> None:
        """After a grant was restored: the next look at this identity reads again."""
        principal = (credential_set.principal_id or "").lower()
        for name in self.vault_names(credential_set):
            self._grants.forget((name.lower(), principal))

    def secret(self, uri: str) -> SecretState:
        try:
            parsed = parse_secret_uri(uri, dns_suffix=self.dns_suffix)
        except SecretUriError:
            return SecretState(uri=uri, pinned_version=None, versions=())
        versions = self._secrets.get(
            (parsed.vault.lower(), parsed.name.lower()),
            lambda: SecretState(
                uri=uri,
                pinned_version=None,
                versions=tuple(self.vaults.secret_versions(parsed.vault, parsed.name)),
            ),
        ).versions
        return SecretState(uri=uri, pinned_version=parsed.version, versions=versions)

    def secrets_of(self, credential_set: CredentialSet) -> list[SecretState]:
        return [
            self.secret(credential_set.username_secret_uri),
            self.secret(credential_set.password_secret_uri),
        ]

    def rule_facts(self, rule: CacheRule, sets: Mapping[str, CredentialSet]) -> RuleFacts:
        """Facts of one rule from the registry's sets (by lower-case name) and the sweep's caches: no request."""
        name = rule.credential_set_name
        credential_set = sets.get(name.lower()) if name else None
        if credential_set is None:
            return RuleFacts(rule=rule, credentials_required=credentials_required(rule))
        return RuleFacts(
            rule=rule,
            credentials_required=credentials_required(rule),
            credential_set=credential_set,
            secrets=self.secrets_of(credential_set),
            vaults_without_grant=self.vaults_without_grant(credential_set),
        )
