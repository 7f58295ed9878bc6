"""The shared record-and-flag path: one flag per change, rows that remember it, a lost store write re-sends the same id."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shared.domain.flags import Flag, FlagType
from shared.domain.health import HEALTHY, Reason, Status, Verdict
from shared.services.flagging import HealthRecorder, HealthRow
from tests.fakes.models import docker_rule, registry

REG = registry()
RULE = docker_rule(REG, credential_set="creds")
ACCESS = Verdict(status=Status.UNHEALTHY, reason=Reason.ACCESS_MISSING, message="no get")
HOUR = 3600.0


class Store:
    def __init__(self) -> None:
        self.rows: dict[str, HealthRow] = {}
        self.warned: set[tuple[str, str]] = set()
        self.fail_puts = 0
        self.puts = 0

    def get(self, rule_id: str) -> HealthRow | None:
        return self.rows.get(rule_id)

    def put(self, row: HealthRow) -> None:
        if self.fail_puts:
            self.fail_puts -= 1
            raise OSError("table unavailable")
        self.puts += 1
        self.rows[row.rule_id] = row

    def secret_warned(self, secret_uri: str, version: str) -> bool:
        return (secret_uri, version) in self.warned

    def mark_secret_warned(self, secret_uri: str, version: str) -> None:
        self.warned.add((secret_uri, version))


class Publisher:
    def __init__(self) -> None:
        self.flags: list[Flag] = []
        self.calls = 0

    def publish(self, flags: Sequence[Flag]) -> None:
        self.calls += 1
        self.flags.extend(flags)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts() -> tuple[HealthRecorder, Store, Publisher, Clock]:
    store, publisher, clock = Store(), Publisher(), Clock()
    recorder = HealthRecorder(store=store, publisher=publisher, reminder_seconds=24 * HOUR, clock=clock)
    return recorder, store, publisher, clock


def test_a_new_failure_is_flagged_once_and_its_row_stored(
    parts: tuple[HealthRecorder, Store, Publisher, Clock],
) -> None:
    recorder, store, publisher, clock = parts
    flag = recorder.record(REG, RULE, ACCESS, cause="sweep-1")
    assert flag is not None and flag.type is FlagType.RULE_UNHEALTHY and flag.subject == RULE.id
    assert flag.data["reason"] == "AccessMissing" and flag.data["cause"] == "sweep-1"
    clock.now += HOUR
    assert recorder.record(REG, RULE, ACCESS, cause="sweep-2") is None
    assert [f.type for f in publisher.flags] == [FlagType.RULE_UNHEALTHY]
    row = store.rows[RULE.id]
    # The unchanged second verdict wrote nothing: the row is the first one.
    assert (row.record.status, row.record.since, row.checked_at) == (
        Status.UNHEALTHY,
        clock.now - HOUR,
        clock.now - HOUR,
    )
    assert store.puts == 1
    other = Verdict(status=Status.UNHEALTHY, reason=Reason.ACCESS_MISSING, message="no get on kv2")
    assert (
        recorder.record(REG, RULE, other, cause="sweep-3") is None
    )  # same reason: no flag, new message stored
    assert (store.puts, store.rows[RULE.id].message, store.rows[RULE.id].checked_at) == (
        2,
        "no get on kv2",
        clock.now,
    )
    assert (row.registry, row.name, row.subscription_id) == ("reg1", "ubuntu", "s1")


def test_recovery_is_flagged_with_the_reason_it_recovered_from(
    parts: tuple[HealthRecorder, Store, Publisher, Clock],
) -> None:
    recorder, _, publisher, _ = parts
    recorder.record(REG, RULE, ACCESS, cause="e1")
    recovered = recorder.record(REG, RULE, HEALTHY, cause="e2")
    assert recovered is not None and recovered.type is FlagType.RULE_RECOVERED
    assert recovered.data["reason"] == "AccessMissing" and recovered.data["status"] == "Healthy"
    assert recorder.record(REG, RULE, HEALTHY, cause="e3") is None
    assert len(publisher.flags) == 2


def test_a_store_failure_after_publishing_resends_the_same_flag_id(
    parts: tuple[HealthRecorder, Store, Publisher, Clock],
) -> None:
    recorder, store, publisher, clock = parts
    store.fail_puts = 1
    with pytest.raises(OSError):
        recorder.record(REG, RULE, ACCESS, cause="e1")
    clock.now += 900  # the next sweep: the id names the change, not when it was seen
    again = recorder.record(REG, RULE, ACCESS, cause="s2")
    assert again is not None
    assert [f.id for f in publisher.flags] == [again.id, again.id]
    clock.now += 25 * HOUR  # stored this time: the reminder that follows is another flag
    reminder = recorder.record(REG, RULE, ACCESS, cause="s3")
    assert reminder is not None and reminder.id != again.id
    store.fail_puts = 1
    clock.now += 25 * HOUR
    with pytest.raises(OSError):
        recorder.record(REG, RULE, ACCESS, cause="s4")
    clock.now += 900
    resent = recorder.record(REG, RULE, ACCESS, cause="s5")
    assert resent is not None and resent.id == publisher.flags[-2].id != reminder.id


def test_a_reminder_has_its_own_id(parts: tuple[HealthRecorder, Store, Publisher, Clock]) -> None:
    recorder, _, publisher, clock = parts
    first = recorder.record(REG, RULE, ACCESS, cause="s1")
    clock.now += 25 * HOUR
    reminder = recorder.record(REG, RULE, ACCESS, cause="s2")
    assert first is not None and reminder is not None and reminder.data["reminder"] is True
    assert reminder.id != first.id
    assert [f.id for f in publisher.flags] == [first.id, reminder.id]


def test_secret_expiring_is_warned_once_per_version(
    parts: tuple[HealthRecorder, Store, Publisher, Clock],
) -> None:
    recorder, _, publisher, clock = parts
    uri = "https://kv.vault.azure.net/secrets/user"
    expiring = Verdict(
        status=Status.WARNING,
        reason=Reason.SECRET_EXPIRING,
        message="soon",
        expires_on=clock.now + HOUR,
        secret_uri=uri,
    )
    first = recorder.warn_expiring("set-id", expiring, version="v1", rules=["r1"], cause="sweep")
    assert first is not None and first.type is FlagType.SECRET_EXPIRING
    assert first.data["expiresOn"] == clock.now + HOUR and first.data["cacheRules"] == ["r1"]
    assert recorder.warn_expiring("set-id", expiring, version="v1", rules=["r1"], cause="event") is None
    assert recorder.warn_expiring("set-id", expiring, version="v2", rules=["r1"], cause="event") is not None
    assert recorder.warn_expiring("set-id", ACCESS, version="v3", rules=["r1"], cause="event") is None
    assert len(publisher.flags) == 2


def test_judging_sends_nothing_and_many_rules_flags_go_out_in_one_publish(
    parts: tuple[HealthRecorder, Store, Publisher, Clock],
) -> None:
    recorder, store, publisher, _ = parts
    rules = [docker_rule(REG, name=f"r{i}", credential_set="creds") for i in range(3)]
    assessments = [recorder.judge(REG, rule, ACCESS, None, cause="sweep-1") for rule in rules]
    assert (publisher.calls, publisher.flags, store.puts) == (0, [], 0)
    published = recorder.publish(assessments)
    assert publisher.calls == 1 and [f.subject for f in publisher.flags] == [r.id for r in rules]
    assert published.error is None and published.flags == publisher.flags
    assert [r.rule_id for r in published.rows] == [r.id for r in rules]
    assert recorder.publish([recorder.judge(REG, rules[0], HEALTHY, None, cause="s")]).flags == []
    assert publisher.calls == 1  # nothing to flag: no request
