"""``GET /api/health``: the stored verdicts, failing first, a page at a time, with a summary of what was selected.

It answers from Table storage only (the rows every sweep and event handler write), never from Azure, so it is cheap
to poll and shows the same state to every instance.
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
_ORDER = {Status.UNHEALTHY: 0, Status.WARNING: 1, Status.HEALTHY: 2}


class HealthRows(Protocol):
    def rows(self, *, status: Status | None = None, registry: str | None = None) -> list[HealthRow]: ...


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


def summarise(rows: Sequence[HealthRow]) -> HealthSummary:
    def count(status: Status) -> int:
        return sum(1 for r in rows if r.record.status is status)

    return HealthSummary(
        rules=len(rows),
        healthy=count(Status.HEALTHY),
        warning=count(Status.WARNING),
        unhealthy=count(Status.UNHEALTHY),
    )


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
        selected = ordered(self.rows.rows(status=query.status, registry=query.registry))
        end = query.skip + query.top
        return HealthPage(
            generated_at=self.clock(),
            query=query,
            summary=summarise(selected),
            rows=selected[query.skip : end],
            next_skip=end if end < len(selected) else None,
            last_sweep=self.last_sweep(),
        )
