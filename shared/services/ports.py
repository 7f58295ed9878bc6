"""What the services need from Azure, as protocols, so tests and later stores can plug in other implementations."""

from __future__ import annotations

from typing import Protocol

from shared.domain.models import CacheRule, CredentialSet, Registry, RoleAssignment, SecretMetadata, Vault


class Registries(Protocol):
    def list_registries(self) -> list[Registry]: ...
    def find_registry(self, name: str) -> Registry | None: ...
    def list_cache_rules(self, registry: Registry) -> list[CacheRule]: ...
    def get_cache_rule(self, registry: Registry, name: str) -> CacheRule | None: ...
    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule: ...
    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule: ...
    def delete_cache_rule(self, registry: Registry, name: str) -> None: ...
    def list_credential_sets(self, registry: Registry) -> list[CredentialSet]: ...
    def get_credential_set(self, registry: Registry, name: str) -> CredentialSet | None: ...
    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet: ...
    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet: ...
    def delete_credential_set(self, registry: Registry, name: str) -> None: ...


class Vaults(Protocol):
    def find_vault(self, name: str) -> Vault | None: ...
    def get_vault(self, subscription_id: str, resource_group: str, name: str) -> Vault | None: ...
    def add_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None: ...
    def remove_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None: ...
    def secret_versions(self, vault: str, name: str) -> list[SecretMetadata]: ...


class Roles(Protocol):
    def assignments_for(self, scope: str, principal_id: str) -> list[RoleAssignment]: ...
    def grant_secrets_user(self, scope: str, principal_id: str) -> RoleAssignment | None: ...
    def delete(self, assignment_id: str) -> None: ...


class RegistriesDecorator:
    """A ``Registries`` that passes every call to ``inner``: decorators (audit, index) override only what they add."""

    def __init__(self, inner: Registries) -> None:
        self.inner = inner

    def list_registries(self) -> list[Registry]:
        return self.inner.list_registries()

    def find_registry(self, name: str) -> Registry | None:
        return self.inner.find_registry(name)

    def list_cache_rules(self, registry: Registry) -> list[CacheRule]:
        return self.inner.list_cache_rules(registry)

    def get_cache_rule(self, registry: Registry, name: str) -> CacheRule | None:
        return self.inner.get_cache_rule(registry, name)

    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule:
        return self.inner.create_cache_rule(
            registry, name, source=source, target=target, credential_set_id=credential_set_id
        )

    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule:
        return self.inner.set_cache_rule_credential_set(registry, name, credential_set_id)

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        self.inner.delete_cache_rule(registry, name)

    def list_credential_sets(self, registry: Registry) -> list[CredentialSet]:
        return self.inner.list_credential_sets(registry)

    def get_credential_set(self, registry: Registry, name: str) -> CredentialSet | None:
        return self.inner.get_credential_set(registry, name)

    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet:
        return self.inner.create_credential_set(
            registry, name, login_server=login_server, username_uri=username_uri, password_uri=password_uri
        )

    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet:
        return self.inner.update_credential_set(
            registry, name, username_uri=username_uri, password_uri=password_uri
        )

    def delete_credential_set(self, registry: Registry, name: str) -> None:
        self.inner.delete_credential_set(registry, name)
