"""Leases in Table storage, so concurrent requests on different instances of the app do not race each other.

A lease is one row per key; taking it is an insert (which the store makes atomic), taking over an expired one
is a replace conditioned on its ETag, and releasing it is a delete conditioned on its ETag. Renewing is a replace
conditioned on the ETag of the holder's own last write, so it doubles as the fencing check before each write: it
fails as soon as anyone else has taken the lease over, even if the holder was paused past its expiry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from shared.state.tables import RowChanged, RowExists, RowNotFound, TableStore, Value


class LeaseStore(Protocol):
    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool: ...

    def renew(self, key: str, owner: str, ttl_seconds: float) -> bool:
        """Extend the lease ``owner`` holds; False when it is no longer theirs (taken over or released)."""
        ...

    def expires_in(self, key: str) -> float | None:
        """Seconds until the current lease on ``key`` runs out (None: nobody holds it)."""
        ...

    def release(self, key: str, owner: str) -> None: ...


def _row_key(key: str) -> str:
    # Table keys may not hold '/', '\\', '#', '?'; a digest also keeps them short.
    return hashlib.sha256(key.lower().encode()).hexdigest()


class TableLeaseStore:
    PARTITION = "lease"

    def __init__(self, table: TableStore, *, now: Callable[[], float] = time.time) -> None:
        self.table = table
        self.now = now
        self._etags: dict[tuple[str, str], str] = {}  # (row, owner) -> ETag of the owner's own last write

    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool:
        row = _row_key(key)
        data: dict[str, Value] = {"Key": key[:1000], "Owner": owner, "ExpiresAt": self.now() + ttl_seconds}
        try:
            self._etags[(row, owner)] = self.table.insert(self.PARTITION, row, data).etag
            return True
        except RowExists:
            pass
        current = self.table.get(self.PARTITION, row)
        if current is None:
            return False  # released meanwhile: the caller simply tries again
        if float(current.data.get("ExpiresAt") or 0) > self.now():
            return False
        try:
            self._etags[(row, owner)] = self.table.replace(self.PARTITION, row, data, etag=current.etag).etag
        except (RowChanged, RowNotFound):
            return False
        return True

    def renew(self, key: str, owner: str, ttl_seconds: float) -> bool:
        row = _row_key(key)
        etag = self._etags.get((row, owner))
        if etag is None:
            return False
        data: dict[str, Value] = {"Key": key[:1000], "Owner": owner, "ExpiresAt": self.now() + ttl_seconds}
        try:
            self._etags[(row, owner)] = self.table.replace(self.PARTITION, row, data, etag=etag).etag
        except (RowChanged, RowNotFound):
            self._etags.pop((row, owner), None)
            return False
        return True

    def expires_in(self, key: str) -> float | None:
        current = self.table.get(self.PARTITION, _row_key(key))
        if current is None:
            return None
        return max(float(current.data.get("ExpiresAt") or 0) - self.now(), 0.0)

    def release(self, key: str, owner: str) -> None:
        row = _row_key(key)
        etag = self._etags.pop((row, owner), None)
        if etag is None:
            return
        try:
            self.table.delete(self.PARTITION, row, etag=etag)
        except RowChanged:
            return  # taken over meanwhile: the row is someone else's now
