"""The in-memory TableStore keeps Table storage's conditional semantics, and leases built on the port work."""

from __future__ import annotations

import pytest

from shared.state.leases import TableLeaseStore
from shared.state.memory import MemoryTableStore
from shared.state.tables import MAX_BATCH, BatchOp, RowChanged, RowExists, RowNotFound, TableStore


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


def check_batch_semantics(store: TableStore) -> None:
    """One entity-group transaction: all or nothing, one partition, the service's limits. Shared with the Azurite
    test of the Azure adapter so both adapters are held to the same rules."""
    store.insert("p", "keep", {"a": 0})
    store.insert("p", "old", {"a": 0})
    store.batch("p", [BatchOp(kind="upsert", row="new", data={"a": 1}), BatchOp(kind="delete", row="old")])
    assert {r.row: r.data["a"] for r in store.query("p")} == {"keep": 0, "new": 1}

    with pytest.raises(RowNotFound):  # deleting an absent row refuses the whole batch
        store.batch(
            "p", [BatchOp(kind="upsert", row="keep", data={"a": 9}), BatchOp(kind="delete", row="gone")]
        )
    assert {r.row: r.data["a"] for r in store.query("p")} == {"keep": 0, "new": 1}

    with pytest.raises(ValueError, match="at most 100"):
        store.batch("p", [BatchOp(kind="upsert", row=f"r{i}", data={}) for i in range(MAX_BATCH + 1)])
    with pytest.raises(ValueError, match="at most once"):
        store.batch("p", [BatchOp(kind="upsert", row="x", data={}), BatchOp(kind="delete", row="x")])
    store.batch("p", [BatchOp(kind="upsert", row=f"r{i:03d}", data={"i": i}) for i in range(MAX_BATCH)])
    assert len(store.query("p")) == 2 + MAX_BATCH
    store.batch("p", [])  # nothing to do
    assert store.get("q", "new") is None  # the partition named is the only one written


def test_a_batch_is_all_or_nothing_within_the_service_limits() -> None:
    check_batch_semantics(MemoryTableStore())
