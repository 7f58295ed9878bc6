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
)
from shared.domain.models import CredentialSet, Registry, SecretUri
from shared.domain.names import credential_set_name_for
from shared.domain.requests import CredentialSetPatch, CredentialSetSpec, CredentialsSpec
from shared.domain.results import CredentialSetState, Written
from shared.logs import event
from shared.services.access import AccessService
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.lookup import RegistryLookup
from shared.services.rollback import NotAsLeft, Rollback
from shared.services.validation import SecretChecks

log = logging.getLogger(__name__)


def made_by_app(credential_set: CredentialSet) -> bool:
    """The app names the sets it makes for rules after their upstream and secrets (``credential_set_name_for``),
    so a set of that name is the app's own: one a user named is never cleaned up by the app."""
    derived = credential_set_name_for(
        credential_set.login_server, credential_set.username_secret_uri, credential_set.password_secret_uri
    )
    return credential_set.name.lower() == derived.lower()


def failed(credential_set: CredentialSet) -> bool:
    return credential_set.provisioning_state not in (None, "Succeeded", "Creating", "Updating")


class CredentialSetWrites:
    def __init__(
        self,
        *,
        lookup: RegistryLookup,
        access: AccessService,
        secrets: SecretChecks,
        health: HealthWaiter,
        locks: ProvisioningLocks,
    ) -> None:
        self.lookup = lookup
        self.registries = lookup.registries
        self.access = access
        self.secrets = secrets
        self.health = health
        self.locks = locks

    # checks and steps shared with rule writes
    def check_usable(self, *uris: tuple[str, SecretUri | str | None]) -> None:
        """Before the first write: the vaults are ones the app may use, and the secrets exist, enabled, in date."""
        self.access.check_vaults(*uris)
        self.secrets.require_usable(*uris)

    def reusable_for(self, registry: Registry, creds: CredentialsSpec) -> CredentialSet | None:
        """Vaults and secrets must be usable; returns a set to reuse, or None (create). A named set is read by
        its name; otherwise any set that holds exactly these credentials is reused (the app's own, at the derived
        name, first), found in one list of the registry's sets. A set whose provisioning failed is never reused."""
        self.check_usable(
            ("credentials.usernameSecretUri", creds.username),
            ("credentials.passwordSecretUri", creds.password),
        )
        if creds.name_given:
            return self._reusable(
                creds, self.registries.get_credential_set(registry, creds.credential_set_name)
            )
        sets = self.registries.list_credential_sets(registry)
        derived = creds.credential_set_name.lower()
        same = [
            s
            for s in sets
            if s.same_credentials(creds.login_server, creds.username.uri, creds.password.uri)
            and not failed(s)
        ]
        if same:
            return next((s for s in same if s.name.lower() == derived), same[0])
        return self._reusable(creds, next((s for s in sets if s.name.lower() == derived), None))

    @staticmethod
    def _reusable(creds: CredentialsSpec, found: CredentialSet | None) -> CredentialSet | None:
        """``found`` (the set at the request's name) if it holds these credentials and did not fail; None when
        there is none or it is a failed one the app may replace; else a conflict. A set whose provisioning
        failed is never reused."""
        if found is None:
            return None
        same = found.same_credentials(creds.login_server, creds.username.uri, creds.password.uri)
        if same and not failed(found):
            return found
        if failed(found) and not creds.name_given:
            return None  # the app's own leftover (or another's, refused by _remove_failed)
        raise CredentialSetConflict(
            f"credential set '{found.name}' exists with other credentials"
            + (f" (provisioning state {found.provisioning_state})" if failed(found) else ""),
            extensions={"existing": found},
        )

    def ensure_for_rule(
        self,
        registry: Registry,
        creds: CredentialsSpec,
        reuse: CredentialSet | None,
        rollback: Rollback,
    ) -> CredentialSet:
        """The set a new rule uses: ``reuse``, one a concurrent request made meanwhile, or a new one. A failed
        set of the app's own at that name (left by a crashed or failed request) is deleted and made anew.

        Reusing a set changes nothing on it, so only a create takes the set's lease: concurrent creates that
        share a set do not queue behind one another. Under the lease the name is read again, since another
        request may have made the set since :meth:`reusable_for` looked."""
        if reuse is not None:
            return reuse
        with self.locks.hold(set_lock_key(registry.id, creds.credential_set_name)):
            existing = self.registries.get_credential_set(registry, creds.credential_set_name)
            made_meanwhile = self._reusable(creds, existing)
            if made_meanwhile is not None:
                return made_meanwhile
            if existing is not None:
                self._remove_failed(registry, existing)
            return self._create(
                registry,
                creds.credential_set_name,
                creds.login_server,
                creds.username,
                creds.password,
                rollback,
            )

    def _remove_failed(self, registry: Registry, existing: CredentialSet) -> None:
        users = self.lookup.users_of(registry, existing.name)
        if users or not made_by_app(existing):
            raise CredentialSetConflict(
                f"credential set '{existing.name}' is in state {existing.provisioning_state}"
                + (f" and used by {', '.join(users)}" if users else " and was not made by this app")
                + ": delete or fix it first",
                extensions={"existing": existing},
            )
        self.locks.fence(f"deleting failed credential set '{existing.name}'")
        self.registries.delete_credential_set(registry, existing.name)
        event(
            log,
            logging.WARNING,
            "CredentialSetDeleted",
            registry=registry.name,
            credentialSet=existing.name,
            principalId=existing.principal_id,
            why=f"left in state {existing.provisioning_state}",
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
        made: list[CredentialSet] = []

        def undo() -> bool:
            found = self.registries.get_credential_set(registry, name)
            if found is None:
                return False
            if made and (found.principal_id or "") != (made[0].principal_id or ""):
                raise NotAsLeft(f"it was recreated since (identity {found.principal_id})")
            users = self.lookup.users_of(registry, name)
            if users:
                raise NotAsLeft(f"cache rule(s) {', '.join(users)} now use it")
            self.registries.delete_credential_set(registry, name)
            return True

        # Registered first: a create whose operation fails may leave the set behind in state Failed.
        rollback.add(
            f"credentialSet:{name}",
            undo,
            resource_id=f"{registry.id}/credentialSets/{name}",
            action=f"delete credential set '{name}' (and its identity's grants) if no cache rule uses it",
        )
        self.locks.fence(f"creating credential set '{name}'")
        created = self.registries.create_credential_set(
            registry, name, login_server=login_server, username_uri=username.uri, password_uri=password.uri
        )
        made.append(created)
        rollback.context["principalId"] = created.principal_id
        if failed(created):
            raise AutopilotError(f"credential set provisioning ended in state {created.provisioning_state}")
        return created

    def grant_and_verify(
        self,
        registry: Registry,
        credential_set: CredentialSet,
        rollback: Rollback,
    ) -> CredentialSet:
        """Grant, see an RBAC grant, then wait for the service's verdict: the set once it works (or is within the
        RBAC propagation delay), else :class:`CredentialsRefused` with the service's own reason.

        ``credential_set`` was read by this request: when nothing is granted now and it was Healthy then, that
        read is the service's verdict and is not asked for again."""
        rollback.step = "grant"
        rollback.context.setdefault("principalId", credential_set.principal_id)
        granted = self.access.ensure(
            credential_set,
            rollback,
            in_use=lambda: bool(self.lookup.users_of(registry, credential_set.name)),
        )
        if not granted and credential_set.health.healthy:
            return credential_set
        rollback.step = "verifyGrant"
        missing = self.access.unconfirmed(granted, credential_set.principal_id or "")
        if missing:
            raise AutopilotError(f"the grant is not visible on vault(s) {', '.join(missing)}")
        rollback.step = "credentialHealth"
        return self.health.require_working(
            registry, credential_set.name, propagating=any(v.rbac for v in granted)
        )

    def _settled(self, registry: Registry, name: str, current: CredentialSet) -> CredentialSetState:
        settled = self.health.await_health(registry, name) or current
        return CredentialSetState(credential_set=settled, used_by=self.lookup.users_of(registry, name))

    # writes
    def put(self, registry_ref: str, spec: CredentialSetSpec) -> Written[CredentialSetState]:
        registry = self.lookup.registry(registry_ref)
        with self.access.reading_once():
            return self._put(registry, spec)

    def _put(self, registry: Registry, spec: CredentialSetSpec) -> Written[CredentialSetState]:
        self.check_usable(("usernameSecretUri", spec.username), ("passwordSecretUri", spec.password))
        with self.locks.hold(set_lock_key(registry.id, spec.name)):
            existing = self.registries.get_credential_set(registry, spec.name)
            if existing is not None and existing.login_server.lower() != spec.login_server:
                raise CredentialSetConflict(
                    f"credential set '{spec.name}' signs in to '{existing.login_server}'; loginServer is immutable",
                    extensions={"existing": existing},
                )
            rollback = self._rollback(registry, credentialSet=spec.name)
            try:
                if existing is None:
                    current = self._create(
                        registry, spec.name, spec.login_server, spec.username, spec.password, rollback
                    )
                    current = self.grant_and_verify(registry, current, rollback)
                else:
                    if not existing.same_credentials(spec.login_server, spec.username.uri, spec.password.uri):
                        self.locks.fence(f"updating credential set '{spec.name}'")
                        current = self.registries.update_credential_set(
                            registry,
                            spec.name,
                            username_uri=spec.username.uri,
                            password_uri=spec.password.uri,
                        )
                        _changed(registry, spec.name, current)
                    else:
                        current = existing
                    self._grant(registry, current, rollback)
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return Written(value=self._settled(registry, spec.name, current), created=existing is None)

    def _grant(self, registry: Registry, current: CredentialSet, rollback: Rollback) -> None:
        rollback.step = "grant"
        rollback.context.setdefault("principalId", current.principal_id)
        self.access.ensure(
            current, rollback, in_use=lambda: bool(self.lookup.users_of(registry, current.name))
        )

    def _rollback(self, registry: Registry, **context: str) -> Rollback:
        return Rollback(
            step="credentialSet",
            still_held=self.locks.still_held,
            context={"registry": registry.name, **context},
        )

    def patch(self, registry_ref: str, name: str, patch: CredentialSetPatch) -> CredentialSetState:
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(set_lock_key(registry.id, name)), self.access.reading_once():
            existing = self.lookup.credential_set(registry, name)
            if patch.login_server and patch.login_server != existing.login_server.lower():
                raise CredentialSetConflict(
                    f"credential set '{name}' signs in to '{existing.login_server}'; loginServer is immutable",
                    errors=[
                        FieldError(
                            field="loginServer",
                            message=f"is immutable ('{existing.login_server}'): create a new credential set "
                            "instead",
                        )
                    ],
                    extensions={"existing": existing},
                )
            username = patch.username.uri if patch.username else existing.username_secret_uri
            password = patch.password.uri if patch.password else existing.password_secret_uri
            # The set as it will be: a secret the PATCH keeps may sit in a vault the app may not use.
            self.check_usable(("usernameSecretUri", username), ("passwordSecretUri", password))
            current = existing
            rollback = self._rollback(registry, credentialSet=name)
            try:
                if not existing.same_credentials(existing.login_server, username, password):
                    self.locks.fence(f"updating credential set '{name}'")
                    current = self.registries.update_credential_set(
                        registry, name, username_uri=username, password_uri=password
                    )
                    _changed(registry, name, current)
                self._grant(registry, current, rollback)
            except AutopilotError as exc:
                raise rollback.fail(exc) from exc
        return self._settled(registry, name, current)

    def delete(self, registry_ref: str, name: str) -> None:
        registry = self.lookup.registry(registry_ref)
        with self.locks.hold(set_lock_key(registry.id, name)):
            existing = self.lookup.credential_set(registry, name)
            self.remove_unused(registry, existing, why="DELETE")

    def remove_unused(self, registry: Registry, existing: CredentialSet, *, why: str) -> None:
        """Delete a set no rule uses, then its identity's grants (held under the set's lease by the caller)."""
        users = self.lookup.users_of(registry, existing.name)
        if users:
            raise CredentialSetInUse(
                f"credential set '{existing.name}' is used by cache rule(s) {', '.join(users)}; "
                "delete them or PATCH them to another credential set first",
                extensions={"cacheRules": list(users)},
            )
        self.locks.fence(f"deleting credential set '{existing.name}'")
        self.registries.delete_credential_set(registry, existing.name)
        event(
            log,
            logging.INFO,
            "CredentialSetDeleted",
            registry=registry.name,
            credentialSet=existing.name,
            principalId=existing.principal_id,
            why=why,
        )
        try:
            self.access.revoke(existing)
        except AutopilotError:
            # The identity is gone with the set; a leftover grant is harmless and the sweep cleans it up.
            event(
                log,
                logging.WARNING,
                "StaleGrantNotRemoved",
                registry=registry.name,
                credentialSet=existing.name,
                principalId=existing.principal_id,
            )


def _changed(registry: Registry, name: str, current: CredentialSet) -> None:
    event(
        log,
        logging.INFO,
        "CredentialSetUpdated",
        registry=registry.name,
        credentialSet=name,
        principalId=current.principal_id,
    )
