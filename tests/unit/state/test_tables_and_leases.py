"""The in-memory TableStore keeps Table storage's conditional semantics, and leases built on the port work."""

from __future__ import annotations

import pytest

from shared.state.leases import TableLeaseStore
from shared.state.memory import MemoryTableStore
from shared.state.tables import RowChanged, RowExists, RowNotFound


def test_insert_is_conditional_and_every_write_changes_the_etag() -> None:
    store = MemoryTableStore()
    first = store.insert("p", "r", {"a": 1})
    with pytest.raises(RowExists):
        store.insert("p", "r", {"a": 2})
    second = store.upsert("p", "r", {"a": 3})

    assert second.etag != first.etag
    assert store.get("p", "r") == second
    assert store.get("p", "missing") is None


def test_replace_and_delete_honour_the_etag() -> None:
    store = MemoryTableStore()
    row = store.insert("p", "r", {"a": 1})
    newer = store.replace("p", "r", {"a": 2}, etag=row.etag)

    with pytest.raises(RowChanged):
        store.replace("p", "r", {"a": 3}, etag=row.etag)
    with pytest.raises(RowChanged):
        store.delete("p", "r", etag=row.etag)
    with pytest.raises(RowNotFound):
        store.replace("p", "gone", {}, etag=row.etag)
    store.delete("p", "r", etag=newer.etag)
    store.delete("p", "r")  # absent: done

    assert store.get("p", "r") is None


def test_query_reads_one_partition_in_row_order() -> None:
    store = MemoryTableStore()
    for partition, row in [("a", "2"), ("b", "1"), ("a", "1")]:
        store.insert(partition, row, {})
    assert [r.row for r in store.query("a")] == ["1", "2"]


def test_a_lease_is_exclusive_until_released_or_expired() -> None:
    now = [0.0]
    leases = TableLeaseStore(MemoryTableStore(), now=lambda: now[0])

    assert leases.try_acquire("reg/cacheRules/x", "one", 10)
    assert not leases.try_acquire("reg/cacheRules/x", "two", 10)
    leases.release("reg/cacheRules/x", "two")  # not the owner: no effect
    assert not leases.try_acquire("reg/cacheRules/x", "two", 10)

    now[0] = 11.0
    assert leases.try_acquire("reg/cacheRules/x", "two", 10), "an expired lease is taken over"
    leases.release("reg/cacheRules/x", "two")
    assert leases.try_acquire("reg/cacheRules/x", "three", 10)
