"""In-memory fakes of the services' ports (Registries, Vaults, Roles) with the ARM semantics the services rely on.

One :class:`FakeAzure` holds the state; a credential set gets a fresh system-assigned identity, its health is
Healthy only when that identity may get both secrets (access policy or Secrets User role at the vault) and both
secrets exist, a second rule on a target is refused as ARM refuses it, and ``fail`` makes the next call of a
named operation raise, so tests can break any step.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from shared.domain.errors import AutopilotError, AzureRejected
from shared.domain.models import (
    AccessPolicy,
    CacheRule,
    CredentialHealth,
    CredentialSet,
    Registry,
    RoleAssignment,
    SecretMetadata,
    Vault,
)
from shared.domain.roles import KEY_VAULT_SECRETS_USER, SECRET_READER_ROLES, role_guid
from shared.domain.secrets import parse_secret_uri
from tests.fakes import models

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
DNS = ".vault.azure.net"


@dataclass
class FakeAzure:
    registries: dict[str, Registry] = field(default_factory=dict)
    rules: dict[tuple[str, str], CacheRule] = field(default_factory=dict)
    sets: dict[tuple[str, str], CredentialSet] = field(default_factory=dict)
    vaults: dict[str, Vault] = field(default_factory=dict)
    assignments: dict[str, RoleAssignment] = field(default_factory=dict)
    secrets: dict[tuple[str, str], list[SecretMetadata]] = field(default_factory=dict)
    failures: dict[str, AutopilotError] = field(default_factory=dict)
    rule_state: str = "Succeeded"  # what a created rule's provisioning ends in
    set_state: str = "Succeeded"  # what a created credential set's provisioning ends in
    refused_logins: set[str] = field(default_factory=set)  # upstreams that refuse the secrets' login
    rbac_pending: bool = False  # role assignments exist but have not taken effect yet (propagation delay)
    before_write: Callable[[str], None] | None = None  # called with the operation before each write
    writes: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # set-up
    def add_registry(self, name: str, *, subscription_id: str = SUB, resource_group: str = "rg") -> Registry:
        registry = models.registry(name, subscription_id=subscription_id, resource_group=resource_group)
        self.registries[name.lower()] = registry
        return registry

    def add_vault(self, name: str, *, rbac: bool = False, tenant_id: str = TENANT) -> Vault:
        vault = Vault(
            id=f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}",
            name=name,
            subscription_id=SUB,
            resource_group="rg",
            tenant_id=tenant_id,
            rbac=rbac,
        )
        self.vaults[name.lower()] = vault
        return vault

    def add_secret(
        self, vault: str, name: str, *, enabled: bool = True, expires_on: float | None = None
    ) -> str:
        version = f"{next(self._ids):032x}"
        self.secrets.setdefault((vault.lower(), name.lower()), []).insert(
            0,
            SecretMetadata(
                vault=vault,
                name=name,
                version=version,
                enabled=enabled,
                not_before=None,
                expires_on=expires_on,
                created_on=float(next(self._ids)),
            ),
        )
        return f"https://{vault}{DNS}/secrets/{name}"

    def fail(self, operation: str, error: AutopilotError | None = None) -> None:
        """The next call of ``operation`` (a port method name) raises ``error`` (Azure answering 500)."""
        self.failures[operation] = error or AutopilotError(f"{operation}: Azure answered 500")

    def _call(self, operation: str) -> None:
        if self.before_write is not None:
            self.before_write(operation)
        error = self.failures.pop(operation, None)
        if error is not None:
            raise error

    def _write(self, what: str) -> None:
        self.writes.append(what)

    # what artifact cache and Key Vault would say
    def may_get(self, vault: Vault, principal_id: str) -> bool:
        if vault.rbac:
            return not self.rbac_pending and any(
                a.principal_id == principal_id
                and a.scope.lower() == vault.id.lower()
                and role_guid(a.role_definition_id) in SECRET_READER_ROLES
                for a in self.assignments.values()
            )
        return vault.policy_grants_get(principal_id)

    def health_of(self, credential_set: CredentialSet) -> CredentialHealth:
        for uri in (credential_set.username_secret_uri, credential_set.password_secret_uri):
            parsed = parse_secret_uri(uri, dns_suffix=DNS)
            vault = self.vaults.get(parsed.vault.lower())
            if vault is None or not credential_set.principal_id:
                return CredentialHealth(status="Unhealthy", error_code="Forbidden")
            if not self.may_get(vault, credential_set.principal_id):
                return CredentialHealth(status="Unhealthy", error_code="AccessDenied", error_message="no get")
            versions = self.secrets.get((parsed.vault.lower(), parsed.name.lower()), [])
            if not versions or (parsed.version and not any(v.version == parsed.version for v in versions)):
                return CredentialHealth(status="Unhealthy", error_code="SecretNotFound")
        if credential_set.login_server.lower() in self.refused_logins:
            return CredentialHealth(
                status="Unhealthy",
                error_code="UpstreamAuthenticationFailed",
                error_message=f"the secrets do not log in to '{credential_set.login_server}'",
            )
        return CredentialHealth(status="Healthy")

    def with_health(self, credential_set: CredentialSet) -> CredentialSet:
        return replace(credential_set, health=self.health_of(credential_set))


class FakeRegistries:
    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def list_registries(self) -> list[Registry]:
        self.azure._call("list_registries")
        return list(self.azure.registries.values())

    def find_registry(self, name: str) -> Registry | None:
        return self.azure.registries.get(name.lower())

    def list_cache_rules(self, registry: Registry) -> list[CacheRule]:
        return [r for (reg, _), r in self.azure.rules.items() if reg == registry.name.lower()]

    def get_cache_rule(self, registry: Registry, name: str) -> CacheRule | None:
        return self.azure.rules.get((registry.name.lower(), name.lower()))

    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule:
        self.azure._call("create_cache_rule")
        for rule in self.list_cache_rules(registry):
            if rule.target_repository.lower() == target.lower() and rule.name.lower() != name.lower():
                raise AzureRejected(
                    "target taken", http_status=409, code="TargetRepositoryAlreadyPresentInRegistry"
                )
        rule = CacheRule(
            id=f"{registry.id}/cacheRules/{name}",
            name=name,
            source_repository=source,
            target_repository=target,
            credential_set_id=credential_set_id,
            provisioning_state=self.azure.rule_state,
        )
        self.azure.rules[(registry.name.lower(), name.lower())] = rule
        self.azure._write(f"create cacheRule {name}")
        return rule

    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule:
        self.azure._call("set_cache_rule_credential_set")
        key = (registry.name.lower(), name.lower())
        updated = replace(self.azure.rules[key], credential_set_id=credential_set_id)
        self.azure.rules[key] = updated
        self.azure._write(f"update cacheRule {name}")
        return updated

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        self.azure._call("delete_cache_rule")
        self.azure.rules.pop((registry.name.lower(), name.lower()), None)
        self.azure._write(f"delete cacheRule {name}")

    def list_credential_sets(self, registry: Registry) -> list[CredentialSet]:
        return [
            self.azure.with_health(c)
            for (reg, _), c in self.azure.sets.items()
            if reg == registry.name.lower()
        ]

    def get_credential_set(self, registry: Registry, name: str) -> CredentialSet | None:
        found = self.azure.sets.get((registry.name.lower(), name.lower()))
        return self.azure.with_health(found) if found else None

    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet:
        self.azure._call("create_credential_set")
        made = CredentialSet(
            id=f"{registry.id}/credentialSets/{name}",
            name=name,
            login_server=login_server,
            username_secret_uri=username_uri,
            password_secret_uri=password_uri,
            principal_id=f"00000000-0000-0000-0000-{next(self.azure._ids):012d}",
            tenant_id=TENANT,
            provisioning_state=self.azure.set_state,
        )
        self.azure.sets[(registry.name.lower(), name.lower())] = made
        self.azure._write(f"create credentialSet {name}")
        return self.azure.with_health(made)

    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet:
        self.azure._call("update_credential_set")
        key = (registry.name.lower(), name.lower())
        updated = replace(
            self.azure.sets[key],
            username_secret_uri=username_uri,
            password_secret_uri=password_uri,
            provisioning_state="Succeeded",  # a write runs the operation again, also on a Failed set
        )
        self.azure.sets[key] = updated
        self.azure._write(f"update credentialSet {name}")
        return self.azure.with_health(updated)

    def delete_credential_set(self, registry: Registry, name: str) -> None:
        self.azure._call("delete_credential_set")
        self.azure.sets.pop((registry.name.lower(), name.lower()), None)
        self.azure._write(f"delete credentialSet {name}")


class FakeVaults:
    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def find_vault(self, name: str) -> Vault | None:
        return self.azure.vaults.get(name.lower())

    def get_vault(self, subscription_id: str, resource_group: str, name: str) -> Vault | None:
        return self.find_vault(name)

    def _policies(
        self, vault: Vault, change: Callable[[tuple[AccessPolicy, ...]], tuple[AccessPolicy, ...]]
    ) -> None:
        current = self.azure.vaults[vault.name.lower()]
        self.azure.vaults[vault.name.lower()] = replace(
            current, access_policies=change(current.access_policies)
        )

    def add_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self.azure._call("add_secret_get_policy")
        policy = AccessPolicy(tenant_id=tenant_id, object_id=object_id, secret_permissions=("get",))
        self._policies(vault, lambda ps: (*ps, policy))
        self.azure._write(f"add accessPolicy {vault.name}")

    def remove_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self.azure._call("remove_secret_get_policy")
        self._policies(vault, lambda ps: tuple(p for p in ps if p.object_id != object_id))
        self.azure._write(f"remove accessPolicy {vault.name}")

    def secret_versions(self, vault: str, name: str) -> list[SecretMetadata]:
        return list(self.azure.secrets.get((vault.lower(), name.lower()), []))


class FakeRoles:
    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure

    def assignments_for(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        return [
            a
            for a in self.azure.assignments.values()
            if a.principal_id == principal_id and scope.lower().startswith(a.scope.lower())
        ]

    def grant_secrets_user(self, scope: str, principal_id: str) -> RoleAssignment | None:
        self.azure._call("grant_secrets_user")
        role = (
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_SECRETS_USER}"
        )
        if any(
            a.scope == scope and a.principal_id == principal_id and a.role_definition_id == role
            for a in self.azure.assignments.values()
        ):
            return None  # ARM: 409 RoleAssignmentExists
        assignment = RoleAssignment(
            id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{next(self.azure._ids)}",
            scope=scope,
            principal_id=principal_id,
            role_definition_id=role,
        )
        self.azure.assignments[assignment.id] = assignment
        self.azure._write(f"create roleAssignment {scope.rsplit('/', 1)[-1]}")
        return assignment

    def delete(self, assignment_id: str) -> None:
        self.azure._call("delete_role_assignment")
        self.azure.assignments.pop(assignment_id, None)
        self.azure._write("delete roleAssignment")
