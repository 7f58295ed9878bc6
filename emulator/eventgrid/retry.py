"""Event Grid's delivery retry policy (learn.microsoft.com/azure/event-grid/delivery-and-retry).

Time-to-live is not applied when a retry is scheduled but at the next scheduled attempt (the doc's retry
policy: Event Grid checks an event's time-to-live only when its next delivery is due), so an event whose
time-to-live runs out between attempts is dead-lettered when that attempt comes, not before.
"""

from __future__ import annotations

# Waits after the 1st, 2nd, ... failed attempt; after the last entry Event Grid retries every 12 hours.
RETRY_DELAYS = (10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0)
LATER_DELAY = 43200.0
# A webhook answering one of these will never accept the event: it is dead-lettered at once.
NON_RETRIABLE = frozenset({400, 401, 403, 413})

DELIVERED = "Delivered"
RETRY = "Retry"
DEAD_LETTERED = "DeadLettered"


def delivered(status: int | None) -> bool:
    """Only 200-204 count as delivered."""
    return status is not None and 200 <= status <= 204


def retry_delay(attempts_made: int) -> float:
    """Seconds to wait before the next attempt once `attempts_made` (>= 1) attempts have failed."""
    if attempts_made < 1:
        raise ValueError("no attempt has failed yet")
    if attempts_made <= len(RETRY_DELAYS):
        return RETRY_DELAYS[attempts_made - 1]
    return LATER_DELAY


def next_step(
    *,
    status: int | None,
    attempts_made: int,
    now: float,
    max_attempts: int,
) -> tuple[str, float | None, str | None]:
    """(outcome, next due time, dead-letter reason) after an attempt ended with `status` (None: no answer)."""
    if delivered(status):
        return DELIVERED, None, None
    if status in NON_RETRIABLE:
        return DEAD_LETTERED, None, "NonRetriableError"
    if attempts_made >= max_attempts:
        return DEAD_LETTERED, None, "MaxDeliveryAttemptsExceeded"
    return RETRY, now + retry_delay(attempts_made), None


def expired(*, first_attempt_at: float, now: float, ttl_seconds: float) -> bool:
    """Checked when a retry falls due: past its time-to-live, the event is dead-lettered unsent."""
    return now > first_attempt_at + ttl_seconds
