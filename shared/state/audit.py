"""The audit trail in Table storage: one row per Azure change the app made, with what caused it.

Rows are partitioned by UTC day (``day-YYYYMMDD``), row keys are the time in microseconds plus a random suffix, so a
day reads in order and a ``since`` query touches only the days it covers. Identifiers only: never a secret value.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.state.tables import TableStore

MAX_DAYS = 31
"""How far back one read reaches: older rows stay stored but are not listed."""

Identifiers = Mapping[str, str | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    time: float
    cause: Identifiers  # {"kind": "http", "principalId", ...} or {"kind": "event", "eventId", "eventType"}
    action: str  # e.g. "credentialSet.update", "accessPolicy.add"
    resource: str  # the ARM resource ID changed
    before: Identifiers | None
    after: Identifiers | None


def _day(when: float) -> str:
    return "day-" + datetime.fromtimestamp(when, tz=UTC).strftime("%Y%m%d")


def _json(value: Identifiers | None) -> str | None:
    return json.dumps(dict(value), sort_keys=True) if value is not None else None


def _loads(value: object) -> Identifiers | None:
    return json.loads(value) if isinstance(value, str) and value else None


class AuditLog:
    def __init__(self, table: TableStore, *, now: Callable[[], float] = time.time) -> None:
        self.table = table
        self.now = now

    def append(self, entry: AuditEntry) -> None:
        row = f"{int(entry.time * 1_000_000):020d}-{uuid.uuid4().hex[:8]}"
        self.table.insert(
            _day(entry.time),
            row,
            {
                "Time": entry.time,
                "Cause": _json(entry.cause),
                "Action": entry.action,
                "Resource": entry.resource,
                "Before": _json(entry.before),
                "After": _json(entry.after),
            },
        )

    def read(self, *, since: float, resource: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The newest ``limit`` entries at or after ``since`` (at most MAX_DAYS back), oldest first; ``resource``
        matches an ID prefix. Newest, because a busy log must not hide the change that was just made."""
        now = self.now()
        start = max(since, now - MAX_DAYS * 86400)
        prefix = resource.lower().rstrip("/") if resource else None
        newest_first: list[AuditEntry] = []
        first_day = datetime.fromtimestamp(start, tz=UTC).date()
        day = datetime.fromtimestamp(now, tz=UTC).date()
        while day >= first_day and len(newest_first) < limit:
            for row in reversed(self.table.query("day-" + day.strftime("%Y%m%d"))):
                d = row.data
                when = float(d.get("Time") or 0)
                target = str(d.get("Resource") or "")
                if when < start or (prefix and not target.lower().startswith(prefix)):
                    continue
                newest_first.append(
                    AuditEntry(
                        time=when,
                        cause=_loads(d.get("Cause")) or {},
                        action=str(d.get("Action") or ""),
                        resource=target,
                        before=_loads(d.get("Before")),
                        after=_loads(d.get("After")),
                    )
                )
                if len(newest_first) == limit:
                    break
            day -= timedelta(days=1)
        return newest_first[::-1]
