"""The at-least-once delivery engine: a queue of due batches worked by a few daemon threads.

Due times are on the emulator clock `now()`, so a test advancing the clock (then calling `wake()`) makes
retries due at once instead of waiting for them.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.eventgrid import retry, webhook
from emulator.eventgrid.filters import envelope
from emulator.eventgrid.payloads import CLOUD_EVENT_SCHEMA, event_time, render
from emulator.eventgrid.subscriptions import Subscription

_IDLE_WAIT = 0.5  # seconds a worker sleeps when nothing is due (re-checks the clock afterwards)


@dataclass
class Job:
    """A batch of events on its way to one subscription."""

    subscription: str
    events: list[dict[str, Any]]  # canonical (Event Grid schema) events, rendered at delivery time
    due: float
    first_attempt_at: float
    attempts: int = 0
    seq: int = 0


@dataclass
class _State:
    pending: list[Job] = field(default_factory=list)
    in_flight: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 0  # bumped by reset(); outcomes of older in-flight jobs are discarded


def encode_batch(
    sub: Subscription, events: list[dict[str, Any]], attempts: int
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one delivery POST, as Event Grid sends them for the subscription's schema."""
    rendered = [render(e, sub.schema) for e in events]
    headers = {
        "aeg-event-type": "Notification",
        "aeg-subscription-name": sub.name.upper(),
        "aeg-delivery-count": str(attempts),
    }
    if len(events) == 1:
        headers["aeg-output-event-id"] = events[0]["id"]
    if sub.schema == CLOUD_EVENT_SCHEMA:
        headers["aeg-metadata-version"] = "1.0"
        if sub.max_events_per_batch == 1:
            headers["Content-Type"] = "application/cloudevents+json; charset=utf-8"
            return headers, json.dumps(rendered[0]).encode()
        headers["Content-Type"] = "application/cloudevents-batch+json; charset=utf-8"
        return headers, json.dumps(rendered).encode()
    headers["Content-Type"] = "application/json"
    headers["aeg-data-version"] = str(events[0].get("dataVersion", ""))
    headers["aeg-metadata-version"] = str(events[0].get("metadataVersion", "1"))
    return headers, json.dumps(rendered).encode()


class DeliveryEngine:
    def __init__(
        self,
        *,
        now: Callable[[], float],
        subscription: Callable[[str], Subscription | None],
        workers: int = 4,
        timeout: float = 30.0,
    ) -> None:
        self._now = now
        self._subscription = subscription
        self._timeout = timeout
        self._cond = threading.Condition()
        self._state = _State()
        self._seq = 0
        self._stopped = False
        self._held = False
        self._threads = [
            threading.Thread(target=self._work, name=f"eventgrid-delivery-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- producer side (never blocks on I/O) --
    def enqueue(self, subscription: str, event: dict[str, Any]) -> None:
        with self._cond:
            self._seq += 1
            now = self._now()
            self._state.pending.append(Job(subscription, [event], now, now, seq=self._seq))
            self._cond.notify()

    def drop_subscription(self, name: str) -> None:
        """Event Grid stops delivering a deleted subscription's backlog."""
        with self._cond:
            self._state.pending = [j for j in self._state.pending if j.subscription != name]

    def hold(self, held: bool) -> None:
        """While held, events queue up undelivered (a backlog, as when Event Grid lags)."""
        with self._cond:
            self._held = held
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            generation = self._state.generation + 1
            self._state = _State(generation=generation)
            self._cond.notify_all()

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout / len(self._threads))

    # -- inspection --
    def attempts(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(row) for row in self._state.log]

    def dead_letters(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(row) for row in self._state.dead_letters]

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is in flight or due now (future retries may remain); for tests and tools."""
        with self._cond:
            return self._cond.wait_for(lambda: self._state.in_flight == 0 and not self._due_jobs(), timeout)

    # -- worker side --
    def _due_jobs(self) -> list[Job]:
        now = self._now()
        return [j for j in self._state.pending if j.due <= now]

    def _take(self) -> Job | None:
        """Pop the oldest due job, merging due first attempts of the same subscription into one batch."""
        due = sorted(self._due_jobs(), key=lambda j: (j.due, j.seq))
        if not due or self._held:
            return None
        job = due[0]
        self._state.pending.remove(job)
        sub = self._subscription(job.subscription)
        if sub is None or job.attempts or sub.max_events_per_batch == 1:
            return job
        for other in due[1:]:
            if len(job.events) >= sub.max_events_per_batch:
                break
            if other.subscription == job.subscription and not other.attempts:
                self._state.pending.remove(other)
                job.events.extend(other.events)
        return job

    def _next_wait(self) -> float:
        if self._held or not self._state.pending:
            return _IDLE_WAIT
        soonest = min(j.due for j in self._state.pending) - self._now()
        return max(0.0, min(_IDLE_WAIT, soonest))

    def _work(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._stopped:
                    job = self._take()
                    if job is not None:
                        break
                    self._cond.wait(self._next_wait())
                if self._stopped or job is None:
                    return
                self._state.in_flight += 1
                generation = self._state.generation
            try:
                self._attempt(job, generation)
            finally:
                with self._cond:
                    if generation == self._state.generation:
                        self._state.in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, job: Job, generation: int) -> None:
        sub = self._subscription(job.subscription)
        if sub is None:
            return  # deleted meanwhile: Event Grid drops the backlog
        started = event_time(self._now())
        status: int | None = None
        error: str | None = None
        if job.attempts and retry.expired(
            first_attempt_at=job.first_attempt_at, now=self._now(), ttl_seconds=sub.ttl_minutes * 60.0
        ):
            with self._cond:
                if generation == self._state.generation:
                    self._dead_letter(sub, job, "TimeToLiveExceeded", status, "TimeToLiveExceeded", started)
            return
        headers, body = encode_batch(sub, job.events, job.attempts)
        try:
            status = webhook.request("POST", sub.endpoint, headers, body, self._timeout).status
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        with self._cond:
            if generation != self._state.generation:
                return
            job.attempts += 1
            outcome, due, reason = retry.next_step(
                status=status,
                attempts_made=job.attempts,
                now=self._now(),
                max_attempts=sub.max_delivery_attempts,
            )
            for event in job.events:
                self._state.log.append(
                    {
                        "subscription": sub.name,
                        "eventId": event["id"],
                        "eventType": envelope(event, "eventType"),
                        "attempt": job.attempts,
                        "status": status,
                        "exception": error,
                        "time": started,
                        "outcome": outcome,
                    }
                )
            if outcome == retry.RETRY and due is not None:
                job.due = due
                self._state.pending.append(job)
            elif outcome == retry.DEAD_LETTERED:
                self._dead_letter(sub, job, reason or "", status, error or f"HTTP {status}", started)

    def _dead_letter(
        self, sub: Subscription, job: Job, reason: str, status: int | None, outcome: str, time: str
    ) -> None:
        """Give up on the job's events (caller holds the condition's lock)."""
        for event in job.events:
            self._state.dead_letters.append(
                {
                    "subscription": sub.name,
                    "event": render(event, sub.schema),
                    "deadLetterReason": reason,
                    "deliveryAttempts": job.attempts,
                    "lastHttpStatusCode": status,
                    "lastDeliveryOutcome": outcome,
                    "lastDeliveryAttemptTime": time,
                }
            )
