"""Credential-set writes: create or reuse one, point it at other secrets, delete it; each grant made and checked.

Rule writes use :meth:`CredentialSetWrites.reusable_for` / :meth:`ensure_for_rule` so a rule and a standalone
credential set are provisioned the same way.
"""

from __future__ import annotations

import logging

from shared.domain.errors import (
    AutopilotError,
    CredentialSetConflict,
    CredentialSetInUse,
    FieldError,
    ValidationFailed,
)
from shared.domain.models import CredentialSet, Registry, SecretUri, Vault
from shared.domain.requests import CredentialSetPatch, CredentialSetSpec, CredentialsSpec
from shared.domain.results import CredentialSetState, Written
from shared.logs import event
from shared.services.access import AccessService
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.ports import Vaults
from shared.services.rollback import Rollback

log = logging.getLogger(__name__)


class CredentialSetWrites:
    def __init__(
        self,
        *,
        lookup: RegistryLookup,
        vaults: Vaults,
        access: AccessService,
        health: HealthWaiter,
        locks: ProvisioningLocks,
        tenant_id: str | None = None,
    ) -> None:
        self.lookup = lookup
        self.registries = lookup.registries
        self.vaults = vaults
        self.access = access
        self.health = health
        self.locks = locks
        self.tenant_id = tenant_id

    # checks and steps shared with rule writes
    def check_vaults(self, *uris: tuple[str, SecretUri | None]) -> None:
        """Each vault must be in the managed subscriptions and, when the tenant is known, in the app's tenant."""
        errors = []
        found: dict[str, Vault | None] = {}
        for field, uri in uris:
            if uri is None:
                continue
            if uri.vault not in found:  # both secrets usually live in one vault: read it once
                found[uri.vault] = self.vaults.find_vault(uri.vault)
            vault = found[uri.vault]
            if vault is None:
                message = f"Key Vault '{uri.vault}' was not found in the subscriptions this app manages"
            elif self.tenant_id and vault.tenant_id.lower() != self.tenant_id:
                message = (
                    f"Key Vault '{uri.vault}' belongs to tenant {vault.tenant_id}, not this app's tenant: "
                    "a credential set's identity can only be granted access in its own tenant"
                )
            else:
                continue
            errors.append(FieldError(field=field, message=message))
        if errors:
            raise ValidationFailed("The secrets are in vaults the app cannot use", errors=errors)

    def reusable_for(self, registry: Registry, creds: CredentialsSpec) -> CredentialSet | None:
        """Vaults must be usable; returns an existing set with the same credentials (reused) or None (create)."""
        self.check_vaults(
            ("credentials.usernameSecretUri", creds.username),
            ("credentials.passwordSecretUri", creds.password),
        )
        sets = self.registries.list_credential_sets(registry)
        same = [
            s for s in sets if s.same_credentials(creds.login_server, creds.username.uri, creds.password.uri)
        ]
        if creds.name_given:
            named = next((s for s in sets if s.name.lower() == creds.credential_set_name.lower()), None)
            if named is not None and named not in same:
                raise CredentialSetConflict(
                    f"credential set '{named.name}' exists with other credentials",
                    extensions={"existing": named},
                )
            return named
        preferred = [s for s in same if s.name.lower() == creds.credential_set_name.lower()]
        candidates = preferred or same
        return candidates[0] if candidates else None

    def ensure_for_rule(
        self, registry: Registry, creds: CredentialsSpec, reuse: CredentialSet | None, rollback: Rollback
    ) -> CredentialSet:
        """The set a new rule uses: ``reuse``, one a concurrent request made meanwhile, or a new one."""
        with self.locks.hold(f"{registry.id}/credentialSets/{creds.credential_set_name}"):
            if reuse is not None:
                return reuse
            existing = self.registries.get_credential_set(registry, creds.credential_set_name)
            if existing is not None:
                return existing
            return self._create(
                registry,
                creds.credential_set_name,
                creds.login_server,
                creds.username,
                creds.password,
                rollback,
            )

    def _create(
        self,
        registry: Registry,
        name: str,
        login_server: str,
        username: SecretUri,
        password: SecretUri,
        rollback: Rollback,
    ) -> CredentialSet:
        made = self.registries.create_credential_set(
            registry, name, login_server=login_server, username_uri=username.uri, password_uri=password.uri
        )
        rollback.add(
            f"credentialSet:{made.name}", lambda: self.registries.delete_credential_set(registry, made.name)
        )
        return made

    def grant_and_verify(self, credential_set: CredentialSet, rollback: Rollback) -> None:
        rollback.step = "grant"
        self.access.ensure(credential_set, rollback)
        rollback.step = "verifyGrant"
        missing = self.access.verify(credential_set)
        if missing:
            raise AutopilotError(f"the grant is not visible on vault(s) {', '.join(missing)}")

    def _settled(self, registry: Registry, name: str, current: CredentialSet) -> CredentialSetState:
        settled = self.health.await_health(registry, name) or current
        return CredentialSetState(credential_set=settled, used_by=self.lookup.users_of(registry, name))

    # writes
    def put(self, registry_ref: str, spec: CredentialSetSpec) -> Written[CredentialSetState]:
        registry = self.lookup.registry(registry_ref)
        self.check_vaults(("usernameSecretUri", spec.username), ("passwordSecretUri", spec.password))
        with self.locks.hold(f"{registry.id}/credentialSets/{spec.name}"):
            existing = self.registries.get_credential_set(registry, spec.name)
            if existing is not None and existing.login_server.lower() != spec.login_server:
                raise CredentialSetConflict(
                    f"credential set '{spec.name}' signs in to '{existing.login_server}'; loginServer is immutable",
                    extensions={"existing": existing},
                )
            rollback = Rollback(step="credentialSet")
            try:
                if existing is None:
                    current = self._create(
                        registry, spec.name, spec.login_server, spec.username, spec.password, rollback
                    )
                elif not existing.same_credentials(spec.login_server, spec.username.uri, spec.password.uri):
                    current = self.registries.update_credential_set(
                        registry, spec.name, username_uri=spec.username.uri, password_uri=spec.password.uri
                    )
                else:
                    current = existing
                self.grant_and_verify(current, rollback)
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return Written(value=self._settled(registry, spec.name, current), created=existing is None)

    def patch(self, registry_ref: str, name: str, patch: CredentialSetPatch) -> CredentialSetState:
        registry = self.lookup.registry(registry_ref)
        self.check_vaults(("usernameSecretUri", patch.username), ("passwordSecretUri", patch.password))
        with self.locks.hold(f"{registry.id}/credentialSets/{name}"):
            existing = self.lookup.credential_set(registry, name)
            if patch.login_server and patch.login_server != existing.login_server.lower():
                raise ValidationFailed.of(
                    "The credential set update is invalid",
                    field="loginServer",
                    message=f"is immutable ('{existing.login_server}'): create a new credential set instead",
                )
            username = patch.username.uri if patch.username else existing.username_secret_uri
            password = patch.password.uri if patch.password else existing.password_secret_uri
            current = existing
            rollback = Rollback(step="credentialSet")
            try:
                if not existing.same_credentials(existing.login_server, username, password):
                    current = self.registries.update_credential_set(
                        registry, name, username_uri=username, password_uri=password
                    )
                rollback.step = "grant"
                self.access.ensure(current, rollback)
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return self._settled(registry, name, current)

    def delete(self, registry_ref: str, name: str) -> None:
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(f"{registry.id}/credentialSets/{name}"):
            existing = self.lookup.credential_set(registry, name)
            users = self.lookup.users_of(registry, name)
            if users:
                raise CredentialSetInUse(
                    f"credential set '{name}' is used by cache rule(s) {', '.join(users)}; "
                    "delete them or PATCH them to another credential set first",
                    extensions={"cacheRules": list(users)},
                )
            self.registries.delete_credential_set(registry, name)
            try:
                self.access.revoke(existing)
            except AutopilotError:
                # The identity is gone with the set; a leftover grant is harmless and the sweep cleans it up.
                event(
                    log, logging.WARNING, "StaleGrantNotRemoved", registry=registry.name, credentialSet=name
                )
