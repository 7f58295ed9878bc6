"""Leases in Table storage, so concurrent requests on different instances of the app do not race each other.

A lease is one row per key; taking it is an insert (which the store makes atomic), taking over an expired one
is a replace conditioned on its ETag, and releasing it is a delete conditioned on its ETag.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from shared.state.tables import RowChanged, RowExists, RowNotFound, TableStore, Value


class LeaseStore(Protocol):
    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool: ...
    def release(self, key: str, owner: str) -> None: ...


def _row_key(key: str) -> str:
    # Table keys may not hold '/', '\\', '#', '?'; a digest also keeps them short.
    return hashlib.sha256(key.lower().encode()).hexdigest()


class TableLeaseStore:
    PARTITION = "lease"

    def __init__(self, table: TableStore, *, now: Callable[[], float] = time.time) -> None:
        self.table = table
        self.now = now

    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool:
        row = _row_key(key)
        data: dict[str, Value] = {"Key": key[:1000], "Owner": owner, "ExpiresAt": self.now() + ttl_seconds}
        try:
            self.table.insert(self.PARTITION, row, data)
            return True
        except RowExists:
            pass
        current = self.table.get(self.PARTITION, row)
        if current is None:
            return False  # released meanwhile: the caller simply tries again
        if float(current.data.get("ExpiresAt") or 0) > self.now():
            return False
        try:
            self.table.replace(self.PARTITION, row, data, etag=current.etag)
        except (RowChanged, RowNotFound):
            return False
        return True

    def release(self, key: str, owner: str) -> None:
        row = _row_key(key)
        current = self.table.get(self.PARTITION, row)
        if current is None or current.data.get("Owner") != owner:
            return
        try:
            self.table.delete(self.PARTITION, row, etag=current.etag)
        except RowChanged:
            return
