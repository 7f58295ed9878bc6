"""The port every Table-storage user (leases; next: idempotency, secret index, health, audit) goes through.

Rows are addressed by (partition, row) and carry an opaque ETag; conditional writes fail with this module's own
errors, so ``shared.state`` never sees an SDK type. ``shared.azure.tables`` adapts Azure Table storage to it and
``shared.state.memory`` is an in-process twin with the same semantics for unit tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

# Table storage property types the app stores (no binary, no datetime: timestamps are epoch seconds).
Value = str | int | float | bool | None


class TableError(Exception):
    """Base of the conditional-operation outcomes a caller is expected to handle."""


class RowExists(TableError):
    """An insert found a row with the same keys."""


class RowChanged(TableError):
    """A write conditioned on an ETag found the row changed (or gone) since it was read."""


class RowNotFound(TableError):
    """A replace found no row to replace."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    partition: str
    row: str
    data: Mapping[str, Value]
    etag: str


# Table storage's limit on one entity-group transaction (Microsoft: "Performing entity group transactions").
MAX_BATCH = 100


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchOp:
    """One write of a batch: ``upsert`` creates or replaces the row with ``data``; ``delete`` needs the row there."""

    kind: Literal["upsert", "delete"]
    row: str
    data: Mapping[str, Value] = field(default_factory=dict)


def check_batch(ops: Sequence[BatchOp]) -> None:
    """The service's own limits, enforced the same way by every adapter: at most :data:`MAX_BATCH` operations,
    each row at most once."""
    if len(ops) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} operations, not {len(ops)}")
    if len({op.row for op in ops}) != len(ops):
        raise ValueError("a batch names each row at most once")


class TableStore(Protocol):
    def get(self, partition: str, row: str) -> Row | None: ...

    def query(self, partition: str) -> list[Row]:
        """Every row of one partition, in row-key order."""
        ...

    def scan(self, partition_prefix: str) -> list[Row]:
        """Every row of the partitions whose key starts with ``partition_prefix``, in key order."""
        ...

    def insert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        """Create the row; :class:`RowExists` when it is there already."""
        ...

    def replace(self, partition: str, row: str, data: Mapping[str, Value], *, etag: str) -> Row:
        """Replace the row read with ``etag``; :class:`RowChanged` if it changed since, :class:`RowNotFound`
        if it is gone."""
        ...

    def upsert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        """Create or replace the row unconditionally."""
        ...

    def delete(self, partition: str, row: str, *, etag: str | None = None) -> None:
        """Delete the row (only as read with ``etag`` when given: else :class:`RowChanged`); absent is done."""
        ...

    def batch(self, partition: str, ops: Sequence[BatchOp]) -> None:
        """Apply every operation to one partition in one entity-group transaction: all or nothing. A ``delete`` of
        an absent row fails the whole batch with :class:`RowNotFound` (the service's rule, unlike :meth:`delete`);
        more than :data:`MAX_BATCH` operations or a row named twice is a ``ValueError`` before anything is sent."""
        ...
