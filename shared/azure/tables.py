"""Azure Table storage behind the :class:`~shared.state.tables.TableStore` port.

Conditional outcomes become the port's own errors (``RowExists``, ``RowChanged``, ``RowNotFound``); any other
failure goes through :func:`azure_call` like every Azure call. The SDK is imported on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from shared.azure.errors import azure_call
from shared.state.tables import BatchOp, Row, RowChanged, RowExists, RowNotFound, Value, check_batch

_KEYS = ("PartitionKey", "RowKey")


def _row(entity: Mapping[str, Any], etag: str) -> Row:
    data = {k: v for k, v in entity.items() if k not in _KEYS}
    return Row(partition=str(entity["PartitionKey"]), row=str(entity["RowKey"]), data=data, etag=etag)


class AzureTableStore:
    """One table; the client is built on first use (``table`` is usually ``AzureClients.table``)."""

    def __init__(self, table: Callable[[], Any], *, name: str) -> None:
        self._table_factory = table
        self._table: Any = None
        self._lock = threading.Lock()
        self.name = name

    def _client(self) -> Any:
        with self._lock:
            if self._table is None:
                self._table = self._table_factory()
            return self._table

    @contextmanager
    def _call(self, action: str, partition: str, row: str) -> Iterator[None]:
        from azure.core.exceptions import (
            HttpResponseError,
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        where = f"{self.name}/{partition}/{row}"
        with azure_call(f"{action} {where}"):  # anything else: AzureRejected / UpstreamServiceError
            try:
                yield
            except ResourceExistsError:
                raise RowExists(where) from None
            except ResourceModifiedError:
                raise RowChanged(where) from None
            except ResourceNotFoundError:
                raise RowNotFound(where) from None
            except HttpResponseError as exc:  # a transaction's failure names the operation's own error code
                if getattr(exc, "error_code", None) in ("ResourceNotFound", "EntityNotFound"):
                    raise RowNotFound(where) from None
                raise

    @staticmethod
    def _entity(partition: str, row: str, data: Mapping[str, Value]) -> dict[str, Any]:
        return {**data, "PartitionKey": partition, "RowKey": row}

    def get(self, partition: str, row: str) -> Row | None:
        try:
            with self._call("read", partition, row):
                entity = self._client().get_entity(partition, row)
        except RowNotFound:
            return None
        return _row(entity, str(entity.metadata["etag"]))

    def query(self, partition: str) -> list[Row]:
        with azure_call(f"query {self.name}/{partition}"):
            found = [
                _row(e, str(e.metadata["etag"]))
                for e in self._client().query_entities(
                    "PartitionKey eq @partition", parameters={"partition": partition}
                )
            ]
        return sorted(found, key=lambda r: r.row)

    def scan(self, partition_prefix: str) -> list[Row]:
        """One server-side key-range filter (``ge prefix and lt`` the prefix's successor), paged by the SDK."""
        if not partition_prefix:
            raise ValueError("scan needs a partition prefix")
        high = partition_prefix[:-1] + chr(ord(partition_prefix[-1]) + 1)
        with azure_call(f"scan {self.name}/{partition_prefix}*"):
            found = [
                _row(e, str(e.metadata["etag"]))
                for e in self._client().query_entities(
                    "PartitionKey ge @low and PartitionKey lt @high",
                    parameters={"low": partition_prefix, "high": high},
                )
            ]
        return sorted(found, key=lambda r: (r.partition, r.row))

    def insert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        entity = self._entity(partition, row, data)
        with self._call("insert", partition, row):
            written = self._client().create_entity(entity)
        return _row(entity, str(written["etag"]))

    def replace(self, partition: str, row: str, data: Mapping[str, Value], *, etag: str) -> Row:
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        entity = self._entity(partition, row, data)
        with self._call("replace", partition, row):
            written = self._client().update_entity(
                entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        return _row(entity, str(written["etag"]))

    def upsert(self, partition: str, row: str, data: Mapping[str, Value]) -> Row:
        from azure.data.tables import UpdateMode

        entity = self._entity(partition, row, data)
        with self._call("upsert", partition, row):
            written = self._client().upsert_entity(entity, mode=UpdateMode.REPLACE)
        return _row(entity, str(written["etag"]))

    def delete(self, partition: str, row: str, *, etag: str | None = None) -> None:
        from azure.core import MatchConditions

        condition = MatchConditions.IfNotModified if etag else MatchConditions.Unconditionally
        with self._call("delete", partition, row):
            # The SDK treats 404 as done; a stale ETag is 412 (ResourceModifiedError).
            self._client().delete_entity(partition, row, etag=etag, match_condition=condition)

    def batch(self, partition: str, ops: Sequence[BatchOp]) -> None:
        """One ``submit_transaction`` (an entity-group transaction); nothing is sent for no operations."""
        from azure.data.tables import UpdateMode

        check_batch(ops)
        if not ops:
            return
        operations: list[Any] = [
            ("upsert", self._entity(partition, op.row, op.data), {"mode": UpdateMode.REPLACE})
            if op.kind == "upsert"
            else ("delete", {"PartitionKey": partition, "RowKey": op.row})
            for op in ops
        ]
        with self._call("batch", partition, f"({len(ops)} rows)"):
            self._client().submit_transaction(operations)
