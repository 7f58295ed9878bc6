"""A vault's access changed (policies edited, or a switch between access policies and RBAC): every credential set
reading a secret there is checked in the vault's current model, and re-granted when ``AUTO_HEAL`` is on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from shared.domain.flags import Flag, FlagType, flag_id
from shared.domain.health import Reason, Status, Verdict
from shared.domain.models import CredentialSet, Registry
from shared.events.keyvault import VaultEvent
from shared.logs import event
from shared.services.access import AccessService
from shared.services.flagging import FlagPublisher, HealthRecorder
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.ports import Registries
from shared.services.rollback import Rollback
from shared.services.secret_index import SetIndexer
from shared.state.secret_index import SecretIndex

log = logging.getLogger(__name__)


def access_granted_flag(
    registry: Registry, cs: CredentialSet, vaults: Sequence[str], *, cause: str, now: float
) -> Flag:
    return Flag(
        id=flag_id(FlagType.ACCESS_GRANTED, cs.id, cs.principal_id, *sorted(v.lower() for v in vaults)),
        type=FlagType.ACCESS_GRANTED,
        subject=cs.id,
        time=now,
        data={
            "registry": registry.name,
            "credentialSet": cs.name,
            "principalId": cs.principal_id,
            "vaults": list(vaults),
            "cause": cause,
        },
    )


class AccessEvents:
    def __init__(
        self,
        *,
        registries: Registries,
        access: AccessService,
        indexer: SetIndexer,
        index: SecretIndex,
        locks: ProvisioningLocks,
        recorder: HealthRecorder,
        publisher: FlagPublisher,
        auto_heal: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registries = registries
        self.access = access
        self.indexer = indexer
        self.index = index
        self.locks = locks
        self.recorder = recorder
        self.publisher = publisher
        self.auto_heal = auto_heal
        self.clock = clock

    def policy_changed(self, view: VaultEvent, *, cause: str) -> list[str]:
        """Check (and heal) every set using the vault; returns the IDs of the sets found without a grant."""
        missing_for = []
        for indexed in self.indexer.sets_in_vault(view.vault_name):
            registry = indexed.registry
            with self.locks.hold(set_lock_key(registry.id, indexed.name)):
                current = self.registries.get_credential_set(registry, indexed.name)
                if current is None:
                    self.index.remove(registry.id, indexed.name)
                    continue
                missing = self.access.verify(current)
                if not missing:
                    continue
                missing_for.append(current.id)
                if self.auto_heal:
                    granted = [v.name for v in self.access.ensure(current, Rollback(step="grant"))]
                    if granted:
                        self.publisher.publish(
                            [access_granted_flag(registry, current, granted, cause=cause, now=self.clock())]
                        )
                    continue
                verdict = Verdict(
                    status=Status.UNHEALTHY,
                    reason=Reason.ACCESS_MISSING,
                    message=f"identity {current.principal_id} of credential set '{current.name}' may not get "
                    f"secrets in vault(s) {', '.join(missing)}",
                )
                for rule in self.indexer.rules_using(registry, current.name):
                    self.recorder.record(registry, rule, verdict, cause=cause)
            event(
                log,
                logging.WARNING,
                "GrantMissing",
                vault=view.vault_name,
                credentialSet=indexed.id,
                healed=self.auto_heal,
            )
        return missing_for
