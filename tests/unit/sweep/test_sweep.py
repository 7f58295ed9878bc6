"""The sweep on fakes: each failure kind flagged once with its reason, flags only on change, failures isolated,
cost independent of the number of rules, fan-out equal to in-process, pacing inside ARM's budget, AUTO_HEAL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pytest

from shared.azure.metering import RequestMeter
from shared.domain.errors import AutopilotError, SweepNotFound, UpstreamServiceError, ValidationFailed
from shared.domain.flags import Flag, FlagType
from shared.domain.health import Status
from shared.domain.models import CredentialHealth, Registry
from shared.domain.sweeps import SweepStatus
from shared.services.sweep import decode_message, encode_message
from shared.services.sweep_scope import SweepScope
from shared.state.health import TableHealthStore
from shared.state.memory import MemoryTableStore
from shared.state.tables import BatchOp
from tests.fakes.azure import FakeAzure
from tests.unit.sweep.world import Counted, World

SUB2 = "00000000-0000-0000-0000-000000000002"
DAY = 86400.0
EXPECTED = {
    "ok-a": None,
    "ok-b": None,
    "rbac-ok": None,
    "anon": None,
    "missing": "SecretMissing",
    "disabled": "SecretDisabled",
    "expired": "SecretExpired",
    "expiring": "SecretExpiring",
    "noaccess": "AccessMissing",
    "dangling": "CredentialSetMissing",
    "failedrule": "ProvisioningFailed",
    "upstream": "CredentialUnhealthy",
}


def fleet(world: World) -> dict[str, Registry]:
    """One registry per situation over two subscriptions, an access-policy vault and an RBAC vault."""
    azure = world.azure
    azure.add_vault("vaultpol")
    azure.add_vault("vaultrbac", rbac=True)
    regs = {
        name: azure.add_registry(name, subscription_id=SUB2 if i % 2 else azure_sub(azure))
        for i, name in enumerate(
            [
                "regok",
                "regrbac",
                "regmissing",
                "regdisabled",
                "regexpired",
                "regexpiring",
                "regaccess",
                "regdangling",
                "regfailed",
                "regupstream",
                "reganon",
                "regempty",
            ]
        )
    }
    ok = world.credential_set(regs["regok"], "creds", "vaultpol")
    world.rule(regs["regok"], "ok-a", ok)
    world.rule(regs["regok"], "ok-b", ok)
    world.rule(regs["regrbac"], "rbac-ok", world.credential_set(regs["regrbac"], "creds", "vaultrbac"))
    world.rule(regs["regmissing"], "missing", world.credential_set(regs["regmissing"], "creds", "vaultpol"))
    azure.secrets.pop(("vaultpol", "regmissing-password"))
    world.rule(
        regs["regdisabled"], "disabled", world.credential_set(regs["regdisabled"], "creds", "vaultpol")
    )
    azure.add_secret("vaultpol", "regdisabled-user", enabled=False)
    world.rule(regs["regexpired"], "expired", world.credential_set(regs["regexpired"], "creds", "vaultrbac"))
    azure.add_secret("vaultrbac", "regexpired-user", expires_on=world.now - 60)
    world.rule(
        regs["regexpiring"], "expiring", world.credential_set(regs["regexpiring"], "creds", "vaultpol")
    )
    azure.add_secret("vaultpol", "regexpiring-password", expires_on=world.now + 5 * DAY)
    world.rule(
        regs["regaccess"],
        "noaccess",
        world.credential_set(regs["regaccess"], "creds", "vaultpol", grant=False),
    )
    gone = world.credential_set(regs["regdangling"], "gone", "vaultpol")
    world.rule(regs["regdangling"], "dangling", gone)
    world.registries.delete_credential_set(regs["regdangling"], "gone")
    azure.rule_state = "Failed"
    world.rule(regs["regfailed"], "failedrule", None)
    azure.rule_state = "Succeeded"
    upstream = world.credential_set(regs["regupstream"], "creds", "vaultrbac")
    world.rule(regs["regupstream"], "upstream", upstream)
    world.registries.forced[upstream.id] = CredentialHealth(
        status="Unhealthy", error_code="UpstreamAuthenticationFailed", error_message="login refused"
    )
    world.registries.create_cache_rule(
        regs["reganon"],
        "anon",
        source="mcr.microsoft.com/dotnet/runtime",
        target="anon",
        credential_set_id=None,
    )
    return regs


def azure_sub(azure: FakeAzure) -> str:
    from tests.fakes.azure import SUB

    return SUB


def test_each_failing_rule_is_flagged_once_with_its_reason() -> None:
    world = World()
    fleet(world)
    result = world.service().start(trigger="timer")
    assert result.status is SweepStatus.COMPLETED
    assert (result.registries, result.rules, result.failures) == (12, 12, ())
    assert world.reasons() == EXPECTED
    unhealthy = {f.data["cacheRule"]: f.data["reason"] for f in world.publisher.of(FlagType.RULE_UNHEALTHY)}
    assert unhealthy == {k: v for k, v in EXPECTED.items() if v and v != "SecretExpiring"}
    expiring = world.publisher.of(FlagType.SECRET_EXPIRING)
    assert sorted(f.data["secretUri"] for f in expiring) == [  # once per version, expired ones included
        "https://vaultpol.vault.azure.net/secrets/regexpiring-password",
        "https://vaultrbac.vault.azure.net/secrets/regexpired-user",
    ]
    assert result.unhealthy == 7
    assert result.flags_raised == 9 and result.flags_cleared == 0


def test_a_second_sweep_raises_nothing_and_a_fix_raises_recovered() -> None:
    world = World()
    regs = fleet(world)
    service = world.service()
    service.start(trigger="timer")
    before = len(world.publisher.flags)
    again = service.start(trigger="timer")
    assert len(world.publisher.flags) == before
    assert (again.flags_raised, again.flags_cleared) == (0, 0)
    # fix the missing grant
    noaccess = world.registries.get_credential_set(regs["regaccess"], "creds")
    assert noaccess is not None
    from shared.services.rollback import Rollback

    world.access.ensure(noaccess, Rollback())
    fixed = service.start(trigger="timer")
    recovered = world.publisher.of(FlagType.RULE_RECOVERED)
    assert [f.data["cacheRule"] for f in recovered] == ["noaccess"]
    assert recovered[0].data["reason"] == "AccessMissing"
    assert (fixed.flags_raised, fixed.flags_cleared) == (0, 1)
    assert world.reasons()["noaccess"] is None


def test_one_registrys_failure_is_reported_and_the_others_complete() -> None:
    world = World()
    fleet(world)

    class Broken(type(world.registries)):  # type: ignore[misc]
        def list_cache_rules(self, registry: Registry):  # type: ignore[no-untyped-def]
            if registry.name == "regok":
                raise AutopilotError("list cache rules of regok: Azure answered 500")
            return super().list_cache_rules(registry)

    world.registries.__class__ = Broken
    result = world.service().start(trigger="timer")
    assert result.status is SweepStatus.COMPLETED
    assert [(f.registry, f.error) for f in result.failures] == [
        ("regok", "list cache rules of regok: Azure answered 500")
    ]
    assert result.rules == 10
    assert set(world.reasons()) == set(EXPECTED) - {"ok-a", "ok-b"}


def _cost(rules: int) -> int:
    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("big")
    creds = world.credential_set(registry, "creds", "vaultpol")
    for i in range(rules):
        world.rule(registry, f"r{i:04d}", creds)
    world.calls.clear()
    result = world.service().start(trigger="timer")
    assert result.rules == rules
    return sum(world.calls.values())


def test_a_registry_with_1000_rules_costs_what_one_with_10_costs() -> None:
    assert _cost(1000) == _cost(10) == 6  # list registries, sets, rules; the vault; its two secrets


def test_reads_are_shared_across_registries_within_a_sweep_not_across_sweeps() -> None:
    world = World()
    world.azure.add_vault("vaultpol")
    for i in range(4):
        registry = world.azure.add_registry(f"reg{i}")
        world.rule(
            registry,
            "ubuntu",
            world.credential_set(registry, "creds", "vaultpol", prefix="shared") if i == 0 else None,
        )
    world.calls.clear()
    service = world.service()
    service.start(trigger="timer")
    assert world.calls["find_vault"] == 1 and world.calls["secret_versions"] == 2
    service.start(trigger="timer")
    assert world.calls["find_vault"] == 2 and world.calls["secret_versions"] == 4


def test_a_fanned_out_sweeps_messages_share_its_reads_in_a_worker_not_across_sweeps() -> None:
    world = World()
    world.azure.add_vault("vaultpol")
    for i in range(4):
        registry = world.azure.add_registry(f"reg{i}")
        world.rule(registry, "ubuntu", world.credential_set(registry, "creds", "vaultpol", prefix="shared"))
    world.calls.clear()
    service = world.service(fanout_threshold=0)
    for expected_vault_reads in (1, 2):
        world.queue.messages.clear()
        service.start(trigger="timer")
        for message in world.queue.messages:
            service.check_message(message)
        assert world.calls["find_vault"] == expected_vault_reads  # one vault: once per sweep, not per message
        assert world.calls["secret_versions"] == 8 * expected_vault_reads  # each of the 8 secrets once


def test_fan_out_enqueues_each_registry_and_gives_the_in_process_result() -> None:
    in_process = World()
    fleet(in_process)
    expected = in_process.service().start(trigger="timer")

    fanned = World()
    fleet(fanned)
    service = fanned.service(fanout_threshold=5)
    started = service.start(trigger="http")
    assert started.status is SweepStatus.RUNNING and started.checked == 0
    assert len(fanned.queue.messages) == 12
    results = [service.check_message(m) for m in fanned.queue.messages]
    assert [r.status for r in results].count(SweepStatus.COMPLETED) == 1 and results[-1].checked == 12
    done = service.result(started.sweep_id)
    fields = ("registries", "rules", "unhealthy", "flags_raised", "flags_cleared", "failures")
    assert {f: getattr(done, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert fanned.reasons() == in_process.reasons()


def test_a_redelivered_message_does_not_count_twice() -> None:
    world = World()
    fleet(world)
    service = world.service(fanout_threshold=0)
    started = service.start(trigger="timer")
    for message in world.queue.messages + world.queue.messages[:3]:
        service.check_message(message)
    assert service.result(started.sweep_id).rules == 12


def test_messages_round_trip_and_garbage_is_refused() -> None:
    registry = FakeAzure().add_registry("reg1")
    assert decode_message(encode_message("20260101000000-0123456789ab", registry)) == (
        "20260101000000-0123456789ab",
        registry,
    )
    for bad in ("{}", "[]", json.dumps({"sweepId": "x/../y", "registry": {}}), "not json"):
        with pytest.raises(ValueError):
            decode_message(bad)


def test_unknown_and_malformed_sweep_ids() -> None:
    service = World().service()
    with pytest.raises(SweepNotFound):
        service.result("20260101000000-0123456789ab")
    with pytest.raises(ValidationFailed):
        service.result("../etc")
    assert service.latest() is None


def test_scope_narrows_by_resource_group_and_registry() -> None:
    world = World()
    world.azure.add_registry("alpha1", resource_group="team-a")
    world.azure.add_registry("beta1", resource_group="team-b")
    world.azure.add_registry("beta2", resource_group="team-b")
    names = lambda scope: [r.name for r in scope.registries_in(world.registries)]  # noqa: E731
    assert names(SweepScope()) == ["alpha1", "beta1", "beta2"]
    assert names(SweepScope(resource_groups=frozenset({"team-b"}))) == ["beta1", "beta2"]
    assert names(
        SweepScope(resource_groups=frozenset({"team-b"}), registries=frozenset({"beta2", "alpha1"}))
    ) == ["beta2"]


def test_pacing_waits_out_retry_after_and_pauses_when_reads_run_low() -> None:
    world = World()
    service = world.service(read_reserve=100)
    meter = RequestMeter(clock=lambda: 1000.0)
    service.pace("sub", meter)
    meter.observed("SUB", remaining_reads=500, retry_after=None)
    service.pace("sub", meter)
    assert world.sleeps == []
    meter.observed("sub", remaining_reads=20, retry_after=None)
    service.pace("sub", meter)
    assert world.sleeps == [1.0]
    meter.observed("sub", remaining_reads=None, retry_after=7)
    service.pace("sub", meter)
    assert world.sleeps == [1.0, 7.0]


def test_auto_heal_restores_a_missing_grant_and_deletes_nothing() -> None:
    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("reg1")
    world.rule(registry, "ubuntu", world.credential_set(registry, "creds", "vaultpol", grant=False))
    world.azure.writes.clear()
    first = world.service(auto_heal=True).start(trigger="timer")
    assert [h.split()[0] for h in first.healed] == ["grant"]
    assert world.azure.writes == ["add accessPolicy vaultpol"]
    world.service(auto_heal=True).start(trigger="timer")
    assert [f.type for f in world.publisher.flags] == [FlagType.RULE_UNHEALTHY, FlagType.RULE_RECOVERED]


def test_without_auto_heal_nothing_is_written() -> None:
    world = World()
    fleet(world)
    world.azure.writes.clear()
    world.service().start(trigger="timer")
    assert world.azure.writes == []


def test_health_rows_filter_by_status_and_registry() -> None:
    world = World()
    fleet(world)
    world.service().start(trigger="timer")
    assert {r.name for r in world.health.rows(status=Status.WARNING)} == {"expiring"}
    assert {r.name for r in world.health.rows(registry="REGOK")} == {"ok-a", "ok-b"}


def test_auto_heal_reapplies_a_pinned_set_at_a_newer_version_never_an_older_one() -> None:
    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("reg1")
    creds = world.credential_set(registry, "creds", "vaultpol")
    pinned = {
        uri: f"{uri}/{world.azure.secrets[('vaultpol', uri.rsplit('/', 1)[-1])][0].version}"
        for uri in (creds.username_secret_uri, creds.password_secret_uri)
    }
    world.registries.update_credential_set(
        registry,
        "creds",
        username_uri=pinned[creds.username_secret_uri],
        password_uri=pinned[creds.password_secret_uri],
    )
    world.rule(registry, "ubuntu", creds)
    world.service(auto_heal=True).start(trigger="timer")
    assert world.azure.writes[-1] != "update credentialSet creds"  # nothing newer yet
    world.azure.add_secret("vaultpol", "reg1-password")
    newest = world.azure.secrets[("vaultpol", "reg1-password")][0].version
    healed = world.service(auto_heal=True).start(trigger="timer")
    current = world.registries.get_credential_set(registry, "creds")
    assert current is not None and current.password_secret_uri.endswith("/" + newest)
    assert current.username_secret_uri == pinned[creds.username_secret_uri]
    assert healed.healed == (f"reapply {creds.id}",)
    world.azure.secrets[("vaultpol", "reg1-password")].insert(
        0, replace(world.azure.secrets[("vaultpol", "reg1-password")][-1], version="f" * 32)
    )  # an "older" version listed first must not be taken
    world.azure.writes.clear()
    world.service(auto_heal=True).start(trigger="timer")
    assert world.azure.writes == []


def test_a_registrys_verdicts_are_read_in_one_query_and_written_in_batches_not_one_call_per_rule() -> None:
    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("reg1")
    creds = world.credential_set(registry, "creds", "vaultpol")
    for i in range(150):
        world.rule(registry, f"r{i:03d}", creds)
    table_calls: Counter[str] = Counter()
    world.health = TableHealthStore(Counted(world.health_table, table_calls))
    world.service().start(trigger="timer")
    # One query for the stored rows, one read of the registry's counts; 150 new rows in 2 transactions (at most
    # 100 each); the counts once.
    assert (table_calls["query"], table_calls["get"]) == (1, 1)
    assert (table_calls["batch"], table_calls["upsert"], table_calls["insert"]) == (2, 1, 0)
    assert len(world.health.rows()) == 150
    table_calls.clear()
    world.service().start(trigger="timer")  # nothing changed: nothing written
    assert (table_calls["batch"], table_calls["upsert"], table_calls["delete"]) == (0, 0, 0)


def test_a_deleted_rules_verdict_leaves_the_health_rows() -> None:
    world = World()
    regs = fleet(world)
    world.service().start(trigger="timer")
    world.registries.delete_cache_rule(regs["regok"], "ok-b")
    world.service().start(trigger="timer")
    assert "ok-b" not in world.reasons() and "ok-a" in world.reasons()


def test_the_sweep_rewrites_a_registrys_share_of_the_secret_index() -> None:
    from shared.services.sweep_index import IndexRefresh
    from shared.state.secret_index import SecretIndex

    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("reg1")
    creds = world.credential_set(registry, "creds", "vaultpol")
    index = SecretIndex(MemoryTableStore(), dns_suffix=".vault.azure.net")
    index.put(registry, replace(creds, name="gone", id=creds.id.replace("creds", "gone")))
    refresh = IndexRefresh(index=index)
    refresh.replace_registry(registry, world.registries.list_credential_sets(registry))
    assert [s.name for s in index.registry_sets(registry.id)] == ["creds"]
    assert [u.set_name for u in index.uses_of("vaultpol", "reg1-password")] == ["creds"]


def test_auto_heal_grants_nobody_when_the_set_was_recreated_after_the_sweep_read_it() -> None:
    from shared.services.locks import ProvisioningLocks
    from shared.services.sweep_facts import SweepFacts
    from shared.services.sweep_heal import SweepHealer
    from tests.unit.sweep.world import DNS

    world = World()
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry("reg1")
    stale = world.credential_set(registry, "creds", "vaultpol", grant=False)
    facts = SweepFacts(vaults=world.vaults, access=world.access, dns_suffix=DNS)
    assert facts.vaults_without_grant(stale)
    # Recreated meanwhile: a new identity, which its own write event grants; the old one must get nothing.
    world.registries.delete_credential_set(registry, "creds")
    fresh = world.credential_set(registry, "creds", "vaultpol", grant=False)
    assert fresh.principal_id != stale.principal_id
    world.azure.writes.clear()
    healer = SweepHealer(
        access=world.access,
        credential_sets=world.credential_set_writes(),
        locks=ProvisioningLocks(None),
        dns_suffix=DNS,
    )
    assert healer.heal(registry, [stale], facts) == []
    assert world.azure.writes == []


class FailingBatches(MemoryTableStore):
    """Table storage refusing every batch (``fail`` set): the rows of a registry cannot be stored."""

    fail = True

    def batch(self, partition: str, ops: Sequence[BatchOp]) -> None:
        if self.fail:
            raise UpstreamServiceError("batch health: Table storage answered 503")
        super().batch(partition, ops)


def test_flags_go_out_before_the_batched_rows_so_a_lost_write_resends_the_same_flag() -> None:
    table = FailingBatches()
    world = World(health_table=table)
    regs = fleet(world)
    first = world.service().start(trigger="timer")
    sent = {f.id for f in world.publisher.of(FlagType.RULE_UNHEALTHY)}
    assert len(sent) == 7 and world.health.rows() == []
    assert {f.registry for f in first.failures} >= {regs["regmissing"].name, regs["regok"].name}
    table.fail = False
    world.service().start(trigger="timer")
    again = [f.id for f in world.publisher.of(FlagType.RULE_UNHEALTHY)][7:]
    assert set(again) == sent  # the same CloudEvent ids: subscribers drop the repeats
    world.service().start(trigger="timer")
    assert len(world.publisher.of(FlagType.RULE_UNHEALTHY)) == 14  # remembered now: nothing new


def _ungranted_registry(world: World, name: str, failing: int, healthy: int = 0) -> Registry:
    """A registry whose first ``failing`` rules use a set without access (AccessMissing), the rest a granted one."""
    world.azure.add_vault("vaultpol")
    registry = world.azure.add_registry(name)
    blocked = world.credential_set(registry, "blocked", "vaultpol", grant=False, prefix="b-")
    granted = world.credential_set(registry, "granted", "vaultpol", prefix="g-")
    for i in range(failing):
        world.rule(registry, f"bad{i:03d}", blocked)
    for i in range(healthy):
        world.rule(registry, f"good{i:03d}", granted)
    return registry


def test_a_registrys_failing_rules_go_out_in_one_publish_call() -> None:
    world = World()
    _ungranted_registry(world, "reg1", failing=40)
    _ungranted_registry(world, "reg2", failing=3)
    result = world.service().start(trigger="timer")
    assert result.flags_raised == 43
    assert sorted(world.publisher.calls) == [3, 40]  # one call per registry, not one per rule


def test_a_refused_publish_records_none_of_its_verdicts_and_the_next_sweep_sends_each_once() -> None:
    world = World()
    _ungranted_registry(world, "reg1", failing=5, healthy=3)
    world.publisher.refuse = lambda _: UpstreamServiceError("publish flags to the health topic: 503")
    first = world.service().start(trigger="timer")
    assert [(f.registry, f.error) for f in first.failures] == [
        ("reg1", "publish flags to the health topic: 503")
    ]
    # The healthy verdicts (no flag) are stored; the failing ones are not, so they are still news.
    assert sorted(world.reasons()) == ["good000", "good001", "good002"]
    world.publisher.refuse = lambda _: None
    second = world.service().start(trigger="timer")
    assert (second.failures, second.flags_raised, world.publisher.calls) == ((), 5, [5])
    assert world.health.summaries()[0].unhealthy == 5
    third = world.service().start(trigger="timer")
    assert (third.flags_raised, len(world.publisher.flags)) == (0, 5)  # each change flagged exactly once
    assert {f.data["cacheRule"] for f in world.publisher.flags} == {f"bad{i:03d}" for i in range(5)}


def test_flags_sent_before_a_publish_failed_part_way_are_remembered_and_not_sent_again() -> None:
    from shared.services.flagging import FlagsPartlySent

    world = World()
    _ungranted_registry(world, "reg1", failing=5)

    def first_two_only(flags: Sequence[Flag]) -> Exception | None:
        world.publisher.flags.extend(flags[:2])  # the first request went out, the second was refused
        return FlagsPartlySent(flags[:2], UpstreamServiceError("publish flags to the health topic: 503"))

    world.publisher.refuse = first_two_only
    first = world.service().start(trigger="timer")
    assert len(first.failures) == 1 and len(world.reasons()) == 2
    world.publisher.refuse = lambda _: None
    world.service().start(trigger="timer")
    assert world.publisher.calls == [3]  # only the three that did not go out
    names = [f.data["cacheRule"] for f in world.publisher.flags]
    assert sorted(names) == [f"bad{i:03d}" for i in range(5)]  # each once
    world.service().start(trigger="timer")
    assert len(world.publisher.flags) == 5
