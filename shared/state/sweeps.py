"""Sweep results in Table storage: one partition per sweep id, a header row and one row per registry checked.

Fanned-out registries are checked on any instance; each writes its own row, so nothing is read-modified-written and
no two instances contend. The result is the rows put together (:func:`shared.domain.sweeps.aggregate`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json

from shared.domain.sweeps import RegistryReport, SweepHeader
from shared.state.tables import Row, RowExists, TableStore, Value

HEADER, DONE = "header", "done"
LATEST_PARTITION, LATEST_ROW = "latest", "sweep"
_REGISTRY_PREFIX = "reg-"


def _number(value: Value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _report(row: Row) -> RegistryReport:
    data = row.data
    error = data.get("Error")
    return RegistryReport(
        registry=str(data.get("Registry", "")),
        name=str(data.get("Name", "")),
        rules=int(_number(data.get("Rules"))),
        unhealthy=int(_number(data.get("Unhealthy"))),
        flags_raised=int(_number(data.get("FlagsRaised"))),
        flags_cleared=int(_number(data.get("FlagsCleared"))),
        azure_requests=int(_number(data.get("AzureRequests"))),
        finished_at=_number(data.get("FinishedAt")),
        healed=tuple(json.loads(str(data.get("Healed") or "[]"))),
        error=str(error) if error is not None else None,
    )


class SweepStore:
    def __init__(self, table: TableStore) -> None:
        self.table = table

    def start(self, header: SweepHeader) -> None:
        self.table.insert(
            header.sweep_id,
            HEADER,
            {
                "StartedAt": header.started_at,
                "Registries": header.registries,
                "Trigger": header.trigger,
                "FannedOut": header.fanned_out,
                "AzureRequests": header.azure_requests,
            },
        )
        self.table.upsert(LATEST_PARTITION, LATEST_ROW, {"SweepId": header.sweep_id})

    def record(self, sweep_id: str, report: RegistryReport) -> None:
        """Idempotent per registry: a redelivered message rewrites the same row instead of counting twice."""
        row = _REGISTRY_PREFIX + hashlib.sha256(report.registry.lower().encode()).hexdigest()[:40]
        self.table.upsert(
            sweep_id,
            row,
            {
                "Registry": report.registry,
                "Name": report.name,
                "Rules": report.rules,
                "Unhealthy": report.unhealthy,
                "FlagsRaised": report.flags_raised,
                "FlagsCleared": report.flags_cleared,
                "AzureRequests": report.azure_requests,
                "FinishedAt": report.finished_at,
                "Healed": json.dumps(list(report.healed)),
                "Error": report.error[:2000] if report.error is not None else None,
            },
        )

    def header(self, sweep_id: str) -> SweepHeader | None:
        row = self.table.get(sweep_id, HEADER)
        if row is None:
            return None
        data = row.data
        return SweepHeader(
            sweep_id=sweep_id,
            started_at=_number(data.get("StartedAt")),
            registries=int(_number(data.get("Registries"))),
            trigger=str(data.get("Trigger", "")),
            fanned_out=bool(data.get("FannedOut")),
            azure_requests=int(_number(data.get("AzureRequests"))),
        )

    def reports(self, sweep_id: str) -> list[RegistryReport]:
        return [_report(r) for r in self.table.query(sweep_id) if r.row.startswith(_REGISTRY_PREFIX)]

    def latest_id(self) -> str | None:
        row = self.table.get(LATEST_PARTITION, LATEST_ROW)
        return str(row.data["SweepId"]) if row is not None and row.data.get("SweepId") else None

    def claim_completion(self, sweep_id: str) -> bool:
        """True for exactly one caller per sweep: whoever reports the completed result (and logs it) once."""
        with contextlib.suppress(RowExists):
            self.table.insert(sweep_id, DONE, {})
            return True
        return False
