"""Rule health rows and sent expiry warnings in Table storage, behind the flag recorder's ``HealthStore`` port.

Rows are partitioned by registry, so a registry's rows are read together and its writes can be batched; keys are
digests because resource IDs hold characters Table keys may not.
"""

from __future__ import annotations

import contextlib
import hashlib

from shared.domain.flags import HealthRecord
from shared.domain.health import Reason, Status
from shared.services.flagging import HealthRow
from shared.state.tables import Row, RowExists, TableStore, Value

WARNINGS = "secret-warnings"
REGISTRY_PREFIX = "reg-"


def _digest(text: str) -> str:
    return hashlib.sha256(text.lower().encode()).hexdigest()[:40]


def registry_partition(rule_id: str) -> str:
    """The partition of a rule's row: its registry's resource ID (everything before ``/cacheRules/``)."""
    registry_id = rule_id.lower().split("/cacherules/", 1)[0]
    return REGISTRY_PREFIX + _digest(registry_id)


def _number(value: Value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def row_of(stored: Row) -> HealthRow:
    data = stored.data
    reason = data.get("Reason")
    return HealthRow(
        rule_id=str(data["RuleId"]),
        subscription_id=str(data.get("SubscriptionId", "")),
        registry=str(data.get("Registry", "")),
        name=str(data.get("Name", "")),
        record=HealthRecord(
            status=Status(str(data["Status"])),
            reason=Reason(str(reason)) if reason else None,
            since=_number(data.get("Since")) or 0.0,
            flagged_at=_number(data.get("FlaggedAt")),
        ),
        message=str(data.get("Message", "")),
        checked_at=_number(data.get("CheckedAt")) or 0.0,
    )


def data_of(row: HealthRow) -> dict[str, Value]:
    return {
        "RuleId": row.rule_id,
        "SubscriptionId": row.subscription_id,
        "Registry": row.registry,
        "Name": row.name,
        "Status": row.record.status.value,
        "Reason": row.record.reason.value if row.record.reason else None,
        "Since": row.record.since,
        "FlaggedAt": row.record.flagged_at,
        "Message": row.message[:4000],
        "CheckedAt": row.checked_at,
    }


class TableHealthStore:
    def __init__(self, table: TableStore) -> None:
        self.table = table

    def get(self, rule_id: str) -> HealthRow | None:
        found = self.table.get(registry_partition(rule_id), _digest(rule_id))
        return row_of(found) if found else None

    def put(self, row: HealthRow) -> None:
        self.table.upsert(registry_partition(row.rule_id), _digest(row.rule_id), data_of(row))

    def registry_rows(self, registry_id: str) -> list[HealthRow]:
        return [row_of(r) for r in self.table.query(registry_partition(registry_id + "/cacheRules/x"))]

    def secret_warned(self, secret_uri: str, version: str) -> bool:
        return self.table.get(WARNINGS, _digest(f"{secret_uri}/{version}")) is not None

    def mark_secret_warned(self, secret_uri: str, version: str) -> None:
        with contextlib.suppress(RowExists):  # another instance warned meanwhile: once is what was wanted
            self.table.insert(
                WARNINGS, _digest(f"{secret_uri}/{version}"), {"SecretUri": secret_uri, "Version": version}
            )

    def forget(self, rule_id: str) -> None:
        """Drop a deleted rule's row."""
        self.table.delete(registry_partition(rule_id), _digest(rule_id))

    def forget_registry(self, registry_id: str) -> None:
        """Drop every row of a deleted registry."""
        for row in self.table.query(registry_partition(registry_id + "/cacheRules/x")):
            self.table.delete(row.partition, row.row)

    # --- queries for GET /api/health --------------------------------------------------------------------------

    def rows(self, *, status: Status | None = None, registry: str | None = None) -> list[HealthRow]:
        """Every rule's row (one key-range query over the registry partitions), filtered by status and registry
        name; unordered (the caller orders and pages)."""
        found = (row_of(r) for r in self.table.scan(REGISTRY_PREFIX))
        return [
            r
            for r in found
            if (status is None or r.record.status is status)
            and (registry is None or r.registry.lower() == registry.lower())
        ]
