"""Key Vault's expiry events turned into flags on the rules at risk: a warning before pulls fail, then the failure.

A set is at risk when it reads the version the event names: pinned to it, or following the latest while it is the
newest (an old version expiring does not touch a set that already reads a newer one).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.health import Reason, Status, Verdict
from shared.domain.models import CacheRule, Registry
from shared.events.keyvault import SecretEvent
from shared.services.flagging import HealthRecorder
from shared.services.ports import Vaults
from shared.services.rotation import newest_first
from shared.services.secret_index import SetIndexer
from shared.state.secret_index import IndexedSet


@dataclass(frozen=True, kw_only=True, slots=True)
class AtRisk:
    credential_set: IndexedSet
    rules: list[CacheRule]


class ExpiryService:
    def __init__(self, *, vaults: Vaults, indexer: SetIndexer, recorder: HealthRecorder) -> None:
        self.vaults = vaults
        self.indexer = indexer
        self.recorder = recorder

    def at_risk(self, view: SecretEvent) -> list[AtRisk]:
        uses = self.indexer.uses_of(view.vault_name, view.secret_name)
        if not uses:
            return []
        version = (view.version or "").lower()
        latest_is_it = True
        if version and any(u.pinned_version is None for u in uses):
            versions = newest_first(self.vaults.secret_versions(view.vault_name, view.secret_name))
            latest_is_it = bool(versions) and versions[0].version.lower() == version
        chosen = [
            u
            for u in uses
            if (u.pinned_version is None and latest_is_it)
            or (u.pinned_version is not None and (not version or u.pinned_version.lower() == version))
        ]
        return [
            AtRisk(credential_set=s, rules=self.indexer.rules_using(s.registry, s.name))
            for s in self.indexer.sets_of(chosen)
        ]

    def _uri(self, view: SecretEvent) -> str:
        return view.secret_id or f"{view.vault_name}/{view.secret_name}"

    def near_expiry(self, view: SecretEvent, *, cause: str) -> int:
        """One ``SecretExpiring`` for the version, listing every rule at risk; returns the rules counted."""
        risks = [r for r in self.at_risk(view) if r.rules]
        if not risks:
            return 0
        rules = [rule.id for risk in risks for rule in risk.rules]
        verdict = Verdict(
            status=Status.WARNING,
            reason=Reason.SECRET_EXPIRING,
            message=f"{self._uri(view)} expires; {len(rules)} cache rule(s) read it",
            expires_on=view.expires,
            secret_uri=self._uri(view),
        )
        self.recorder.warn_expiring(
            risks[0].credential_set.id, verdict, version=view.version or "", rules=rules, cause=cause
        )
        return len(rules)

    def expired(self, view: SecretEvent, *, cause: str) -> int:
        """``RuleUnhealthy`` (reason ``SecretExpired``) for each rule at risk, through the recorder."""
        verdict = Verdict(
            status=Status.UNHEALTHY,
            reason=Reason.SECRET_EXPIRED,
            message=f"{self._uri(view)} has expired",
            expires_on=view.expires,
            secret_uri=self._uri(view),
        )
        count = 0
        for risk in self.at_risk(view):
            registry: Registry = risk.credential_set.registry
            for rule in risk.rules:
                self.recorder.record(registry, rule, verdict, cause=cause)
                count += 1
        return count
