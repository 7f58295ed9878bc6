"""Record a rule's verdict and flag it on change: the one path the sweep and the event handlers share.

A flag is published before the health row that remembers it is stored: if storing fails, the next look flags the
change again rather than never, with the same CloudEvent ``id`` (named by the stored state the change follows), so
subscribers can drop the repeat. If publishing fails, the row is not stored, so the next look sends the change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.domain.errors import AutopilotError
from shared.domain.flags import Flag, FlagType, HealthRecord, flag_id, next_record, rule_flag
from shared.domain.health import Reason, Verdict
from shared.domain.models import CacheRule, Registry
from shared.logs import event

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthRow:
    """A rule's stored health, as ``GET /api/health`` lists it.

    ``checked_at`` is when the row was last written (its verdict or message changed): an unchanged verdict is not
    rewritten, so the time of the latest look at a rule is its sweep's, recorded per registry by the sweep.
    """

    rule_id: str
    subscription_id: str
    registry: str
    name: str
    record: HealthRecord
    message: str
    checked_at: float
    expires_on: float | None = None  # when the secret behind a SecretExpiring/SecretExpired verdict expires


class HealthStore(Protocol):
    def get(self, rule_id: str) -> HealthRow | None: ...
    def put(self, row: HealthRow) -> None: ...
    def secret_warned(self, secret_uri: str, version: str) -> bool: ...
    def mark_secret_warned(self, secret_uri: str, version: str) -> None: ...


class FlagPublisher(Protocol):
    def publish(self, flags: Sequence[Flag]) -> None:
        """Send every flag, in order, in as few requests as the topic takes; raise :class:`FlagsPartlySent` when a
        request fails after earlier ones went out, the plain error when none did."""
        ...


class FlagsPartlySent(AutopilotError):
    """A publish that took several requests failed part-way: ``sent`` went out, ``cause`` stopped the rest."""

    def __init__(self, sent: Sequence[Flag], cause: AutopilotError) -> None:
        super().__init__(cause.detail, errors=cause.errors, extensions=cause.extensions)
        self.sent = tuple(sent)
        self.cause = cause

    @property
    def retryable(self) -> bool:
        return self.cause.retryable


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """A rule's verdict weighed against its stored row: the flag the change calls for (not sent yet) and the row to
    store once it is sent, ``previous`` itself when nothing changed (so an unchanged fleet writes no rows)."""

    flag: Flag | None
    row: HealthRow
    previous: HealthRow | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Published:
    """What :meth:`HealthRecorder.publish` sent and what to store now.

    ``rows``: each rule's new row, or where its flag did not go out its previous row (none if it had none), so the
    change is still new to the next look, which flags it then; ``error``: why some flags did not go out.
    """

    rows: list[HealthRow]
    flags: list[Flag]
    error: AutopilotError | None = None


class HealthRecorder:
    def __init__(
        self,
        *,
        store: HealthStore,
        publisher: FlagPublisher,
        reminder_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.reminder_seconds = reminder_seconds
        self.clock = clock

    def record(self, registry: Registry, rule: CacheRule, verdict: Verdict, *, cause: str) -> Flag | None:
        """Store the verdict; publish RuleUnhealthy/RuleRecovered when it changed. ``cause``: sweep id or event id."""
        previous = self.store.get(rule.id)
        flag, row = self.assess(registry, rule, verdict, previous, cause=cause)
        if row is not previous:
            self.store.put(row)
        return flag

    def assess(
        self, registry: Registry, rule: CacheRule, verdict: Verdict, previous: HealthRow | None, *, cause: str
    ) -> tuple[Flag | None, HealthRow]:
        """One rule's :meth:`judge` and :meth:`publish`: the flag sent (raises if it could not be) and the row for
        the caller to store after this returns (publish before store)."""
        assessment = self.judge(registry, rule, verdict, previous, cause=cause)
        published = self.publish([assessment])
        if published.error is not None:
            raise published.error
        return assessment.flag, assessment.row

    def judge(
        self, registry: Registry, rule: CacheRule, verdict: Verdict, previous: HealthRow | None, *, cause: str
    ) -> Assessment:
        """The flag and row a verdict calls for, given the stored ``previous``; sends and stores nothing."""
        now = self.clock()
        before = previous.record if previous else None
        decision = rule_flag(before, verdict, now=now, reminder_seconds=self.reminder_seconds)
        record = next_record(before, verdict, decision, now=now)
        flag = None
        if decision is not None:
            reason = verdict.reason if decision.type is FlagType.RULE_UNHEALTHY else before and before.reason
            flag = Flag(
                # Named by the transition, not by when it was seen: what was stored before it (unchanged until its
                # row is written) makes a flag sent again after a lost row write keep its id, so subscribers drop
                # the repeat; every stored change moves ``since`` or ``flagged_at``, so the next flag differs.
                id=flag_id(
                    rule.id,
                    decision.type,
                    reason,
                    *(
                        (before.status, before.reason, before.since, before.flagged_at)
                        if before
                        else ("first",)
                    ),
                ),
                type=decision.type,
                subject=rule.id,
                time=now,
                data={
                    "registry": registry.name,
                    "cacheRule": rule.name,
                    "status": verdict.status.value,
                    "reason": str(reason) if reason else None,
                    "message": verdict.message,
                    "since": record.since,
                    "reminder": decision.reminder,
                    "cause": cause,
                },
            )
        if (
            previous is not None
            and previous.record == record
            and previous.message == verdict.message
            and previous.expires_on == verdict.expires_on
        ):
            return Assessment(flag=flag, row=previous, previous=previous)
        row = HealthRow(
            rule_id=rule.id,
            subscription_id=registry.subscription_id,
            registry=registry.name,
            name=rule.name,
            record=record,
            message=verdict.message,
            checked_at=now,
            expires_on=verdict.expires_on,
        )
        return Assessment(flag=flag, row=row, previous=previous)

    def publish(self, assessments: Sequence[Assessment]) -> Published:
        """Send the flags of many rules at once (a registry's: one request, not one per rule) and answer the rows
        to store. A failed request does not raise: its flags' rules keep their previous rows (see
        :class:`Published`), so a later look sends those changes and not the ones that went out."""
        flags = [a.flag for a in assessments if a.flag is not None]
        sent: Sequence[Flag] = flags
        error: AutopilotError | None = None
        if flags:
            try:
                self.publisher.publish(flags)
            except FlagsPartlySent as exc:
                sent, error = exc.sent, exc.cause
            except AutopilotError as exc:
                sent, error = (), exc
        out = {f.id for f in sent}
        for flag in sent:
            _log_flag(flag)
        rows = [
            row
            for a in assessments
            if (row := a.row if a.flag is None or a.flag.id in out else a.previous) is not None
        ]
        return Published(rows=rows, flags=list(sent), error=error)

    def warn_expiring(
        self, subject: str, verdict: Verdict, *, version: str, rules: Sequence[str], cause: str
    ) -> Flag | None:
        """``SecretExpiring`` once per secret version, however many sweeps and events see it."""
        if (
            verdict.reason not in (Reason.SECRET_EXPIRING, Reason.SECRET_EXPIRED)
            or verdict.secret_uri is None
        ):
            return None
        if self.store.secret_warned(verdict.secret_uri, version):
            return None
        flag = Flag(
            id=flag_id(FlagType.SECRET_EXPIRING, verdict.secret_uri, version),
            type=FlagType.SECRET_EXPIRING,
            subject=subject,
            time=self.clock(),
            data={
                "reason": Reason.SECRET_EXPIRING.value,
                "secretUri": verdict.secret_uri,
                "version": version,
                "expiresOn": verdict.expires_on,
                "cacheRules": list(rules),
                "message": verdict.message,
                "cause": cause,
            },
        )
        self.publisher.publish([flag])
        self.store.mark_secret_warned(verdict.secret_uri, version)
        return flag


def _log_flag(flag: Flag) -> None:
    """One ``RuleFlagged`` event per rule flag sent."""
    unhealthy = flag.type is FlagType.RULE_UNHEALTHY
    event(
        log,
        logging.WARNING if unhealthy else logging.INFO,
        "RuleFlagged",
        flag=flag.type.value,
        ruleId=flag.subject,
        reason=flag.data.get("reason"),
        reminder=flag.data.get("reminder"),
        cause=flag.data.get("cause"),
    )
