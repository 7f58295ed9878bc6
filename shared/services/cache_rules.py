"""Cache-rule writes in one call each: validate everything, then write, verify, and undo on failure."""

from __future__ import annotations

import logging

from shared.domain.errors import AutopilotError, CacheRuleConflict, ReferenceConflict
from shared.domain.models import CacheRule, CredentialSet, Registry
from shared.domain.repositories import normalise_source
from shared.domain.requests import CacheRuleSpec
from shared.domain.results import RuleDeleted, RuleState, Written
from shared.domain.upstreams import CredentialPolicy, credential_policy
from shared.logs import event
from shared.services.access import AccessService
from shared.services.conflicts import check_against_existing
from shared.services.credential_sets import CredentialSetWrites, failed, made_by_app
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks, rule_lock_key, set_lock_key
from shared.services.lookup import RegistryLookup
from shared.services.rollback import Rollback

log = logging.getLogger(__name__)


class CacheRuleWrites:
    def __init__(
        self,
        *,
        lookup: RegistryLookup,
        credential_sets: CredentialSetWrites,
        access: AccessService,
        health: HealthWaiter,
        locks: ProvisioningLocks,
    ) -> None:
        self.lookup = lookup
        self.registries = lookup.registries
        self.credential_sets = credential_sets
        self.access = access
        self.health = health
        self.locks = locks

    def put(self, registry_ref: str, spec: CacheRuleSpec) -> Written[RuleState]:
        """Create the rule (with its credential set and grant), or find it already as asked."""
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(rule_lock_key(registry.id, spec.name)), self.access.reading_once():
            existing = self.registries.get_cache_rule(registry, spec.name)
            if existing is not None:
                return Written(value=self._existing_as_asked(registry, existing, spec), created=False)
            return Written(value=self._create(registry, spec), created=True)

    def _existing_as_asked(self, registry: Registry, rule: CacheRule, spec: CacheRuleSpec) -> RuleState:
        differences = []
        if rule.source_repository.lower() != spec.source_repository:
            differences.append(f"sourceRepository is '{rule.source_repository}'")
        if rule.target_repository.lower() != spec.target:
            differences.append(f"targetRepository is '{rule.target_repository}'")
        current_set = self.lookup.set_of(registry, rule)
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
                extensions={"existing": RuleState(registry=registry, rule=rule, credential_set=current_set)},
            )
        if current_set is not None and current_set.principal_id:
            # PUT states the desired end state: a grant removed since is put back (no write when present),
            # and only in a vault the app may use.
            self.access.check_set_vaults(current_set, field="credentialSet")
            rollback = self._rollback(registry, rule.name, current_set.name, step="grant")
            try:
                if self.access.ensure(current_set, rollback, in_use=lambda: True):
                    current_set = self.health.await_health(registry, current_set.name) or current_set
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return RuleState(registry=registry, rule=rule, credential_set=current_set)

    def _rollback(self, registry: Registry, rule: str, credential_set: str | None, *, step: str) -> Rollback:
        return Rollback(
            step=step,
            still_held=self.locks.still_held,
            context={"registry": registry.name, "cacheRule": rule, "credentialSet": credential_set},
        )

    def _named_set(self, registry: Registry, source_login: str, name: str) -> CredentialSet:
        """The existing credential set a rule names: it must sign in to the rule's upstream, have provisioned,
        point at vaults the app may use, and its secrets must be usable (all checked before any write)."""
        found = self.registries.get_credential_set(registry, name)
        if found is None:
            raise ReferenceConflict.of(
                "The cache rule names an unknown credential set",
                field="credentialSet",
                message=f"credential set '{name}' does not exist",
            )
        if found.login_server.lower() != source_login:
            raise ReferenceConflict.of(
                "The credential set signs in to another upstream",
                field="credentialSet",
                message=f"credential set '{name}' is for '{found.login_server}', the source is on "
                f"'{source_login}'",
            )
        if failed(found):
            raise ReferenceConflict.of(
                "The credential set did not provision",
                field="credentialSet",
                message=f"credential set '{name}' is in state {found.provisioning_state}: fix or delete it",
            )
        self.credential_sets.check_usable(
            (f"credentialSet ({name}).usernameSecretUri", found.username_secret_uri),
            (f"credentialSet ({name}).passwordSecretUri", found.password_secret_uri),
        )
        return found

    def _create(self, registry: Registry, spec: CacheRuleSpec) -> RuleState:
        # 1. Everything that can be checked is checked before the first write, so a conflicting request attempts
        # no write at all (ARM would refuse a second rule on a static target itself, but only at the rule's PUT).
        check_against_existing(
            name=spec.name, target=spec.target, existing=self.registries.list_cache_rules(registry)
        )
        credential_set: CredentialSet | None = None
        reuse: CredentialSet | None = None
        if spec.credential_set:
            credential_set = self._named_set(registry, spec.source.login_server, spec.credential_set)
        elif spec.credentials:
            reuse = self.credential_sets.reusable_for(registry, spec.credentials)

        set_name = spec.credentials.credential_set_name if spec.credentials else spec.credential_set
        rollback = self._rollback(registry, spec.name, set_name, step="credentialSet")
        try:
            # 2. The credential set, its grant, and the service's word that the credentials work.
            if spec.credentials:
                credential_set = self.credential_sets.ensure_for_rule(
                    registry, spec.credentials, reuse, rollback
                )
            if credential_set is not None:
                credential_set = self.credential_sets.grant_and_verify(registry, credential_set, rollback)
            # 3. Only then the rule.
            rollback.step = "cacheRule"
            rollback.add(
                f"cacheRule:{spec.name}",
                lambda: self._delete_if_present(registry, spec.name),
                resource_id=f"{registry.id}/cacheRules/{spec.name}",
                action=f"delete cache rule '{spec.name}'",
            )
            self.locks.fence(f"creating cache rule '{spec.name}'")
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
        event(
            log,
            logging.INFO,
            "CacheRuleCreated",
            registry=registry.name,
            cacheRule=spec.name,
            credentialSet=credential_set.name if credential_set else None,
            principalId=credential_set.principal_id if credential_set else None,
        )
        return RuleState(registry=registry, rule=rule, credential_set=credential_set)

    def _delete_if_present(self, registry: Registry, name: str) -> bool:
        """Undo of this request's rule create: the lease on the rule name (checked by the rollback) means any
        rule of that name is the one this request wrote."""
        if self.registries.get_cache_rule(registry, name) is None:
            return False
        self.registries.delete_cache_rule(registry, name)
        return True

    def patch(self, registry_ref: str, name: str, credential_set_name: str | None) -> RuleState:
        """Point the rule at another credential set (granted first) or at none, as its upstream allows."""
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(rule_lock_key(registry.id, name)), self.access.reading_once():
            rule = self.lookup.rule(registry, name)
            source = normalise_source(rule.source_repository)
            credential_set = None
            if credential_set_name is None:
                if credential_policy(source.login_server) is CredentialPolicy.REQUIRED:
                    raise CacheRuleConflict.of(
                        "The upstream requires credentials",
                        field="credentialSet",
                        message=f"upstream '{source.login_server}' requires a credential set; it cannot "
                        "be removed",
                    )
            else:
                if credential_policy(source.login_server) is CredentialPolicy.FORBIDDEN:
                    raise CacheRuleConflict.of(
                        "The upstream does not accept credentials",
                        field="credentialSet",
                        message=f"upstream '{source.login_server}' does not accept credentials",
                    )
                credential_set = self._named_set(registry, source.login_server, credential_set_name)
            if (rule.credential_set_name or "").lower() == (credential_set_name or "").lower():
                return RuleState(registry=registry, rule=rule, credential_set=credential_set)
            rollback = self._rollback(registry, name, credential_set_name, step="grant")
            try:
                if credential_set is not None:
                    credential_set = self.credential_sets.grant_and_verify(registry, credential_set, rollback)
                rollback.step = "cacheRule"
                self.locks.fence(f"updating cache rule '{name}'")
                updated = self.registries.set_cache_rule_credential_set(
                    registry, name, credential_set.id if credential_set else None
                )
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
            event(
                log,
                logging.INFO,
                "CacheRuleUpdated",
                registry=registry.name,
                cacheRule=name,
                credentialSetBefore=rule.credential_set_name,
                credentialSet=credential_set_name,
                principalId=credential_set.principal_id if credential_set else None,
            )
            return RuleState(registry=registry, rule=updated, credential_set=credential_set)

    def delete(self, registry_ref: str, name: str, *, cleanup: bool = False) -> RuleDeleted:
        """Delete the rule; with ``cleanup`` also the credential set the app made for it (with its grants) when
        no other rule uses it. A set a user made or named is never removed by ``cleanup``."""
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(rule_lock_key(registry.id, name)):
            rule = self.lookup.rule(registry, name)
            self.locks.fence(f"deleting cache rule '{name}'")
            self.registries.delete_cache_rule(registry, name)
            event(
                log,
                logging.INFO,
                "CacheRuleDeleted",
                registry=registry.name,
                cacheRule=name,
                credentialSet=rule.credential_set_name,
            )
            if not cleanup or rule.credential_set_name is None:
                return RuleDeleted(credential_set=rule.credential_set_name, kept_because=None)
            return self._cleanup(registry, rule.credential_set_name)

    def _cleanup(self, registry: Registry, set_name: str) -> RuleDeleted:
        with self.locks.hold(set_lock_key(registry.id, set_name)):
            found = self.registries.get_credential_set(registry, set_name)
            kept: str | None = None
            if found is None:
                kept = "it no longer exists"
            elif not made_by_app(found):
                kept = "it was not made by this app (its name is not the one the app derives)"
            else:
                users = self.lookup.users_of(registry, set_name)
                if users:
                    kept = f"cache rule(s) {', '.join(users)} still use it"
                else:
                    self.credential_sets.remove_unused(registry, found, why="rule deleted with cleanup")
            if kept:
                event(
                    log,
                    logging.INFO,
                    "CredentialSetKept",
                    registry=registry.name,
                    credentialSet=set_name,
                    why=kept,
                )
            return RuleDeleted(credential_set=set_name, kept_because=kept, cleaned=kept is None)
