"""Retry schedule arithmetic of the delivery policy."""

from __future__ import annotations

import pytest

from emulator.eventgrid import retry

HOUR = 3600.0


def step(status: int | None, attempts: int, *, now: float = 0.0, max_attempts: int = 30):
    return retry.next_step(status=status, attempts_made=attempts, now=now, max_attempts=max_attempts)


def test_schedule_follows_the_documented_waits() -> None:
    waits = [retry.retry_delay(n) for n in range(1, 12)]
    assert waits == [10, 30, 60, 300, 600, 1800, 3600, 3 * HOUR, 6 * HOUR, 12 * HOUR, 12 * HOUR]
    with pytest.raises(ValueError):
        retry.retry_delay(0)


@pytest.mark.parametrize("status", [200, 201, 202, 203, 204])
def test_only_200_to_204_are_delivered(status: int) -> None:
    assert step(status, 1) == (retry.DELIVERED, None, None)


@pytest.mark.parametrize("status", [205, 301, 404, 408, 429, 500, 503, None])
def test_other_answers_are_retried(status: int | None) -> None:
    assert step(status, 1, now=5.0) == (retry.RETRY, 15.0, None)


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_hopeless_answers_are_dead_lettered_at_once(status: int) -> None:
    assert step(status, 1) == (retry.DEAD_LETTERED, None, "NonRetriableError")


def test_attempt_limit() -> None:
    assert step(500, 3, max_attempts=3)[2] == "MaxDeliveryAttemptsExceeded"
    assert step(500, 2, max_attempts=3)[0] == retry.RETRY


def test_time_to_live_is_applied_at_the_next_scheduled_attempt() -> None:
    """The doc's retry policy: time-to-live is checked when the next attempt falls due, so the retry after
    the 11th failure (at 22.8 h) is still scheduled, for 34.8 h, and found expired only then."""
    now = 0.0
    for attempts in range(1, 12):
        assert not retry.expired(first_attempt_at=0.0, now=now, ttl_seconds=24 * HOUR)
        outcome, due, reason = step(500, attempts, now=now)
        assert (outcome, reason) == (retry.RETRY, None)
        assert due is not None
        now = due
    assert now == 10 + 30 + 60 + 300 + 600 + 1800 + 3600 + 3 * HOUR + 6 * HOUR + 2 * 12 * HOUR
    assert retry.expired(first_attempt_at=0.0, now=now, ttl_seconds=24 * HOUR)
