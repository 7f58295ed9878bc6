"""``GET /api/health``: the stored verdicts, failing first, a page at a time, with a summary of what was selected.

It answers from Table storage only (the rows every sweep and event handler write), never from Azure, so it is cheap
to poll and shows the same state to every instance. A page reads the failing rules, the per-registry counts and only
the registries its healthy rows come from, so its cost follows the failing rules and the page, not the fleet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.domain.health import Status
from shared.domain.sweeps import SweepResult
from shared.services.flagging import HealthRow

MAX_TOP = 1000
MAX_SKIP = 10**9  # a page offset; larger is refused (and the document says so)
_ORDER = {Status.UNHEALTHY: 0, Status.WARNING: 1, Status.HEALTHY: 2}


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryHealth:
    """A registry's rules counted by status (kept beside its rows, so a summary never reads the rows)."""

    registry_id: str
    registry: str
    healthy: int
    warning: int
    unhealthy: int


class HealthRows(Protocol):
    def summaries(self, registry: str | None = None) -> list[RegistryHealth]:
        """Every registry's counts (or the one named ``registry``)."""
        ...

    def failing(self, registry: str | None = None) -> list[HealthRow]:
        """Every Unhealthy and Warning row (of the registry named ``registry``), unordered."""
        ...

    def registry_rows(self, registry_id: str) -> list[HealthRow]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthQuery:
    status: Status | None = None
    registry: str | None = None
    top: int = MAX_TOP
    skip: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthSummary:
    rules: int
    healthy: int
    warning: int
    unhealthy: int


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthPage:
    generated_at: float
    query: HealthQuery
    summary: HealthSummary
    rows: Sequence[HealthRow]
    next_skip: int | None  # where the next page starts, while more remain
    last_sweep: SweepResult | None


def ordered(rows: Sequence[HealthRow]) -> list[HealthRow]:
    """Unhealthy, then Warning, then Healthy; within each by registry and rule name (a stable order for paging)."""
    return sorted(
        rows, key=lambda r: (_ORDER[r.record.status], r.registry.lower(), r.name.lower(), r.rule_id.lower())
    )


class HealthReporter:
    def __init__(
        self,
        *,
        rows: HealthRows,
        last_sweep: Callable[[], SweepResult | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rows = rows
        self.last_sweep = last_sweep
        self.clock = clock

    def page(self, query: HealthQuery) -> HealthPage:
        """Failing rows from their own partition, then healthy rows by position in the per-registry counts."""
        wanted = [s for s in Status if query.status in (None, s)]
        failing: list[HealthRow] = []
        if Status.UNHEALTHY in wanted or Status.WARNING in wanted:
            failing = ordered([r for r in self.rows.failing(query.registry) if r.record.status in wanted])
        registries: list[RegistryHealth] = []
        if Status.HEALTHY in wanted:
            registries = sorted(
                self.rows.summaries(query.registry), key=lambda s: (s.registry.lower(), s.registry_id.lower())
            )
        healthy = sum(s.healthy for s in registries)
        summary = HealthSummary(
            rules=len(failing) + healthy,
            healthy=healthy,
            warning=sum(1 for r in failing if r.record.status is Status.WARNING),
            unhealthy=sum(1 for r in failing if r.record.status is Status.UNHEALTHY),
        )
        end = query.skip + query.top
        rows = failing[query.skip : end]
        if len(rows) < query.top:
            rows += self._healthy(
                registries, start=max(0, query.skip - len(failing)), count=query.top - len(rows)
            )
        return HealthPage(
            generated_at=self.clock(),
            query=query,
            summary=summary,
            rows=rows,
            next_skip=end if end < summary.rules else None,
            last_sweep=self.last_sweep(),
        )

    def _healthy(self, registries: Sequence[RegistryHealth], *, start: int, count: int) -> list[HealthRow]:
        """``count`` healthy rows from position ``start``: the counts say which registries hold them, so only
        those registries' partitions are read."""
        found: list[HealthRow] = []
        offset = 0
        for registry in registries:
            if len(found) >= count:
                break
            if offset + registry.healthy > start:
                rows = ordered(
                    [
                        r
                        for r in self.rows.registry_rows(registry.registry_id)
                        if r.record.status is Status.HEALTHY
                    ]
                )
                begin = max(0, start - offset)
                found += rows[begin : begin + count - len(found)]
            offset += registry.healthy
        return found
