"""Leases in Table storage, so concurrent requests on different instances of the app do not race each other.

A lease is one entity per key; taking it is an insert (which the service makes atomic), taking over an expired one
is an update conditioned on its ETag, and releasing it is a delete conditioned on its ETag.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.azure.errors import azure_call


class LeaseStore(Protocol):
    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool: ...
    def release(self, key: str, owner: str) -> None: ...


def _row_key(key: str) -> str:
    # Table keys may not hold '/', '\\', '#', '?'; a digest also keeps them short.
    return hashlib.sha256(key.lower().encode()).hexdigest()


class TableLeaseStore:
    PARTITION = "lease"

    def __init__(self, table: Callable[[], Any], *, now: Callable[[], float] = time.time) -> None:
        self._table_factory = table
        self._table: Any = None
        self._lock = threading.Lock()
        self.now = now

    def _client(self) -> Any:
        with self._lock:
            if self._table is None:
                self._table = self._table_factory()
            return self._table

    def try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool:
        with azure_call("take a lease"):
            return self._try_acquire(key, owner, ttl_seconds)

    def _try_acquire(self, key: str, owner: str, ttl_seconds: float) -> bool:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

        table = self._client()
        entity = {
            "PartitionKey": self.PARTITION,
            "RowKey": _row_key(key),
            "Key": key[:1000],
            "Owner": owner,
            "ExpiresAt": self.now() + ttl_seconds,
        }
        try:
            table.create_entity(entity)
            return True
        except ResourceExistsError:
            pass
        try:
            current = table.get_entity(self.PARTITION, entity["RowKey"])
        except ResourceNotFoundError:
            return False  # released meanwhile: the caller simply tries again
        if float(current.get("ExpiresAt", 0)) > self.now():
            return False
        try:
            table.update_entity(
                entity, etag=current.metadata["etag"], match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def release(self, key: str, owner: str) -> None:
        with azure_call("release a lease"):
            self._release(key, owner)

    def _release(self, key: str, owner: str) -> None:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        table = self._client()
        try:
            current = table.get_entity(self.PARTITION, _row_key(key))
            if current.get("Owner") != owner:
                return
            table.delete_entity(
                self.PARTITION,
                _row_key(key),
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return
