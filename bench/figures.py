"""Pure arithmetic the benchmarks share: what the emulator's request log says a run cost, ARM's budget floor,
percentiles. No I/O, so it is unit-tested (tests/unit/bench/)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# ARM's per-principal, per-subscription read bucket (Microsoft's "request limits and throttling": 250 burst,
# 25 per second refill), the same figures the emulator enforces (emulator/arm/throttling.py).
READ_BURST, READ_RATE = 250, 25.0
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
_NOT_AZURE = ("/_emulator/", "/msi/token", "/eventgrid/")  # control API, token endpoint, topic publishes
_KEYVAULT = "/kv/"


@dataclass(frozen=True)
class LogCost:
    """What a slice of the emulator's request log cost: Azure requests (ARM + Key Vault), per kind."""

    arm_reads: Counter[str] = field(default_factory=Counter)  # by subscription ("tenant" when none)
    arm_writes: int = 0
    keyvault: int = 0
    throttled: int = 0  # 429 answers
    lists: int = 0  # ARM GETs of a collection (a path ending in a resource type, not a name)

    @property
    def azure_requests(self) -> int:
        return sum(self.arm_reads.values()) + self.arm_writes + self.keyvault

    def as_json(self) -> dict[str, Any]:
        return {
            "azureRequests": self.azure_requests,
            "armReads": sum(self.arm_reads.values()),
            "armWrites": self.arm_writes,
            "keyVaultRequests": self.keyvault,
            "throttled429": self.throttled,
        }


_COLLECTIONS = frozenset(
    {
        "registries",
        "cacherules",
        "credentialsets",
        "vaults",
        "roleassignments",
        "resourcegroups",
        "subscriptions",
    }
)


def _subscription(path: str) -> str:
    parts = path.split("?", 1)[0].strip("/").split("/")
    return parts[1].lower() if len(parts) > 1 and parts[0].lower() == "subscriptions" else "tenant"


def is_list(path: str) -> bool:
    """An ARM GET of a collection: its last path segment is a resource type (``.../cacheRules``)."""
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower() in _COLLECTIONS


def call_shape(entry: Mapping[str, Any]) -> str:
    """A request without names: ``GET credentialSets/{}``, ``GET cacheRules (list)``, ``GET keyvault versions``."""
    path = str(entry["path"]).split("?")[0]
    last = path.rstrip("/").rsplit("/", 2)
    kind = last[-1] if is_list(path) else last[-2] + "/{}"
    if path.startswith(_KEYVAULT):
        kind = "keyvault " + ("versions" if path.endswith("/versions") else "secret")
    return f"{entry['method']} {kind}" + (" (list)" if is_list(path) else "")


def call_counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The Azure requests of a log slice by shape, most frequent first (what a figure is made of)."""
    azure = (e for e in entries if not str(e["path"]).startswith(_NOT_AZURE))
    return dict(Counter(call_shape(e) for e in azure).most_common())


def log_cost(entries: Iterable[Mapping[str, Any]]) -> LogCost:
    """Sum the emulator's log entries (``{"method", "path", "status"}``) into Azure request counts."""
    reads: Counter[str] = Counter()
    writes = keyvault = throttled = lists = 0
    for entry in entries:
        path, method = str(entry["path"]), str(entry["method"])
        if path.startswith(_NOT_AZURE):
            continue
        throttled += entry.get("status") == 429
        if path.startswith(_KEYVAULT):
            keyvault += 1
        elif method in WRITE_METHODS:
            writes += 1
        else:
            reads[_subscription(path)] += 1
            lists += is_list(path)
    return LogCost(reads, writes, keyvault, throttled, lists)


def read_floor_seconds(reads_by_subscription: Mapping[str, int]) -> float:
    """The least time ARM's read bucket allows for these reads, subscriptions in parallel (each starts full)."""
    return max((max(0, n - READ_BURST) / READ_RATE for n in reads_by_subscription.values()), default=0.0)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
