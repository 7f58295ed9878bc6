"""Cache rules and credential sets in one call each: validate everything, then write, verify, and undo on failure."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import (
    AutopilotError,
    CacheRuleConflict,
    CacheRuleNotFound,
    CredentialSetConflict,
    CredentialSetInUse,
    CredentialSetNotFound,
    FieldError,
    RegistryNotFound,
    ValidationFailed,
)
from shared.domain.models import CacheRule, CredentialSet, Registry, SecretUri, Vault
from shared.domain.names import is_registry_name
from shared.domain.repositories import normalise_source
from shared.domain.requests import (
    CacheRuleSpec,
    CredentialSetPatch,
    CredentialSetSpec,
    CredentialsSpec,
)
from shared.domain.upstreams import CredentialPolicy, credential_policy
from shared.logs import event
from shared.services.access import AccessService
from shared.services.conflicts import check_against_existing
from shared.services.locks import ProvisioningLocks
from shared.services.ports import Registries, Vaults
from shared.services.rollback import Rollback
from shared.services.views import credential_set_view, rule_view

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """A result and whether this call created it (201) or found it already as asked (200)."""

    view: dict[str, Any]
    created: bool


class ProvisioningService:
    def __init__(
        self,
        *,
        registries: Registries,
        vaults: Vaults,
        access: AccessService,
        health_wait_seconds: float,
        tenant_id: str | None = None,
        locks: ProvisioningLocks | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registries = registries
        self.vaults = vaults
        self.access = access
        self.health_wait_seconds = health_wait_seconds
        self.tenant_id = tenant_id
        self.sleep = sleep
        self.clock = clock
        self.locks = locks or ProvisioningLocks(None)

    # lookups
    def registry(self, name: str) -> Registry:
        if not is_registry_name(name):
            raise ValidationFailed.of(
                "The registry name in the URL is invalid",
                field="registry",
                message="must be 5-50 letters and digits",
            )
        registry = self.registries.find_registry(name)
        if registry is None:
            raise RegistryNotFound(f"registry '{name}' was not found in the managed subscriptions")
        return registry

    def _rule(self, registry: Registry, name: str) -> CacheRule:
        rule = self.registries.get_cache_rule(registry, name)
        if rule is None:
            raise CacheRuleNotFound(f"cache rule '{name}' does not exist in registry '{registry.name}'")
        return rule

    def _credential_set(self, registry: Registry, name: str) -> CredentialSet:
        found = self.registries.get_credential_set(registry, name)
        if found is None:
            raise CredentialSetNotFound(
                f"credential set '{name}' does not exist in registry '{registry.name}'"
            )
        return found

    def _set_of(self, registry: Registry, rule: CacheRule) -> CredentialSet | None:
        name = rule.credential_set_name
        return self.registries.get_credential_set(registry, name) if name else None

    def _view(self, registry: Registry, rule: CacheRule) -> dict[str, Any]:
        return rule_view(registry, rule, self._set_of(registry, rule))

    # reads
    def get_rule(self, registry_name: str, name: str) -> dict[str, Any]:
        registry = self.registry(registry_name)
        return self._view(registry, self._rule(registry, name))

    def list_rules(self, registry_name: str) -> dict[str, Any]:
        registry = self.registry(registry_name)
        sets = {c.name.lower(): c for c in self.registries.list_credential_sets(registry)}
        rules = self.registries.list_cache_rules(registry)
        views = [
            rule_view(registry, r, sets.get((r.credential_set_name or "").lower()))
            for r in sorted(rules, key=lambda r: r.name.lower())
        ]
        return {"value": views, "count": len(views)}

    # cache rule writes
    def put_rule(self, registry_name: str, spec: CacheRuleSpec) -> Outcome:
        registry = self.registry(registry_name)
        with self.locks.hold(f"{registry.id}/cacheRules/{spec.name}"):
            existing = self.registries.get_cache_rule(registry, spec.name)
            if existing is not None:
                return Outcome(view=self._existing_rule_as_asked(registry, existing, spec), created=False)
            return self._create_rule(registry, spec)

    def _existing_rule_as_asked(
        self, registry: Registry, rule: CacheRule, spec: CacheRuleSpec
    ) -> dict[str, Any]:
        differences = []
        if rule.source_repository.lower() != spec.source_repository:
            differences.append(f"sourceRepository is '{rule.source_repository}'")
        if rule.target_repository.lower() != spec.target:
            differences.append(f"targetRepository is '{rule.target_repository}'")
        current_set = self._set_of(registry, rule)
        if spec.credentials is not None:
            creds = spec.credentials
            if (
                current_set is None
                or not current_set.same_credentials(
                    creds.login_server, creds.username.uri, creds.password.uri
                )
                or (creds.name_given and current_set.name.lower() != creds.credential_set_name.lower())
            ):
                differences.append("it uses other credentials")
        elif (spec.credential_set or "").lower() != (rule.credential_set_name or "").lower():
            differences.append(f"credentialSet is '{rule.credential_set_name}'")
        if differences:
            raise CacheRuleConflict(
                f"cache rule '{rule.name}' exists differently: "
                + "; ".join(differences)
                + " (use PATCH to change its credential set, or DELETE it first)",
                extensions={"existing": rule_view(registry, rule, current_set)},
            )
        if current_set is not None and current_set.principal_id:
            # PUT states the desired end state: a grant removed since is put back (no write when present).
            rollback = Rollback(step="grant")
            try:
                if self.access.ensure(current_set, rollback):
                    current_set = self._await_health(registry, current_set.name) or current_set
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return rule_view(registry, rule, current_set)

    def _check_vaults(self, *uris: tuple[str, SecretUri | None]) -> None:
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

    def _validate_credentials(self, registry: Registry, creds: CredentialsSpec) -> CredentialSet | None:
        """Vaults must be usable; returns an existing set with the same credentials (reused) or None (create)."""
        self._check_vaults(
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
                    extensions={"existing": credential_set_view(named)},
                )
            return named
        preferred = [s for s in same if s.name.lower() == creds.credential_set_name.lower()]
        candidates = preferred or same
        return candidates[0] if candidates else None

    def _check_rule_credential_set(self, registry: Registry, source_login: str, name: str) -> CredentialSet:
        found = self.registries.get_credential_set(registry, name)
        if found is None:
            raise ValidationFailed.of(
                "The cache rule names an unknown credential set",
                field="credentialSet",
                message=f"credential set '{name}' does not exist",
            )
        if found.login_server.lower() != source_login:
            raise ValidationFailed.of(
                "The credential set signs in to another upstream",
                field="credentialSet",
                message=f"credential set '{name}' is for '{found.login_server}', the source is on "
                f"'{source_login}'",
            )
        return found

    def _create_rule(self, registry: Registry, spec: CacheRuleSpec) -> Outcome:
        # 1. Everything that can be checked is checked before the first write.
        check_against_existing(
            name=spec.name, target=spec.target, existing=self.registries.list_cache_rules(registry)
        )
        credential_set: CredentialSet | None = None
        reuse: CredentialSet | None = None
        if spec.credential_set:
            credential_set = self._check_rule_credential_set(
                registry, spec.source.login_server, spec.credential_set
            )
        elif spec.credentials:
            reuse = self._validate_credentials(registry, spec.credentials)

        rollback = Rollback(step="credentialSet")
        try:
            if spec.credentials:
                with self.locks.hold(f"{registry.id}/credentialSets/{spec.credentials.credential_set_name}"):
                    credential_set = reuse or self._make_credential_set(registry, spec.credentials, rollback)
            if credential_set is not None:
                self._grant_and_verify(credential_set, rollback)
            rollback.step = "cacheRule"
            # Registered first: a create whose operation fails leaves the rule behind in state Failed.
            rollback.add(f"cacheRule:{spec.name}", lambda: self._delete_rule_if_present(registry, spec.name))
            rule = self.registries.create_cache_rule(
                registry,
                spec.name,
                source=spec.source_repository,
                target=spec.target,
                credential_set_id=credential_set.id if credential_set else None,
            )
            if rule.provisioning_state not in (None, "Succeeded"):
                raise AutopilotError(f"cache rule provisioning ended in state {rule.provisioning_state}")
        except AutopilotError as exc:
            raise rollback.fail(exc) from exc
        if credential_set is not None:
            credential_set = self._await_health(registry, credential_set.name)
        event(
            log,
            logging.INFO,
            "CacheRuleCreated",
            registry=registry.name,
            cacheRule=spec.name,
            credentialSet=credential_set.name if credential_set else None,
        )
        return Outcome(view=rule_view(registry, rule, credential_set), created=True)

    def _delete_rule_if_present(self, registry: Registry, name: str) -> bool:
        if self.registries.get_cache_rule(registry, name) is None:
            return False
        self.registries.delete_cache_rule(registry, name)
        return True

    def _make_credential_set(
        self, registry: Registry, creds: CredentialsSpec, rollback: Rollback
    ) -> CredentialSet:
        existing = self.registries.get_credential_set(registry, creds.credential_set_name)
        if existing is not None:  # a concurrent request made it meanwhile
            return existing
        return self._create_credential_set(
            registry, creds.credential_set_name, creds.login_server, creds.username, creds.password, rollback
        )

    def _create_credential_set(
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

    def _grant_and_verify(self, credential_set: CredentialSet, rollback: Rollback) -> None:
        rollback.step = "grant"
        self.access.ensure(credential_set, rollback)
        rollback.step = "verifyGrant"
        missing = self.access.verify(credential_set)
        if missing:
            raise AutopilotError(f"the grant is not visible on vault(s) {', '.join(missing)}")

    def _await_health(self, registry: Registry, name: str) -> CredentialSet | None:
        """Artifact cache evaluates credentials asynchronously: wait a bounded time for a Healthy verdict."""
        deadline = self.clock() + self.health_wait_seconds
        delay = 0.5
        while True:
            current = self.registries.get_credential_set(registry, name)
            if current is None or current.health.healthy or self.clock() >= deadline:
                return current
            self.sleep(min(delay, max(deadline - self.clock(), 0.0)))
            delay = min(delay * 2, 4.0)

    def patch_rule(self, registry_name: str, name: str, credential_set_name: str | None) -> dict[str, Any]:
        registry = self.registry(registry_name)
        with self.locks.hold(f"{registry.id}/cacheRules/{name}"):
            rule = self._rule(registry, name)
            source = normalise_source(rule.source_repository)
            credential_set = None
            if credential_set_name is None:
                if credential_policy(source.login_server) is CredentialPolicy.REQUIRED:
                    raise ValidationFailed.of(
                        "The upstream requires credentials",
                        field="credentialSet",
                        message=f"upstream '{source.login_server}' requires a credential set; it cannot "
                        "be removed",
                    )
            else:
                if credential_policy(source.login_server) is CredentialPolicy.FORBIDDEN:
                    raise ValidationFailed.of(
                        "The upstream does not accept credentials",
                        field="credentialSet",
                        message=f"upstream '{source.login_server}' does not accept credentials",
                    )
                credential_set = self._check_rule_credential_set(
                    registry, source.login_server, credential_set_name
                )
            if (rule.credential_set_name or "").lower() == (credential_set_name or "").lower():
                return rule_view(registry, rule, credential_set)
            rollback = Rollback(step="grant")
            try:
                if credential_set is not None:
                    self.access.ensure(credential_set, rollback)
                rollback.step = "cacheRule"
                updated = self.registries.set_cache_rule_credential_set(
                    registry, name, credential_set.id if credential_set else None
                )
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
            return rule_view(registry, updated, credential_set)

    def delete_rule(self, registry_name: str, name: str) -> None:
        registry = self.registry(registry_name)
        with self.locks.hold(f"{registry.id}/cacheRules/{name}"):
            self._rule(registry, name)
            self.registries.delete_cache_rule(registry, name)

    # credential sets
    def _users_of(self, registry: Registry, name: str) -> list[str]:
        return [
            r.name
            for r in self.registries.list_cache_rules(registry)
            if (r.credential_set_name or "").lower() == name.lower()
        ]

    def get_credential_set(self, registry_name: str, name: str) -> dict[str, Any]:
        registry = self.registry(registry_name)
        found = self._credential_set(registry, name)
        return credential_set_view(found, used_by=self._users_of(registry, name))

    def list_credential_sets(self, registry_name: str) -> dict[str, Any]:
        registry = self.registry(registry_name)
        rules = self.registries.list_cache_rules(registry)
        views = []
        for found in sorted(self.registries.list_credential_sets(registry), key=lambda c: c.name.lower()):
            users = [r.name for r in rules if (r.credential_set_name or "").lower() == found.name.lower()]
            views.append(credential_set_view(found, used_by=users))
        return {"value": views, "count": len(views)}

    def put_credential_set(self, registry_name: str, spec: CredentialSetSpec) -> Outcome:
        registry = self.registry(registry_name)
        self._check_vaults(("usernameSecretUri", spec.username), ("passwordSecretUri", spec.password))
        with self.locks.hold(f"{registry.id}/credentialSets/{spec.name}"):
            existing = self.registries.get_credential_set(registry, spec.name)
            if existing is not None and existing.login_server.lower() != spec.login_server:
                raise CredentialSetConflict(
                    f"credential set '{spec.name}' signs in to '{existing.login_server}'; loginServer is immutable",
                    extensions={"existing": credential_set_view(existing)},
                )
            rollback = Rollback(step="credentialSet")
            try:
                if existing is None:
                    current = self._create_credential_set(
                        registry, spec.name, spec.login_server, spec.username, spec.password, rollback
                    )
                elif not existing.same_credentials(spec.login_server, spec.username.uri, spec.password.uri):
                    current = self.registries.update_credential_set(
                        registry, spec.name, username_uri=spec.username.uri, password_uri=spec.password.uri
                    )
                else:
                    current = existing
                self._grant_and_verify(current, rollback)
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        settled = self._await_health(registry, spec.name) or current
        return Outcome(
            view=credential_set_view(settled, used_by=self._users_of(registry, spec.name)),
            created=existing is None,
        )

    def patch_credential_set(
        self, registry_name: str, name: str, patch: CredentialSetPatch
    ) -> dict[str, Any]:
        registry = self.registry(registry_name)
        self._check_vaults(("usernameSecretUri", patch.username), ("passwordSecretUri", patch.password))
        with self.locks.hold(f"{registry.id}/credentialSets/{name}"):
            existing = self._credential_set(registry, name)
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
        settled = self._await_health(registry, name) or current
        return credential_set_view(settled, used_by=self._users_of(registry, name))

    def delete_credential_set(self, registry_name: str, name: str) -> None:
        registry = self.registry(registry_name)
        with self.locks.hold(f"{registry.id}/credentialSets/{name}"):
            existing = self._credential_set(registry, name)
            users = self._users_of(registry, name)
            if users:
                raise CredentialSetInUse(
                    f"credential set '{name}' is used by cache rule(s) {', '.join(sorted(users))}; "
                    "delete them or PATCH them to another credential set first",
                    extensions={"cacheRules": sorted(users)},
                )
            self.registries.delete_credential_set(registry, name)
            try:
                self.access.revoke(existing)
            except AutopilotError:
                # The identity is gone with the set; a leftover grant is harmless and the sweep cleans it up.
                event(
                    log, logging.WARNING, "StaleGrantNotRemoved", registry=registry.name, credentialSet=name
                )
