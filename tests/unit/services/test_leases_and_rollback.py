"""Issue 7, items 1, 5 and 8: leases stay held while work runs, a request that lost its lease writes and undoes
nothing, a lease left by a crashed holder answers "retry after N s", and rollback reports exactly what it did."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from shared.api.http import ApiRequest, problem
from shared.api.problems import status_of
from shared.domain.errors import AutopilotError, DeadlineExceeded, LeaseLost, ProvisioningFailed, ResourceBusy
from shared.domain.requests import CacheRuleSpec, parse_cache_rule
from shared.services import deadline
from shared.services.locks import ProvisioningLocks, set_lock_key
from shared.services.rollback import Rollback
from shared.state.leases import TableLeaseStore
from shared.state.memory import MemoryTableStore
from tests.fakes.azure import FakeRegistries, FakeVaults
from tests.unit.services.conftest import World, make_world

REQUEST = ApiRequest(method="PUT", path="/api/x", route_params={}, headers={}, params={}, body=b"")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _locks(store: TableLeaseStore, clock: Clock) -> ProvisioningLocks:
    """Leases of 60 s on ``clock`` that never wait: a held one answers busy at once."""
    return ProvisioningLocks(store, ttl_seconds=60, wait_seconds=0, sleep=lambda s: None, clock=clock)


def _leased_world(clock: Clock) -> tuple[World, TableLeaseStore]:
    store = TableLeaseStore(MemoryTableStore(), now=clock)
    locks = _locks(store, clock)
    return make_world(locks=locks), store


def _spec(world: World, **extra: Any) -> CacheRuleSpec:
    world.azure.add_vault("demo-kv")
    user, password = world.azure.add_secret("demo-kv", "user"), world.azure.add_secret("demo-kv", "pass")
    body = {
        "sourceRepository": "docker.io/library/ubuntu",
        "targetRepository": "ubuntu",
        "credentials": {"usernameSecretUri": user, "passwordSecretUri": password},
        **extra,
    }
    return parse_cache_rule(body, name="ubuntu", rules=world.secret_rules)


def test_a_renewed_lease_outlives_its_ttl_and_keeps_others_out() -> None:
    clock = Clock()
    store = TableLeaseStore(MemoryTableStore(), now=clock)
    locks = _locks(store, clock)

    with locks.hold("reg/cacheRules/ubuntu") as lease:
        assert lease is not None
        clock.now += 50
        assert lease.renew()
        clock.now += 50  # 100 s after taking it: without the renewal it would have run out

        assert not store.try_acquire("reg/cacheRules/ubuntu", "other", 60)
        locks.fence("writing")  # still ours

    assert store.try_acquire("reg/cacheRules/ubuntu", "other", 60), "released on exit"


class CountingStore(TableLeaseStore):
    renewals = 0

    def renew(self, key: str, owner: str, ttl_seconds: float) -> bool:
        self.renewals += 1
        return super().renew(key, owner, ttl_seconds)


def test_a_fence_in_the_first_third_of_a_lease_costs_no_write_and_later_ones_renew() -> None:
    """No one may take a lease over before it expires: a write right after taking it needs no round trip to
    prove it (a rotation of 100 sets paid one per set); one a third of a lifetime later renews, and fails if it
    was taken over meanwhile."""
    clock = Clock()
    store = CountingStore(MemoryTableStore(), now=clock)
    locks = _locks(store, clock)
    with locks.hold("reg/credentialSets/one") as lease:
        assert lease is not None
        clock.now += 19
        locks.fence("writing")
        assert store.renewals == 0
        clock.now += 2  # 21 s: past a third of 60
        locks.fence("writing")
        assert store.renewals == 1
        clock.now += 19  # fresh again from that renewal
        locks.fence("writing")
        assert store.renewals == 1
        clock.now += 61  # paused past its expiry: another instance takes it over
        assert store.try_acquire("reg/credentialSets/one", "other", 60)
        with pytest.raises(LeaseLost):
            locks.fence("writing")


def test_a_request_whose_lease_was_taken_over_stops_and_undoes_nothing_the_other_stands_on() -> None:
    clock = Clock()
    world, store = _leased_world(clock)
    spec = _spec(world)
    registry = world.azure.registries["demoregistry"]

    def paused_past_expiry(operation: str) -> None:
        if operation == "create_credential_set":  # instance A stalls in this LRO; B takes over the rule
            clock.now += 61
            assert store.try_acquire(f"{registry.id}/cacheRules/ubuntu", "instance-b", 60)

    world.azure.before_write = paused_past_expiry

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    failure = caught.value
    assert isinstance(failure.cause, LeaseLost)
    assert status_of(failure) == 409
    assert failure.extensions["rolledBack"] == []
    (left,) = failure.extensions["cleanup"]
    assert left["resource"].startswith("credentialSet:") and "taken over" in left["reason"]
    assert len(world.azure.sets) == 1, "the set B may now stand on is not deleted"
    assert world.azure.writes == [f"create credentialSet {spec.credentials.credential_set_name}"]  # type: ignore[union-attr]


def test_a_lease_left_by_a_crashed_holder_answers_busy_with_when_to_retry() -> None:
    clock = Clock()
    world, store = _leased_world(clock)
    spec = _spec(world)
    registry = world.azure.registries["demoregistry"]
    assert store.try_acquire(f"{registry.id}/cacheRules/ubuntu", "crashed", 60)
    clock.now += 20  # the crashed holder's lease has 40 s left

    with pytest.raises(ResourceBusy) as caught:
        world.rules.put("demoregistry", spec)

    assert caught.value.detail == "another request holds this rule ('ubuntu'); retry after 40 s"
    response = problem(caught.value, REQUEST)
    assert response.status == 409 and response.headers["Retry-After"] == "40"
    assert world.azure.writes == []

    clock.now += 41  # run out: the next request goes ahead
    assert world.rules.put("demoregistry", spec).created


def test_the_lease_wait_ends_at_the_request_deadline() -> None:
    clock = Clock()
    store = TableLeaseStore(MemoryTableStore(), now=clock)

    def sleep(seconds: float) -> None:
        clock.now += seconds

    locks = ProvisioningLocks(store, ttl_seconds=60, wait_seconds=30, sleep=sleep, clock=clock)
    assert store.try_acquire("reg/cacheRules/x", "other", 60)
    started = clock.now
    with deadline.within(2.0, clock=clock), pytest.raises(ResourceBusy), locks.hold("reg/cacheRules/x"):
        pass

    assert clock.now - started == pytest.approx(2.0), "30 s of lease wait cut to the 2 s the deadline leaves"


def test_a_deadline_passed_midway_is_a_504_with_the_rollback_report() -> None:
    clock = Clock()
    world, _ = _leased_world(clock)
    spec = _spec(world)
    world.azure.before_write = lambda op: setattr(clock, "now", clock.now + 100)  # Azure stalls

    with deadline.within(50.0, clock=clock), pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    assert isinstance(caught.value.cause, DeadlineExceeded)
    assert status_of(caught.value) == 504
    assert [r.split(":")[0] for r in caught.value.extensions["rolledBack"]] == ["credentialSet"]
    assert world.azure.sets == {} and world.azure.rules == {}


def test_a_rollback_with_nothing_written_says_so_and_the_log_names_rule_and_principal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rollback = Rollback(step="credentialSet", context={"cacheRule": "ubuntu", "principalId": "p-1"})
    with caplog.at_level(logging.WARNING):
        failure = rollback.fail(AutopilotError("Azure answered 500"))

    assert "nothing had been written" in failure.detail and "rolled back" not in failure.detail
    (record,) = [r for r in caplog.records if r.getMessage().startswith("ProvisioningRolledBack")]
    assert record.__dict__["cacheRule"] == "ubuntu" and record.__dict__["principalId"] == "p-1"


def test_steps_left_behind_are_listed_with_what_to_do(world: World) -> None:
    spec = _spec(world)
    world.azure.fail("create_cache_rule")
    world.azure.fail("remove_secret_get_policy")

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    extensions = caught.value.extensions
    assert extensions["notRolledBack"] == ["accessPolicy:demo-kv"]
    (left,) = extensions["cleanup"]
    assert "remove the access policy" in left["action"] and left["id"].endswith("/vaults/demo-kv")
    assert "left for an operator" in caught.value.detail
    assert any(r.startswith("credentialSet:") for r in extensions["rolledBack"])


def test_the_next_request_finishes_what_a_crashed_one_left(world: World) -> None:
    spec = _spec(world)
    assert spec.credentials is not None
    registry = world.azure.registries["demoregistry"]
    # The crashed request had made the app's own set and its grant, and died before the rule.
    left = FakeRegistries(world.azure).create_credential_set(
        registry,
        spec.credentials.credential_set_name,
        login_server="docker.io",
        username_uri=spec.credentials.username.uri,
        password_uri=spec.credentials.password.uri,
    )
    FakeVaults(world.azure).add_secret_get_policy(
        world.azure.vaults["demo-kv"], tenant_id="t", object_id=left.principal_id or ""
    )
    world.azure.writes.clear()

    state = world.rules.put("demoregistry", spec).value

    assert world.azure.writes == ["create cacheRule ubuntu"], "the set and grant are reused, nothing doubled"
    assert state.credential_set is not None and state.credential_set.principal_id == left.principal_id


def test_a_create_that_reuses_a_set_does_not_wait_for_the_sets_lease() -> None:
    """Issue 13: creates sharing one healthy set ran one at a time, each holding the set's lease to change nothing."""
    clock = Clock()
    world, store = _leased_world(clock)
    world.rules.put("demoregistry", _spec(world))
    registry = world.azure.registries["demoregistry"]
    (shared,) = world.lookup.registries.list_credential_sets(registry)
    assert store.try_acquire(set_lock_key(registry.id, shared.name), "another create", 60)
    second = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/nginx",
            "targetRepository": "nginx",
            "credentials": {
                "usernameSecretUri": shared.username_secret_uri,
                "passwordSecretUri": shared.password_secret_uri,
            },
        },
        name="nginx",
        rules=world.secret_rules,
    )

    assert world.rules.put("demoregistry", second).created
    assert [s.name for s in world.lookup.registries.list_credential_sets(registry)] == [shared.name]


def test_a_waiting_request_retries_the_lease_at_least_every_200_ms() -> None:
    clock = Clock()
    store = TableLeaseStore(MemoryTableStore(), now=clock)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    locks = ProvisioningLocks(store, ttl_seconds=60, wait_seconds=5, sleep=sleep, clock=clock)
    assert store.try_acquire("reg/cacheRules/x", "other", 60)
    with pytest.raises(ResourceBusy), locks.hold("reg/cacheRules/x"):
        pass

    assert slept[:3] == [0.05, 0.1, 0.2]
    assert max(slept) == 0.2
