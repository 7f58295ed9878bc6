"""Checking one registry in a sweep: two lists, then a verdict per rule from the sweep's caches, recorded once.

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
from shared.services.flagging import HealthRecorder, HealthRow, HealthStore
from shared.services.ports import Registries
from shared.services.sweep_facts import SweepFacts
from shared.services.sweep_heal import SweepHealer


class SecretIndexSink(Protocol):
    """The secret -> credential set index rotations use (``shared.state.secret_index``, owned by the event work).

    The sweep sees every credential set of a registry, so it rewrites that registry's share of the index.
    """

    def replace_registry(self, registry: Registry, credential_sets: Sequence[CredentialSet]) -> None: ...


class RegistryHealthRows(Protocol):
    def registry_rows(self, registry_id: str) -> list[HealthRow]: ...
    def forget(self, rule_id: str) -> None: ...


class _Prefetched:
    """A registry's stored rows read in one query up front, so judging N rules costs N writes, not N reads too.

    A row an event handler writes meanwhile is seen as it was: at worst a flag is sent twice with the same id.
    """

    def __init__(self, store: HealthStore, rows: Sequence[HealthRow]) -> None:
        self.store = store
        self.rows = {r.rule_id.lower(): r for r in rows}

    def get(self, rule_id: str) -> HealthRow | None:
        return self.rows.get(rule_id.lower())

    def put(self, row: HealthRow) -> None:
        self.store.put(row)

    def secret_warned(self, secret_uri: str, version: str) -> bool:
        return self.store.secret_warned(secret_uri, version)

    def mark_secret_warned(self, secret_uri: str, version: str) -> None:
        self.store.mark_secret_warned(secret_uri, version)


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryCheck:
    registries: Registries
    recorder: HealthRecorder
    warn_seconds: float
    healer: SweepHealer | None = None  # set when AUTO_HEAL is on
    index: SecretIndexSink | None = None
    rows: RegistryHealthRows | None = None  # the recorder's store, when it can read a registry's rows at once
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

    def _recorder(self, stored: Sequence[HealthRow] | None) -> HealthRecorder:
        if stored is None:
            return self.recorder
        base = self.recorder
        return HealthRecorder(
            store=_Prefetched(base.store, stored),
            publisher=base.publisher,
            reminder_seconds=base.reminder_seconds,
            clock=base.clock,
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
        stored = self.rows.registry_rows(registry.id) if self.rows is not None else None
        recorder = self._recorder(stored)
        now = self.clock()
        raised = cleared = unhealthy = 0
        expiring: dict[tuple[str, str], tuple[Verdict, str, list[str]]] = {}
        for rule in rules:
            rule_facts = facts.rule_facts(rule, by_name)
            verdict = judge_rule(rule_facts, now=now, warn_seconds=self.warn_seconds)
            unhealthy += verdict.failing
            flag = recorder.record(registry, rule, verdict, cause=sweep_id)
            if flag is not None:
                cleared += flag.type is FlagType.RULE_RECOVERED
                raised += flag.type is FlagType.RULE_UNHEALTHY
            version = _version_of(verdict, rule_facts.secrets)
            if version is not None and rule_facts.credential_set is not None:
                key = (str(verdict.secret_uri).lower(), version)
                entry = expiring.setdefault(key, (verdict, rule_facts.credential_set.id, []))
                entry[2].append(rule.id)
        if self.rows is not None and stored is not None:  # rules deleted since: their verdicts go too
            listed = {r.id.lower() for r in rules}
            for row in stored:
                if row.rule_id.lower() not in listed:
                    self.rows.forget(row.rule_id)
        for (_, version), (verdict, subject, rule_ids) in expiring.items():
            if recorder.warn_expiring(subject, verdict, version=version, rules=rule_ids, cause=sweep_id):
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
