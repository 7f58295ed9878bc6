"""A secret's new version reaches every credential set that reads it, in every registry and subscription in scope.

A versioned URI is moved to the new version, a versionless one re-applied (same URIs) so the service reads the
secret again. Order comes from the versions' ``created`` times in Key Vault, never from event arrival: an event for a
version older than the newest changes nothing, and a set pinned to a newer version is left where it is. Each set's
write is checkpointed under its own idempotency key, so a redelivery after a failure resumes instead of repeating.
The sets are handled concurrently (at most ``parallel`` at once), each under its own lease: a secret shared by a
hundred sets costs about as long as the slowest of them, not the sum.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from shared.domain.flags import Flag, FlagType, flag_id
from shared.domain.health import HEALTHY, Reason, Status, Verdict
from shared.domain.models import CredentialSet, SecretMetadata, SecretUri
from shared.domain.secrets import parse_secret_uri
from shared.events.keyvault import SecretNewVersionCreated
from shared.logs import event
from shared.services.flagging import FlagPublisher, HealthRecorder
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.ports import Registries, Vaults
from shared.services.secret_index import SetIndexer, distinct_sets
from shared.state.idempotency import IdempotencyStore, run_once
from shared.state.secret_index import IndexedSet, SecretIndex, SecretUse

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Rotated:
    credential_set: str  # resource ID
    healthy: bool
    written: bool


def newest_first(versions: list[SecretMetadata]) -> list[SecretMetadata]:
    return sorted(versions, key=lambda v: v.created_on or 0.0, reverse=True)


class RotationService:
    def __init__(
        self,
        *,
        registries: Registries,
        vaults: Vaults,
        indexer: SetIndexer,
        index: SecretIndex,
        health: HealthWaiter,
        locks: ProvisioningLocks,
        steps: IdempotencyStore,
        recorder: HealthRecorder,
        publisher: FlagPublisher,
        dns_suffix: str,
        parallel: int = 32,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registries = registries
        self.vaults = vaults
        self.indexer = indexer
        self.index = index
        self.health = health
        self.locks = locks
        self.steps = steps
        self.recorder = recorder
        self.publisher = publisher
        self.dns_suffix = dns_suffix
        self.parallel = parallel
        self.clock = clock

    def rotate(self, view: SecretNewVersionCreated, *, cause: str) -> list[Rotated]:
        uses = self.indexer.uses_of(view.vault_name, view.secret_name)
        if not uses or view.version is None:
            return []
        created = {
            v.version.lower(): v.created_on or 0.0
            for v in self.vaults.secret_versions(view.vault_name, view.secret_name)
        }
        version = view.version.lower()
        if version not in created:
            event(
                log, logging.WARNING, "RotationVersionUnknown", vault=view.vault_name, secret=view.secret_name
            )
            return []
        if any(when > created[version] for when in created.values()):
            event(
                log,
                logging.INFO,
                "StaleRotationIgnored",
                vault=view.vault_name,
                secret=view.secret_name,
                version=version,
            )
            return []
        named = distinct_sets(uses)
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(named))) as pool:
            # Each set runs in a copy of this context (the audit cause, the deadline); the first failure is raised
            # once every set has finished, so Event Grid redelivers and the checkpointed ones are skipped. Even
            # the index read that finds a set's registry runs in the pool: one at a time, they were a second
            # of a hundred-set rotation.
            futures = [
                pool.submit(contextvars.copy_context().run, self._rotate_one, use, view, created, cause)
                for use in named
            ]
            done: list[tuple[Rotated, Flag | None]] = []
            failures: list[Exception] = []
            for future in futures:
                try:
                    if (outcome := future.result()) is not None:
                        done.append(outcome)
                except Exception as exc:  # raised below, once the others' flags are out
                    failures.append(exc)
        # One publish for every verified set (a hundred sets: one call, not a hundred), failed or not.
        if flags := [flag for _, flag in done if flag is not None]:
            self.publisher.publish(flags)
        if failures:
            raise failures[0]
        return [rotated for rotated, _ in done]

    def _rotate_one(
        self, use: SecretUse, view: SecretNewVersionCreated, created: dict[str, float], cause: str
    ) -> tuple[Rotated, Flag | None] | None:
        indexed = self.index.get(use.registry_id, use.set_name)
        if indexed is None:
            return None  # forgotten since the secret's uses were read: deleted, nothing to rotate
        step = f"rotate|{view.vault_name}|{view.secret_name}|{(view.version or '').lower()}|{indexed.id}"
        written: list[CredentialSet] = []
        run_once(self.steps, step, functools.partial(self._apply, indexed, view, created, written))
        return self._verify(indexed, view, bool(written), cause)

    def _apply(
        self,
        indexed: IndexedSet,
        view: SecretNewVersionCreated,
        created: dict[str, float],
        written: list[CredentialSet],
    ) -> None:
        """Move the set to the new version (or re-apply it), appending it to ``written``; nothing when it is gone
        or already there."""
        registry = indexed.registry
        with self.locks.hold(set_lock_key(registry.id, indexed.name)):
            current = self.registries.get_credential_set(registry, indexed.name)
            if current is None:
                self.index.remove(registry.id, indexed.name)
                return
            username = self._moved(current.username_secret_uri, view, created)
            password = self._moved(current.password_secret_uri, view, created)
            # A set whose last operation Failed (ours, before a redelivery) may already name the new version and
            # still not use it: written again, it recovers.
            failed = (current.provisioning_state or "").lower() == "failed"
            if username is None and password is None and not failed:
                self.index.put(registry, current)
                return
            self.locks.fence(f"moving credential set '{current.name}' to the new secret version")
            # The registries port indexes what it writes (IndexingRegistries): no second index write here.
            updated = self.registries.update_credential_set(
                registry,
                current.name,
                username_uri=username or current.username_secret_uri,
                password_uri=password or current.password_secret_uri,
            )
            event(
                log,
                logging.INFO,
                "CredentialSetRotated",
                registry=registry.name,
                credentialSet=current.name,
                vault=view.vault_name,
                secret=view.secret_name,
                version=view.version,
            )
            written.append(updated)

    def _moved(self, uri: str, view: SecretNewVersionCreated, created: dict[str, float]) -> str | None:
        """The URI to write for this field: the new version, the same versionless URI, or None (leave it)."""
        try:
            parsed = parse_secret_uri(uri, dns_suffix=self.dns_suffix)
        except ValueError:
            return None
        if (parsed.vault.lower(), parsed.name.lower()) != (view.vault_name.lower(), view.secret_name.lower()):
            return None
        if parsed.version is None:
            return uri  # versionless: re-applied so the service re-reads the latest
        version = (view.version or "").lower()
        if created.get(parsed.version.lower(), -1.0) >= created[version]:
            return None  # already there, or pinned to something newer
        return SecretUri(
            vault=parsed.vault, name=parsed.name, version=view.version, dns_suffix=parsed.dns_suffix
        ).uri

    def _verify(
        self, indexed: IndexedSet, view: SecretNewVersionCreated, written: bool, cause: str
    ) -> tuple[Rotated, Flag | None]:
        """Wait (bounded) for the service's verdict; flag each of its rules still unhealthy, or answer the
        ``CredentialSetRotated`` flag to publish."""
        registry = indexed.registry
        settled = self.health.await_health(registry, indexed.name)
        if settled is None:
            return Rotated(credential_set=indexed.id, healthy=False, written=written), None
        healthy = settled.health.healthy
        verdict = (
            HEALTHY
            if healthy
            else Verdict(
                status=Status.UNHEALTHY,
                reason=Reason.CREDENTIAL_UNHEALTHY,
                message=f"after rotating {view.vault_name}/{view.secret_name} the registry reports credential "
                f"set '{settled.name}' {settled.health.status}"
                + (f" ({settled.health.error_code})" if settled.health.error_code else ""),
            )
        )
        for rule in self.index.rules_using(registry.id, settled.name):  # warm: ``rotate`` made sure
            self.recorder.record(registry, rule, verdict, cause=cause)
        rotated = Rotated(credential_set=indexed.id, healthy=healthy, written=written)
        if not healthy:
            return rotated, None
        return rotated, Flag(
            id=flag_id(
                FlagType.CREDENTIAL_SET_ROTATED, settled.id, view.vault_name, view.secret_name, view.version
            ),
            type=FlagType.CREDENTIAL_SET_ROTATED,
            subject=settled.id,
            time=self.clock(),
            data={
                "registry": registry.name,
                "credentialSet": settled.name,
                "vault": view.vault_name,
                "secret": view.secret_name,
                "version": view.version,
                "usernameSecretUri": settled.username_secret_uri,
                "passwordSecretUri": settled.password_secret_uri,
                "status": settled.health.status,
                "cause": cause,
            },
        )
