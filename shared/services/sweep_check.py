"""Checking one registry in a sweep: two lists, then a verdict per rule from the sweep's caches, recorded once.

The registry's stored rows are read in one query, its flags published together (one Event Grid request) and what
changed is written back in Table batches, so judging N rules costs a few calls, not N reads, N publishes and N writes.

Every verdict goes through :func:`shared.domain.health.judge_rule` and :class:`HealthRecorder`, the same path the
event handlers take, so the sweep has no notion of health or of "changed" of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.azure.metering import RequestMeter, metering
from shared.domain.errors import AutopilotError
from shared.domain.flags import FlagType
from shared.domain.health import Reason, SecretState, Verdict, judge_rule
from shared.domain.models import CredentialSet, Registry
from shared.domain.sweeps import RegistryReport
from shared.services.flagging import Assessment, HealthRecorder, HealthRow
from shared.services.ports import Registries
from shared.services.sweep_facts import SweepFacts
from shared.services.sweep_heal import SweepHealer


class SecretIndexSink(Protocol):
    """The secret -> credential set index rotations use (``shared.state.secret_index``, owned by the event work).

    The sweep sees every credential set of a registry, so it rewrites that registry's share of the index.
    """

    def replace_registry(self, registry: Registry, credential_sets: Sequence[CredentialSet]) -> None: ...


class RegistryHealthRows(Protocol):
    """The recorder's store, read and written a registry at a time (one query, then batched writes)."""

    def registry_rows(self, registry_id: str) -> list[HealthRow]: ...
    def save_registry(
        self, registry: Registry, *, before: Sequence[HealthRow], after: Sequence[HealthRow]
    ) -> None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryCheck:
    registries: Registries
    recorder: HealthRecorder
    warn_seconds: float
    healer: SweepHealer | None = None  # set when AUTO_HEAL is on
    rows: RegistryHealthRows
    index: SecretIndexSink | None = None
    clock: Callable[[], float] = time.time

    def check(
        self, registry: Registry, facts: SweepFacts, *, sweep_id: str, meter: RequestMeter
    ) -> RegistryReport:
        """Never raises for an Azure failure: it becomes the report's ``error`` so the other registries go on."""
        own = RequestMeter(parent=meter)
        try:
            with metering(own):
                return self._check(registry, facts, sweep_id=sweep_id, meter=own)
        except AutopilotError as exc:
            return RegistryReport(
                registry=registry.id,
                name=registry.name,
                azure_requests=own.count,
                finished_at=self.clock(),
                error=str(exc),
            )

    def _check(
        self, registry: Registry, facts: SweepFacts, *, sweep_id: str, meter: RequestMeter
    ) -> RegistryReport:
        sets = self.registries.list_credential_sets(registry)
        rules = self.registries.list_cache_rules(registry)
        if self.index is not None:
            self.index.replace_registry(registry, sets)
        healed = self.healer.heal(registry, sets, facts) if self.healer is not None else []
        by_name = {s.name.lower(): s for s in sets}
        stored = self.rows.registry_rows(registry.id)
        previous = {r.rule_id.lower(): r for r in stored}
        assessments: list[Assessment] = []
        now = self.clock()
        unhealthy = 0
        expiring: dict[tuple[str, str], tuple[Verdict, str, list[str]]] = {}
        for rule in rules:
            rule_facts = facts.rule_facts(rule, by_name)
            verdict = judge_rule(rule_facts, now=now, warn_seconds=self.warn_seconds)
            unhealthy += verdict.failing
            assessments.append(
                self.recorder.judge(registry, rule, verdict, previous.get(rule.id.lower()), cause=sweep_id)
            )
            version = _version_of(verdict, rule_facts.secrets)
            if version is not None and rule_facts.credential_set is not None:
                key = (str(verdict.secret_uri).lower(), version)
                entry = expiring.setdefault(key, (verdict, rule_facts.credential_set.id, []))
                entry[2].append(rule.id)
        # The registry's flags go out together, before the rows that remember them (a failed write means the next
        # sweep flags those changes again rather than never); a failed publish keeps its rules' previous rows, so
        # the next sweep sends exactly the changes that did not go out.
        published = self.recorder.publish(assessments)
        self.rows.save_registry(registry, before=stored, after=published.rows)
        if published.error is not None:
            raise published.error
        raised = sum(f.type is FlagType.RULE_UNHEALTHY for f in published.flags)
        cleared = sum(f.type is FlagType.RULE_RECOVERED for f in published.flags)
        for (_, version), (verdict, subject, rule_ids) in expiring.items():
            if self.recorder.warn_expiring(subject, verdict, version=version, rules=rule_ids, cause=sweep_id):
                raised += 1
        return RegistryReport(
            registry=registry.id,
            name=registry.name,
            rules=len(rules),
            unhealthy=unhealthy,
            flags_raised=raised,
            flags_cleared=cleared,
            azure_requests=meter.count,
            finished_at=self.clock(),
            healed=tuple(healed),
        )


def _version_of(verdict: Verdict, secrets: Sequence[SecretState]) -> str | None:
    """The secret version an expiry verdict is about (``SecretExpiring`` goes out once per version)."""
    if verdict.reason not in (Reason.SECRET_EXPIRING, Reason.SECRET_EXPIRED) or verdict.secret_uri is None:
        return None
    state = next((s for s in secrets if s.uri == verdict.secret_uri), None)
    current = state.current if state is not None else None
    return current.version if current is not None else None
