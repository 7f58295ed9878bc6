"""Flags on change: a new failure or a new reason, a recovery, a reminder while it lasts; nothing on every look."""

from __future__ import annotations

import pytest

from shared.domain.flags import FlagDecision, FlagType, HealthRecord, next_record, rule_flag
from shared.domain.health import HEALTHY, Reason, Status, Verdict

HOUR = 3600.0
NOW = 1_800_000_000.0


def failing(reason: Reason = Reason.ACCESS_MISSING) -> Verdict:
    return Verdict(status=Status.UNHEALTHY, reason=reason, message="m")


WARNING = Verdict(status=Status.WARNING, reason=Reason.SECRET_EXPIRING, message="m", expires_on=NOW + HOUR)


def record(
    status: Status, reason: Reason | None = None, *, since: float = NOW - HOUR, flagged: float | None = None
) -> HealthRecord:
    return HealthRecord(status=status, reason=reason, since=since, flagged_at=flagged)


UNHEALTHY_FLAG = FlagDecision(type=FlagType.RULE_UNHEALTHY)


@pytest.mark.parametrize(
    ("previous", "now_verdict", "expected"),
    [
        (None, HEALTHY, None),
        (None, WARNING, None),
        (None, failing(), UNHEALTHY_FLAG),
        (record(Status.HEALTHY), failing(), UNHEALTHY_FLAG),
        (record(Status.WARNING, Reason.SECRET_EXPIRING), failing(Reason.SECRET_EXPIRED), UNHEALTHY_FLAG),
        (
            record(Status.UNHEALTHY, Reason.ACCESS_MISSING, flagged=NOW - 1),
            failing(Reason.SECRET_DISABLED),
            UNHEALTHY_FLAG,
        ),
        (record(Status.UNHEALTHY, Reason.ACCESS_MISSING, flagged=NOW - 1), failing(), None),
        (
            record(Status.UNHEALTHY, Reason.ACCESS_MISSING, flagged=NOW - 1),
            HEALTHY,
            FlagDecision(type=FlagType.RULE_RECOVERED),
        ),
        (
            record(Status.UNHEALTHY, Reason.ACCESS_MISSING, flagged=NOW - 1),
            WARNING,
            FlagDecision(type=FlagType.RULE_RECOVERED),
        ),
        (record(Status.HEALTHY), HEALTHY, None),
        (record(Status.WARNING, Reason.SECRET_EXPIRING), HEALTHY, None),
    ],
)
def test_flags_are_raised_on_change_only(
    previous: HealthRecord | None, now_verdict: Verdict, expected: FlagDecision | None
) -> None:
    assert rule_flag(previous, now_verdict, now=NOW, reminder_seconds=24 * HOUR) == expected


def test_a_lasting_failure_is_reminded_once_per_period() -> None:
    previous = record(Status.UNHEALTHY, Reason.ACCESS_MISSING, since=NOW - 48 * HOUR, flagged=NOW - 25 * HOUR)
    decision = rule_flag(previous, failing(), now=NOW, reminder_seconds=24 * HOUR)
    assert decision == FlagDecision(type=FlagType.RULE_UNHEALTHY, reminder=True)
    stored = next_record(previous, failing(), decision, now=NOW)
    assert rule_flag(stored, failing(), now=NOW + HOUR, reminder_seconds=24 * HOUR) is None


def test_reminders_can_be_switched_off() -> None:
    previous = record(Status.UNHEALTHY, Reason.ACCESS_MISSING, since=0.0, flagged=0.0)
    assert rule_flag(previous, failing(), now=NOW, reminder_seconds=0) is None


def test_since_moves_only_when_the_status_or_reason_changes() -> None:
    first = next_record(None, failing(), UNHEALTHY_FLAG, now=NOW)
    assert (first.since, first.flagged_at) == (NOW, NOW)
    same = next_record(first, failing(), None, now=NOW + HOUR)
    assert (same.since, same.flagged_at) == (NOW, NOW)
    other = next_record(same, failing(Reason.SECRET_DISABLED), UNHEALTHY_FLAG, now=NOW + 2 * HOUR)
    assert (other.since, other.reason) == (NOW + 2 * HOUR, Reason.SECRET_DISABLED)
    healed = next_record(other, HEALTHY, FlagDecision(type=FlagType.RULE_RECOVERED), now=NOW + 3 * HOUR)
    assert (healed.status, healed.reason, healed.since) == (Status.HEALTHY, None, NOW + 3 * HOUR)
