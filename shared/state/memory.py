"""An in-process :class:`~shared.state.tables.TableStore` with Table storage's conditional semantics.

For unit tests and single-process tools: every write gets a fresh ETag, and conditional operations fail the way
the service does (insert on an existing row, replace or delete with a stale ETag).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence

from shared.state.tables import BatchOp, Row, RowChanged, RowExists, RowNotFound, Value, check_batch


class MemoryTableStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], Row] = {}
        self._versions = itertools.count(1)

    def _write(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        stored = Row(partition=partition, row=row, data=dict(data), etag=f'W/"{next(self._versions)}"')
        self._rows[(partition, row)] = stored
        return stored

    def get(self, partition: str, row: str) -> Row | None:
        with self._lock:
            return self._rows.get((partition, row))

    def query(self, partition: str) -> list[Row]:
        with self._lock:
            return sorted((r for (p, _), r in self._rows.items() if p == partition), key=lambda r: r.row)

    def scan(self, partition_prefix: str) -> list[Row]:
        with self._lock:
            found = [r for (p, _), r in self._rows.items() if p.startswith(partition_prefix)]
        return sorted(found, key=lambda r: (r.partition, r.row))

    def insert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        with self._lock:
            if (partition, row) in self._rows:
                raise RowExists(f"{partition}/{row}")
            return self._write(partition, row, data)

    def replace(self, partition: str, row: str, data: Mapping[str, Value], *, etag: str) -> Row:
        with self._lock:
            current = self._rows.get((partition, row))
            if current is None:
                raise RowNotFound(f"{partition}/{row}")
            if current.etag != etag:
                raise RowChanged(f"{partition}/{row}")
            return self._write(partition, row, data)

    def upsert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        with self._lock:
            return self._write(partition, row, data)

    def delete(self, partition: str, row: str, *, etag: str | None = None) -> None:
        with self._lock:
            current = self._rows.get((partition, row))
            if current is None:
                return
            if etag is not None and current.etag != etag:
                raise RowChanged(f"{partition}/{row}")
            del self._rows[(partition, row)]

    def batch(self, partition: str, ops: Sequence[BatchOp]) -> None:
        check_batch(ops)
        with self._lock:
            missing = [op.row for op in ops if op.kind == "delete" and (partition, op.row) not in self._rows]
            if missing:
                raise RowNotFound(f"{partition}/{missing[0]}")
            for op in ops:
                if op.kind == "delete":
                    del self._rows[(partition, op.row)]
                else:
                    self._write(partition, op.row, op.data)
