"""A sweep's result, put together from what each registry's check reported (in-process or fanned out alike).

Both paths store one :class:`RegistryReport` per registry under the sweep id and read the result back through
:func:`aggregate`, so a fanned-out sweep and an in-process one report the same figures for the same fleet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class SweepStatus(StrEnum):
    RUNNING = "Running"
    COMPLETED = "Completed"


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepHeader:
    """What is known when a sweep starts: its scope and the requests spent finding it."""

    sweep_id: str
    started_at: float
    registries: int
    trigger: str  # "timer" | "http"
    fanned_out: bool
    azure_requests: int  # listing the registries in scope


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryReport:
    """One registry's share of a sweep; ``error`` set when it could not be checked (its rules then count 0)."""

    registry: str  # the registry's resource ID
    name: str
    rules: int = 0
    unhealthy: int = 0
    flags_raised: int = 0
    flags_cleared: int = 0
    azure_requests: int = 0
    finished_at: float = 0.0
    healed: tuple[str, ...] = field(default=())
    error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Failure:
    registry: str
    error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepResult:
    sweep_id: str
    status: SweepStatus
    started_at: float
    registries: int
    checked: int
    rules: int
    unhealthy: int
    flags_raised: int
    flags_cleared: int
    azure_requests: int
    duration_ms: int
    healed: tuple[str, ...]
    failures: tuple[Failure, ...]


def aggregate(header: SweepHeader, reports: Sequence[RegistryReport], *, now: float) -> SweepResult:
    """Completed once every registry in scope reported; the duration runs to the last report (or to now)."""
    done = len(reports) >= header.registries
    end = max((r.finished_at for r in reports), default=header.started_at) if done else now
    return SweepResult(
        sweep_id=header.sweep_id,
        status=SweepStatus.COMPLETED if done else SweepStatus.RUNNING,
        started_at=header.started_at,
        registries=header.registries,
        checked=len(reports),
        rules=sum(r.rules for r in reports),
        unhealthy=sum(r.unhealthy for r in reports),
        flags_raised=sum(r.flags_raised for r in reports),
        flags_cleared=sum(r.flags_cleared for r in reports),
        azure_requests=header.azure_requests + sum(r.azure_requests for r in reports),
        duration_ms=max(0, round((end - header.started_at) * 1000)),
        healed=tuple(h for r in sorted(reports, key=lambda r: r.registry) for h in r.healed),
        failures=tuple(
            Failure(registry=r.name, error=r.error)
            for r in sorted(reports, key=lambda r: r.name)
            if r.error is not None
        ),
    )
