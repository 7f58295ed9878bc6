"""Which credential sets use which Key Vault secret, in Table storage: a rotation reads it instead of listing ARM.

Three kinds of rows: one per credential set (partition ``set-{registry digest}``: its registry, identity, secret
URIs and the identity and vaults last granted), one per secret use (partition ``vault-{vault}``: secret name, field,
pinned version, the set it belongs to) and one per cache rule (partition ``rules-{registry digest}``: the set it uses,
so a rotation records its rules' verdicts without listing them). A ``meta`` row says the index was built by a full
scan, so a cold index is rebuilt once and a warm one trusted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.domain.models import CacheRule, CredentialSet, Registry, SecretUri
from shared.domain.secrets import parse_secret_uri
from shared.state.tables import Row, TableStore, Value

_META = "meta"
_BUILT = "built-with-rules"  # renamed when rule rows were added: an index built before them is rebuilt once


def _digest(text: str) -> str:
    return hashlib.sha256(text.lower().encode()).hexdigest()[:40]


def _set_partition(registry_id: str) -> str:
    return "set-" + _digest(registry_id)


def _vault_partition(vault: str) -> str:
    return "vault-" + vault.lower()


def _rules_partition(registry_id: str) -> str:
    return "rules-" + _digest(registry_id)


def _rule(row: Row) -> CacheRule:
    d = row.data
    return CacheRule(
        id=str(d.get("RuleId") or ""),
        name=str(d.get("Name") or ""),
        source_repository=str(d.get("Source") or ""),
        target_repository=str(d.get("Target") or ""),
        credential_set_id=str(d.get("SetId") or "") or None,
        provisioning_state=str(d.get("State") or "") or None,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexedSet:
    """A credential set as last seen: enough to find it again, and to revoke its identity's grants once it is gone."""

    registry: Registry
    name: str
    id: str
    principal_id: str | None
    tenant_id: str | None
    login_server: str
    username_secret_uri: str
    password_secret_uri: str

    def as_credential_set(self) -> CredentialSet:
        return CredentialSet(
            id=self.id,
            name=self.name,
            login_server=self.login_server,
            username_secret_uri=self.username_secret_uri,
            password_secret_uri=self.password_secret_uri,
            principal_id=self.principal_id,
            tenant_id=self.tenant_id,
        )


@dataclass(frozen=True, slots=True)
class RecordedSet:
    """A set's index row that records a grant, read once and judged against ARM's answer without a second read."""

    row: Row


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretUse:
    """One field of one credential set reading a secret; ``pinned_version`` None means it follows the latest."""

    registry_id: str
    set_name: str
    field: str  # "username" | "password"
    pinned_version: str | None


def _set_data(registry: Registry, cs: CredentialSet) -> dict[str, Value]:
    return {
        "RegistryId": registry.id,
        "RegistryName": registry.name,
        "SubscriptionId": registry.subscription_id,
        "ResourceGroup": registry.resource_group,
        "LoginServerOfRegistry": registry.login_server,
        "Name": cs.name,
        "SetId": cs.id,
        "PrincipalId": cs.principal_id,
        "TenantId": cs.tenant_id,
        "LoginServer": cs.login_server,
        "UsernameUri": cs.username_secret_uri,
        "PasswordUri": cs.password_secret_uri,
    }


def _indexed(row: Row) -> IndexedSet:
    d = row.data

    def text(key: str) -> str:
        return str(d.get(key) or "")

    return IndexedSet(
        registry=Registry(
            id=text("RegistryId"),
            name=text("RegistryName"),
            subscription_id=text("SubscriptionId"),
            resource_group=text("ResourceGroup"),
            login_server=text("LoginServerOfRegistry"),
        ),
        name=text("Name"),
        id=text("SetId"),
        principal_id=text("PrincipalId") or None,
        tenant_id=text("TenantId") or None,
        login_server=text("LoginServer"),
        username_secret_uri=text("UsernameUri"),
        password_secret_uri=text("PasswordUri"),
    )


class SecretIndex:
    def __init__(self, table: TableStore, *, dns_suffix: str, now: Callable[[], float] = time.time) -> None:
        self.table = table
        self.dns_suffix = dns_suffix
        self.now = now

    # the warm/cold marker
    @property
    def warm(self) -> bool:
        return self.table.get(_META, _BUILT) is not None

    def mark_built(self) -> None:
        self.table.upsert(_META, _BUILT, {"BuiltAt": self.now()})

    # reads
    def get(self, registry_id: str, name: str) -> IndexedSet | None:
        row = self.table.get(_set_partition(registry_id), _digest(name))
        return _indexed(row) if row else None

    def registry_sets(self, registry_id: str) -> list[IndexedSet]:
        return [_indexed(r) for r in self.table.query(_set_partition(registry_id))]

    def uses_of(self, vault: str, secret: str) -> list[SecretUse]:
        return [use for name, use in self._vault_uses(vault) if name.lower() == secret.lower()]

    def in_vault(self, vault: str) -> list[SecretUse]:
        return [use for _, use in self._vault_uses(vault)]

    def rules_using(self, registry_id: str, set_name: str) -> list[CacheRule]:
        """The registry's indexed cache rules that use the set ``set_name``."""
        rules = (_rule(r) for r in self.table.query(_rules_partition(registry_id)))
        return [r for r in rules if (r.credential_set_name or "").lower() == set_name.lower()]

    def granted(self, registry_id: str, cs: CredentialSet) -> bool:
        """True when ``cs``'s identity was granted on every vault its secrets are in (recorded by ``put``)."""
        return self._granted(self.table.get(_set_partition(registry_id), _digest(cs.name)), cs)

    def _granted(self, row: Row | None, cs: CredentialSet) -> bool:
        if row is None or not cs.principal_id:
            return False
        principal = str(row.data.get("GrantedPrincipal") or "")
        vaults = set(str(row.data.get("GrantedVaults") or "").split(","))
        return principal.lower() == cs.principal_id.lower() and self._vaults(cs) <= vaults

    def refresh_if_granted(self, registry: Registry, cs: CredentialSet) -> bool:
        """``put`` when ``cs``'s identity holds its recorded grant, else nothing: the check and the write share one
        read (every write of the app's own comes back as a resource event that asks exactly this)."""
        stored = self.table.get(_set_partition(registry.id), _digest(cs.name))
        if not self._granted(stored, cs):
            return False
        self._put(registry, cs, granted=False, stored=stored)
        return True

    def _vault_uses(self, vault: str) -> list[tuple[str, SecretUse]]:
        return [
            (
                str(r.data.get("SecretName") or ""),
                SecretUse(
                    registry_id=str(r.data.get("RegistryId") or ""),
                    set_name=str(r.data.get("SetName") or ""),
                    field=str(r.data.get("Field") or ""),
                    pinned_version=str(r.data.get("Version") or "") or None,
                ),
            )
            for r in self.table.query(_vault_partition(vault))
        ]

    # writes
    def _uses(self, cs: CredentialSet) -> dict[tuple[str, str], tuple[str, SecretUri]]:
        """(vault partition, row key) -> (field, parsed URI), for each field naming a Key Vault secret."""
        found = {}
        for field, uri in (("username", cs.username_secret_uri), ("password", cs.password_secret_uri)):
            try:
                parsed = parse_secret_uri(uri, dns_suffix=self.dns_suffix)
            except ValueError:
                continue  # not a secret this cloud's Key Vault holds: nothing to follow
            found[(_vault_partition(parsed.vault), _digest(f"{parsed.name}|{cs.id}|{field}"))] = (
                field,
                parsed,
            )
        return found

    def _vaults(self, cs: CredentialSet) -> set[str]:
        return {uri.vault.lower() for _, uri in self._uses(cs).values()}

    def put(self, registry: Registry, cs: CredentialSet, *, granted: bool = False) -> None:
        """Index ``cs`` as it is now (its previous secret uses are dropped). ``granted``: its identity was just
        granted on its vaults; otherwise the grant recorded for the same identity is kept, and another's dropped."""
        self._put(
            registry,
            cs,
            granted=granted,
            stored=self.table.get(_set_partition(registry.id), _digest(cs.name)),
        )

    def _put(self, registry: Registry, cs: CredentialSet, *, granted: bool, stored: Row | None) -> None:
        deletes, upserts = self._changes(registry, cs, granted=granted, stored=stored)
        for partition, row in deletes:
            self.table.delete(partition, row)
        for partition, row, data in upserts:
            self.table.upsert(partition, row, data)

    def _changes(
        self, registry: Registry, cs: CredentialSet, *, granted: bool, stored: Row | None
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str, dict[str, Value]]]]:
        """The rows to delete and to write so the index says ``cs``; only what changed (a re-applied or re-seen
        set costs one read)."""
        previous = _indexed(stored) if stored else None
        grant: dict[str, Value] = {"GrantedPrincipal": None, "GrantedVaults": None}
        if granted:
            grant = {"GrantedPrincipal": cs.principal_id, "GrantedVaults": ",".join(sorted(self._vaults(cs)))}
        elif stored is not None and stored.data.get("GrantedPrincipal") == cs.principal_id:
            grant = {key: stored.data.get(key) for key in grant}
        current = self._uses(cs)
        before = self._uses(previous.as_credential_set()) if previous is not None else {}
        upserts: list[tuple[str, str, dict[str, Value]]] = [
            (
                partition,
                row,
                {
                    "SecretName": uri.name,
                    "Version": uri.version,
                    "RegistryId": registry.id,
                    "SetName": cs.name,
                    "Field": field,
                },
            )
            for (partition, row), (field, uri) in current.items()
            if before.get((partition, row)) != (field, uri)
        ]
        data = {**_set_data(registry, cs), **grant}
        if stored is None or any(stored.data.get(key) != value for key, value in data.items()):
            upserts.append((_set_partition(registry.id), _digest(cs.name), data))
        return list(before.keys() - current.keys()), upserts

    def recorded(self, registry_id: str, name: str) -> RecordedSet | None:
        """The set's row as it is now, with the grant it records, if it records one; one read."""
        stored = self.table.get(_set_partition(registry_id), _digest(name))
        return RecordedSet(stored) if stored is not None and stored.data.get("GrantedPrincipal") else None

    def settled(self, registry: Registry, cs: CredentialSet, recorded: RecordedSet) -> bool:
        """True when ``recorded`` (just read) already says ``cs`` exactly and holds its identity's grant: nothing to
        write and nothing to grant, so a caller may stop before taking the set's lease. No read."""
        stored = recorded.row
        return self._granted(stored, cs) and self._changes(registry, cs, granted=False, stored=stored) == (
            [],
            [],
        )

    def put_rule(self, registry_id: str, rule: CacheRule) -> None:
        self.table.upsert(
            _rules_partition(registry_id),
            _digest(rule.name),
            {
                "RuleId": rule.id,
                "Name": rule.name,
                "Source": rule.source_repository,
                "Target": rule.target_repository,
                "SetId": rule.credential_set_id,
                "State": rule.provisioning_state,
            },
        )

    def remove_rule(self, registry_id: str, name: str) -> None:
        self.table.delete(_rules_partition(registry_id), _digest(name))

    def remove(self, registry_id: str, name: str) -> IndexedSet | None:
        """Forget a credential set; returns what was indexed of it (its identity, to revoke), or None."""
        previous = self.get(registry_id, name)
        if previous is None:
            return None
        for key in self._uses(previous.as_credential_set()):
            self.table.delete(*key)
        self.table.delete(_set_partition(registry_id), _digest(name))
        return previous

    def drop_registry(self, registry_id: str) -> list[IndexedSet]:
        """Forget every credential set and cache rule of a registry; returns the sets."""
        sets = self.registry_sets(registry_id)
        for indexed in sets:
            self.remove(registry_id, indexed.name)
        for rule in self.table.query(_rules_partition(registry_id)):
            self.table.delete(rule.partition, rule.row)
        return sets
