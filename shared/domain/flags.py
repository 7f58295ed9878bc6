"""When a change in a rule's health is worth a flag: alert on change, remind while it lasts, never on every look.

The sweep and the event handlers both call :func:`rule_flag` with the health row they last stored, so a rule that a
rotation already flagged is not flagged again by the next sweep, and vice versa.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain.health import Reason, Status, Verdict


class FlagType(StrEnum):
    """CloudEvents ``type`` of each flag on the health topic."""

    RULE_UNHEALTHY = "ArtifactCache.RuleUnhealthy"
    RULE_RECOVERED = "ArtifactCache.RuleRecovered"
    SECRET_EXPIRING = "ArtifactCache.SecretExpiring"  # noqa: S105 (a name, not a password)
    CREDENTIAL_SET_ROTATED = "ArtifactCache.CredentialSetRotated"
    ACCESS_GRANTED = "ArtifactCache.AccessGranted"


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthRecord:
    """What was last stored for a rule: its verdict, since when it holds, and when it was last flagged."""

    status: Status
    reason: Reason | None
    since: float
    flagged_at: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FlagDecision:
    type: FlagType
    reminder: bool = False


def rule_flag(
    previous: HealthRecord | None, verdict: Verdict, *, now: float, reminder_seconds: float
) -> FlagDecision | None:
    """``RuleUnhealthy`` when a rule starts failing or fails for another reason, ``RuleRecovered`` when it heals,
    a reminder at most every ``reminder_seconds`` while it keeps failing; None otherwise."""
    was_failing = previous is not None and previous.status is Status.UNHEALTHY
    if not verdict.failing:
        return FlagDecision(type=FlagType.RULE_RECOVERED) if was_failing else None
    if previous is None or not was_failing or previous.reason != verdict.reason:
        return FlagDecision(type=FlagType.RULE_UNHEALTHY)
    last = previous.flagged_at if previous.flagged_at is not None else previous.since
    if reminder_seconds > 0 and now - last >= reminder_seconds:
        return FlagDecision(type=FlagType.RULE_UNHEALTHY, reminder=True)
    return None


def next_record(
    previous: HealthRecord | None, verdict: Verdict, decision: FlagDecision | None, *, now: float
) -> HealthRecord:
    """The row to store after a verdict: ``since`` moves only when status or reason changes."""
    unchanged = (
        previous is not None and previous.status is verdict.status and previous.reason == verdict.reason
    )
    return HealthRecord(
        status=verdict.status,
        reason=verdict.reason,
        since=previous.since if unchanged and previous is not None else now,
        flagged_at=now if decision is not None else (previous.flagged_at if previous else None),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Flag:
    """One CloudEvent for the health topic; ``id`` is derived from what it reports, so a re-sent flag dedupes."""

    id: str
    type: FlagType
    subject: str  # the cache rule's (or credential set's) resource ID
    time: float
    data: Mapping[str, Any]


def flag_id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
