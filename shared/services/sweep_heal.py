"""``AUTO_HEAL``: put back what a sweep found broken that the app itself provisions. It never deletes anything.

Two repairs, both through the services the API uses, so a heal is the same write a caller's request would make:
a grant that went missing is restored (``AccessService.ensure``); a credential set pinned to a secret version older
than the secret's newest enabled version is re-applied at the newest (never moved back to an older one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.domain.errors import AutopilotError
from shared.domain.models import CredentialSet, Registry, SecretUri
from shared.domain.requests import CredentialSetPatch
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.logs import event
from shared.services.access import AccessService
from shared.services.credential_sets import CredentialSetWrites
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.rollback import Rollback
from shared.services.sweep_facts import SweepFacts

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepHealer:
    access: AccessService
    credential_sets: CredentialSetWrites
    locks: ProvisioningLocks
    dns_suffix: str

    def heal(self, registry: Registry, sets: list[CredentialSet], facts: SweepFacts) -> list[str]:
        """Repair each set; returns what was done (``grant <set id> <vaults>``, ``reapply <set id>``)."""
        done: list[str] = []
        for credential_set in sets:
            try:
                done.extend(self._heal_set(registry, credential_set, facts))
            except AutopilotError as exc:
                event(
                    log, logging.WARNING, "SweepHealFailed", credentialSet=credential_set.id, error=str(exc)
                )
        return done

    def _heal_set(self, registry: Registry, credential_set: CredentialSet, facts: SweepFacts) -> list[str]:
        done = []
        if credential_set.principal_id and facts.vaults_without_grant(credential_set):
            # Under the set's lease, and only for the identity the sweep saw: a set recreated meanwhile has a
            # new identity, which its own write event (or the next sweep) grants.
            with self.locks.hold(set_lock_key(registry.id, credential_set.name)):
                current = self.credential_sets.lookup.credential_set(registry, credential_set.name)
                same = (current.principal_id or "").lower() == credential_set.principal_id.lower()
                granted = self.access.ensure(current, Rollback(step="heal")) if same else []
            facts.forget_grants(credential_set)
            if granted:
                done.append(f"grant {credential_set.id} {','.join(v.name for v in granted)}")
        patch = self.newer_versions(credential_set, facts)
        if patch is not None:
            self.credential_sets.patch(registry.id, credential_set.name, patch)
            done.append(f"reapply {credential_set.id}")
        for action in done:
            event(log, logging.INFO, "SweepHealed", registry=registry.id, action=action)
        return done

    def newer_versions(self, credential_set: CredentialSet, facts: SweepFacts) -> CredentialSetPatch | None:
        """A patch moving pinned secret URIs to their newest enabled version when that one is newer; else None."""
        username = self._newer(credential_set.username_secret_uri, facts)
        password = self._newer(credential_set.password_secret_uri, facts)
        if username is None and password is None:
            return None
        return CredentialSetPatch(username=username, password=password)

    def _newer(self, uri: str, facts: SweepFacts) -> SecretUri | None:
        try:
            parsed = parse_secret_uri(uri, dns_suffix=self.dns_suffix)
        except SecretUriError:
            return None
        if parsed.version is None:
            return None  # versionless URIs follow the newest version by themselves
        state = facts.secret(uri)
        newest = state.versions[0] if state.versions else None
        if newest is None or not newest.enabled or newest.version.lower() == parsed.version.lower():
            return None
        pinned = state.current
        if pinned is not None and (newest.created_on or 0.0) <= (pinned.created_on or 0.0):
            return None
        return SecretUri(
            vault=parsed.vault, name=parsed.name, version=newest.version, dns_suffix=self.dns_suffix
        )
