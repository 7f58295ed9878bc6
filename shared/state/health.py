"""Rule health rows and sent expiry warnings in Table storage, behind the flag recorder's ``HealthStore`` port.

Laid out so ``GET /api/health`` reads what a page needs, not the fleet:
- ``reg-<registry>``: every rule's row, a partition per registry (read together, written in entity-group batches);
- ``failing``: a copy of each Unhealthy or Warning row, so failing-first pages read only those;
- ``registries``: a registry's rules counted by status, so a summary is a sum over registries and a healthy page is
  found by position without reading the registries before it.
Writes go copy, counts, then the rule's own row: a failure part-way leaves the old row, so the next look redoes it;
counts a partial write left off are made exact again by the registry's next sweep. Keys are digests because resource
IDs hold characters Table keys may not.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence

from shared.domain.flags import HealthRecord
from shared.domain.health import Reason, Status
from shared.domain.models import Registry
from shared.services.flagging import HealthRow
from shared.services.sweep_report import RegistryHealth
from shared.state.tables import (
    MAX_BATCH,
    BatchOp,
    Row,
    RowChanged,
    RowExists,
    RowNotFound,
    TableStore,
    Value,
)

log = logging.getLogger(__name__)

WARNINGS = "secret-warnings"
REGISTRY_PREFIX = "reg-"
FAILING = "failing"
SUMMARIES = "registries"
_COLUMNS = {Status.HEALTHY: "Healthy", Status.WARNING: "Warning", Status.UNHEALTHY: "Unhealthy"}
_ATTEMPTS = 5  # optimistic-concurrency retries on a registry's counts before leaving them to its next sweep


def _digest(text: str) -> str:
    return hashlib.sha256(text.lower().encode()).hexdigest()[:40]


def row_key(rule_id: str) -> str:
    """A rule's row key, the same in its registry's partition and in the failing one."""
    return _digest(rule_id)


def registry_of(rule_id: str) -> str:
    """A rule's registry resource ID (everything before ``/cacheRules/``), lower-cased."""
    return rule_id.lower().split("/cacherules/", 1)[0]


def partition_of_registry(registry_id: str) -> str:
    """The partition holding every rule row of one registry."""
    return REGISTRY_PREFIX + _digest(registry_id)


def registry_partition(rule_id: str) -> str:
    """The partition of a rule's row: its registry's."""
    return partition_of_registry(registry_of(rule_id))


def _failing(row: HealthRow) -> bool:
    return row.record.status is not Status.HEALTHY


def _counts(stored: Row | None) -> Counter[Status]:
    counts: Counter[Status] = Counter()
    for status, column in _COLUMNS.items():
        counts[status] = int(_number(stored.data.get(column)) or 0) if stored else 0
    return counts


def _summary_data(registry_id: str, name: str, counts: Counter[Status], *, swept: bool) -> dict[str, Value]:
    """``Swept``: a sweep wrote these counts and every failing copy of the registry (events only adjust them)."""
    data: dict[str, Value] = {"RegistryId": registry_id, "Registry": name, "Swept": swept}
    data.update({column: max(0, counts[status]) for status, column in _COLUMNS.items()})
    return data


def _summary(stored: Row) -> RegistryHealth:
    counts = _counts(stored)
    return RegistryHealth(
        registry_id=str(stored.data.get("RegistryId", "")),
        registry=str(stored.data.get("Registry", "")),
        healthy=counts[Status.HEALTHY],
        warning=counts[Status.WARNING],
        unhealthy=counts[Status.UNHEALTHY],
    )


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
        expires_on=_number(data.get("ExpiresOn")),
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
        "ExpiresOn": row.expires_on,
    }


class TableHealthStore:
    def __init__(self, table: TableStore) -> None:
        self.table = table

    def get(self, rule_id: str) -> HealthRow | None:
        found = self.table.get(registry_partition(rule_id), row_key(rule_id))
        return row_of(found) if found else None

    def put(self, row: HealthRow) -> None:
        """One rule's new row (the event path): its failing copy and its registry's counts follow it."""
        before = self.get(row.rule_id)
        key = row_key(row.rule_id)
        if _failing(row):
            self.table.upsert(FAILING, key, data_of(row))
        elif before is not None and _failing(before):
            self.table.delete(FAILING, key)
        change: Counter[Status] = Counter({row.record.status: 1})
        if before is not None:
            change[before.record.status] -= 1
        self._adjust(registry_of(row.rule_id), row.registry, change)
        self.table.upsert(registry_partition(row.rule_id), key, data_of(row))

    def save_registry(
        self, registry: Registry, *, before: Sequence[HealthRow], after: Sequence[HealthRow]
    ) -> None:
        """A registry check's outcome: ``after`` is every listed rule's row (the stored one where unchanged),
        ``before`` what was stored. Writes only what changed, in batches, and the registry's exact counts; rules
        no longer listed go. The first sweep under this layout also writes the failing copies of unchanged rows."""
        key = _digest(registry.id)
        stored = self.table.get(SUMMARIES, key)
        resync = stored is None or stored.data.get("Swept") is not True
        previous = {r.rule_id.lower(): r for r in before}
        listed = {r.rule_id.lower() for r in after}
        changed = [r for r in after if previous.get(r.rule_id.lower()) != r]
        removed = [r for k, r in previous.items() if k not in listed]
        was_failing = {k for k, r in previous.items() if _failing(r)}
        copies = [
            BatchOp(kind="upsert", row=row_key(r.rule_id), data=data_of(r))
            for r in (after if resync else changed)
            if _failing(r)
        ]
        healed_or_gone = [r for r in changed if not _failing(r)] + removed
        copies += [
            BatchOp(kind="delete", row=row_key(r.rule_id))
            for r in healed_or_gone
            if r.rule_id.lower() in was_failing
        ]
        self._batched(FAILING, copies)
        self._batched(
            partition_of_registry(registry.id),
            [BatchOp(kind="upsert", row=row_key(r.rule_id), data=data_of(r)) for r in changed]
            + [BatchOp(kind="delete", row=row_key(r.rule_id)) for r in removed],
        )
        counts = Counter(r.record.status for r in after)
        data = _summary_data(registry.id.lower(), registry.name, counts, swept=True)
        if stored is None or any(stored.data.get(k) != v for k, v in data.items()):
            self.table.upsert(SUMMARIES, key, data)

    def _batched(self, partition: str, ops: Sequence[BatchOp]) -> None:
        """Entity-group transactions of at most :data:`MAX_BATCH`; a batch refused for deleting an absent row (a
        copy already gone) is redone row by row, where absent is done."""
        for start in range(0, len(ops), MAX_BATCH):
            chunk = ops[start : start + MAX_BATCH]
            try:
                self.table.batch(partition, chunk)
            except RowNotFound:
                for op in chunk:
                    if op.kind == "delete":
                        self.table.delete(partition, op.row)
                    else:
                        self.table.upsert(partition, op.row, op.data)

    def _adjust(self, registry_id: str, name: str, change: Mapping[Status, int]) -> None:
        """Apply one rule's change to its registry's counts, conditioned on the counts' ETag."""
        if not any(change.values()):
            return
        key = _digest(registry_id)
        for _ in range(_ATTEMPTS):
            current = self.table.get(SUMMARIES, key)
            counts = _counts(current)
            counts.update(change)
            swept = current is not None and current.data.get("Swept") is True
            data = _summary_data(registry_id, name, counts, swept=swept)
            try:
                if current is None:
                    self.table.insert(SUMMARIES, key, data)
                else:
                    self.table.replace(SUMMARIES, key, data, etag=current.etag)
                return
            except (RowExists, RowChanged, RowNotFound):
                continue
        log.warning("Health counts of %s kept changing; its next sweep rewrites them", registry_id)

    def registry_rows(self, registry_id: str) -> list[HealthRow]:
        return [row_of(r) for r in self.table.query(partition_of_registry(registry_id))]

    def secret_warned(self, secret_uri: str, version: str) -> bool:
        return self.table.get(WARNINGS, _digest(f"{secret_uri}/{version}")) is not None

    def mark_secret_warned(self, secret_uri: str, version: str) -> None:
        with contextlib.suppress(RowExists):  # another instance warned meanwhile: once is what was wanted
            self.table.insert(
                WARNINGS, _digest(f"{secret_uri}/{version}"), {"SecretUri": secret_uri, "Version": version}
            )

    def forget(self, rule_id: str) -> None:
        """Drop a deleted rule's row, its failing copy and its share of the counts."""
        before = self.get(rule_id)
        if before is None:
            return
        if _failing(before):
            self.table.delete(FAILING, row_key(rule_id))
        self._adjust(registry_of(rule_id), before.registry, Counter({before.record.status: -1}))
        self.table.delete(registry_partition(rule_id), row_key(rule_id))

    def forget_registry(self, registry_id: str) -> None:
        """Drop every row of a deleted registry, their failing copies and its counts."""
        partition = partition_of_registry(registry_id)
        rows = self.table.query(partition)
        self._batched(FAILING, [BatchOp(kind="delete", row=r.row) for r in rows if _failing(row_of(r))])
        self.table.delete(SUMMARIES, _digest(registry_id))
        self._batched(partition, [BatchOp(kind="delete", row=r.row) for r in rows])

    # --- queries for GET /api/health --------------------------------------------------------------------------

    def summaries(self, registry: str | None = None) -> list[RegistryHealth]:
        return [
            _summary(r)
            for r in self.table.query(SUMMARIES)
            if registry is None or str(r.data.get("Registry", "")).lower() == registry.lower()
        ]

    def failing(self, registry: str | None = None) -> list[HealthRow]:
        return [
            row
            for row in (row_of(r) for r in self.table.query(FAILING))
            if registry is None or row.registry.lower() == registry.lower()
        ]

    def rows(self, *, status: Status | None = None, registry: str | None = None) -> list[HealthRow]:
        """Every rule's row (a key-range query over all registry partitions: the whole fleet, for tools and tests;
        the API pages through :meth:`failing`, :meth:`summaries` and :meth:`registry_rows`), filtered by status and
        registry name; unordered."""
        found = (row_of(r) for r in self.table.scan(REGISTRY_PREFIX))
        return [
            r
            for r in found
            if (status is None or r.record.status is status)
            and (registry is None or r.registry.lower() == registry.lower())
        ]
