"""Idempotency records (claim, complete, release, takeover by ETag), the audit log and its query parsing."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.models import CredentialSet, Registry
from shared.domain.requests import parse_audit_query
from shared.services.audit import AuditedVaults, Auditor, caused_by
from shared.state.audit import AuditEntry, AuditLog
from shared.state.idempotency import AlreadyInProgress, Claim, TableIdempotencyStore, run_once
from shared.state.memory import MemoryTableStore
from shared.state.secret_index import SecretIndex
from tests.fakes.azure import DNS, FakeAzure, FakeVaults


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_completed_key_is_skipped_and_a_live_claim_refuses_a_second_worker() -> None:
    clock = Clock()
    store = TableIdempotencyStore(MemoryTableStore(), in_progress_seconds=60, keep_seconds=600, now=clock)
    claim = store.claim("k")
    with pytest.raises(AlreadyInProgress):
        store.claim("k")
    store.complete(claim)
    assert store.claim("k").done
    clock.now += 601
    assert not store.claim("k").done  # the completed record expired: the key may run again


def test_an_expired_claim_is_taken_over_and_the_old_owner_cannot_release_it() -> None:
    clock = Clock()
    store = TableIdempotencyStore(MemoryTableStore(), in_progress_seconds=60, now=clock)
    stale = store.claim("k")
    clock.now += 61
    fresh = store.claim("k")
    store.release(stale)  # ETag changed: the takeover stands
    with pytest.raises(AlreadyInProgress):
        store.claim("k")
    store.complete(fresh)
    assert store.claim("k").done


def test_run_once_releases_the_key_when_the_work_fails() -> None:
    store = TableIdempotencyStore(MemoryTableStore())

    def fail() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_once(store, "k", fail)
    assert run_once(store, "k", lambda: None) is True
    assert run_once(store, "k", lambda: None) is False


def test_audit_records_the_cause_and_identifiers_but_no_value() -> None:
    azure = FakeAzure()
    vault = azure.add_vault("creds-kv")
    audit = AuditLog(MemoryTableStore(), now=lambda: 2000.0)
    vaults = AuditedVaults(FakeVaults(azure), Auditor(audit, clock=lambda: 1500.0))
    with caused_by(
        {"kind": "event", "eventId": "e1", "eventType": "Microsoft.KeyVault.VaultAccessPolicyChanged"}
    ):
        vaults.add_secret_get_policy(vault, tenant_id="t", object_id="p1")
    (entry,) = audit.read(since=0)
    assert (entry.action, entry.resource, entry.cause["eventId"]) == ("accessPolicy.add", vault.id, "e1")
    assert entry.after == {"objectId": "p1", "tenantId": "t", "secrets": "get"}
    assert audit.read(since=0, resource="/subscriptions/other") == []
    assert audit.read(since=1600) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"resource": "reg1"}, "resource"),
    ],
)
def test_a_bad_audit_query_is_refused_naming_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_audit_query(params, now=0)
    assert [e.field for e in refused.value.errors] == [field]


def test_an_audit_query_reads_since_and_resource() -> None:
    query = parse_audit_query({"since": "1970-01-01T00:16:40Z", "resource": "/subscriptions/s"}, now=5000)
    assert (query.since, query.resource) == (1000.0, "/subscriptions/s")
    assert parse_audit_query({}, now=90000).since == 90000 - 86400


def test_the_index_follows_a_set_to_other_secrets_and_forgets_it() -> None:
    registry = Registry(
        id="/subscriptions/s/r/reg1", name="reg1", subscription_id="s", resource_group="rg", login_server="x"
    )
    index = SecretIndex(MemoryTableStore(), dns_suffix=DNS)
    kv = f"https://creds-kv{DNS}/secrets"
    cs = CredentialSet(
        id=registry.id + "/credentialSets/one",
        name="one",
        login_server="docker.io",
        username_secret_uri=f"{kv}/user",
        password_secret_uri=f"{KV}/pass/{'a' * 32}",
        principal_id="p1",
        tenant_id="t",
    )
    index.put(registry, cs)
    assert [(u.field, u.pinned_version) for u in index.uses_of("creds-kv", "pass")] == [
        ("password", "a" * 32)
    ]
    index.put(registry, replace(cs, password_secret_uri=f"{kv}/other"))
    assert index.uses_of("creds-kv", "pass") == []
    assert [u.pinned_version for u in index.uses_of("creds-kv", "other")] == [None]
    assert index.remove(registry.id, "one") is not None
    assert index.in_vault("creds-kv") == [] and index.get(registry.id, "one") is None


def test_a_running_claim_is_extended_so_a_long_job_keeps_its_key_and_a_dead_ones_expires() -> None:
    """A rotation of many sets outlives a short claim: the heartbeat keeps it, a second worker stays out; a worker
    that died (no heartbeat) loses the key once its claim runs out."""
    clock = Clock()
    store = TableIdempotencyStore(MemoryTableStore(), in_progress_seconds=0.3, keep_seconds=600, now=clock)
    extended = threading.Event()
    extend = store.extend

    def counted(claim: Claim) -> Claim | None:
        found = extend(claim)
        extended.set()
        return found

    store.extend = counted  # type: ignore[method-assign]
    refused: list[bool] = []

    def long_job() -> None:
        clock.now += 0.25
        extended.clear()
        assert extended.wait(5), "the claim is extended while the work runs"
        clock.now += 0.25  # past the first expiry, inside the extended one
        try:
            store.claim("rotate|kv|pass|v2")
        except AlreadyInProgress:
            refused.append(True)

    assert run_once(store, "rotate|kv|pass|v2", long_job)
    assert refused == [True]
    assert store.claim("rotate|kv|pass|v2").done

    dead = store.claim("expiry|kv|pass|v2")  # a worker that died right after claiming: nobody extends it
    clock.now += 0.31
    taken = store.claim("expiry|kv|pass|v2")
    assert not taken.done and taken.etag != dead.etag
    assert store.extend(dead) is None, "the dead worker's claim is no longer its own"


class CountingTable(MemoryTableStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.reads = 0

    def get(self, partition: str, row: str) -> Any:
        self.reads += 1
        return super().get(partition, row)

    def upsert(self, partition: str, row: str, data: Any) -> Any:
        self.writes += 1
        return super().upsert(partition, row, data)

    def delete(self, partition: str, row: str, *, etag: str | None = None) -> None:
        self.writes += 1
        super().delete(partition, row, etag=etag)


KV = f"https://creds-kv{DNS}/secrets"


def _indexed(password_uri: str) -> tuple[Registry, CountingTable, SecretIndex, CredentialSet]:
    """An empty index on a counting table, and a set of reg1 reading ``user`` and ``password_uri`` in creds-kv."""
    registry = Registry(
        id="/subscriptions/s/r/reg1", name="reg1", subscription_id="s", resource_group="rg", login_server="x"
    )
    table = CountingTable()
    cs = CredentialSet(
        id=registry.id + "/credentialSets/one",
        name="one",
        login_server="docker.io",
        username_secret_uri=f"{KV}/user",
        password_secret_uri=password_uri,
        principal_id="p1",
        tenant_id="t",
    )
    return registry, table, SecretIndex(table, dns_suffix=DNS), cs


def test_the_index_writes_only_what_changed_and_keeps_the_grant_of_the_same_identity() -> None:
    """A rotation and its Resources event put the same set again: that costs reads of the index, not writes."""
    registry, table, index, cs = _indexed(f"{KV}/pass/{'a' * 32}")

    index.put(registry, cs, granted=True)
    assert index.granted(registry.id, cs)
    table.writes = 0
    index.put(registry, cs)
    assert table.writes == 0
    index.put(registry, replace(cs, password_secret_uri=f"{KV}/pass/{'b' * 32}"))
    assert table.writes == 2  # the password's use row and the set row
    assert index.granted(registry.id, cs), "same identity, same vault: the grant still stands"
    index.put(registry, replace(cs, principal_id="p2"))
    assert not index.granted(registry.id, replace(cs, principal_id="p2"))


def test_refresh_if_granted_checks_and_writes_with_one_read() -> None:
    """The resource event of the app's own PATCH: is the grant recorded, and the index current? One read."""
    registry, table, index, cs = _indexed(f"{KV}/pass")

    assert not index.refresh_if_granted(registry, cs), "nothing indexed: nothing granted"
    index.put(registry, cs, granted=True)
    table.reads = table.writes = 0
    moved = replace(cs, password_secret_uri=f"{KV}/pass/{'b' * 32}")
    assert index.refresh_if_granted(registry, moved)
    assert (table.reads, table.writes) == (1, 2)  # the password's use row and the set row
    found = index.get(registry.id, "one")
    assert found is not None and found.password_secret_uri == moved.password_secret_uri
    assert index.granted(registry.id, moved), "the recorded grant is kept"
    table.writes = 0
    assert not index.refresh_if_granted(registry, replace(cs, principal_id="p2"))
    assert table.writes == 0, "another identity: nothing written, the caller grants first"


def test_a_busy_audit_log_answers_its_newest_entries_oldest_first() -> None:
    """Reading oldest-first up to the limit hid the change just made once a vault had 1,000 older entries."""
    clock = {"now": 10 * 86400.0}
    audit = AuditLog(MemoryTableStore(), now=lambda: clock["now"])
    vault = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv"
    for i in range(30):
        clock["now"] = 10 * 86400.0 + i * 3600  # over two days
        audit.append(
            AuditEntry(
                time=clock["now"], cause={"n": str(i)}, action="a", resource=vault, before=None, after=None
            )
        )
    latest = audit.read(since=0, resource=vault, limit=5)
    assert [e.cause["n"] for e in latest] == ["25", "26", "27", "28", "29"]
    assert len(audit.read(since=0, resource=vault)) == 30
