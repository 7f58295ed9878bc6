"""Metering: each attempt counted in its meter and its parent, ARM's remaining reads and Retry-After remembered."""

from __future__ import annotations

from email.utils import formatdate

from shared.azure.metering import RequestMeter, current_meter, metering, observe, retry_after_seconds

ARM = "https://management.azure.com/subscriptions/SUB1/providers/Microsoft.ContainerRegistry/registries"


def test_attempts_count_in_the_current_meter_and_its_parent_only() -> None:
    sweep = RequestMeter(clock=lambda: 0.0)
    registry = RequestMeter(parent=sweep)
    observe(ARM, 200, {})  # no meter: nothing counted anywhere
    with metering(registry):
        observe(ARM, 200, {"x-ms-ratelimit-remaining-subscription-reads": "11999"})
        observe("https://kv.vault.azure.net/secrets/a/versions", 200, {})
    assert current_meter() is None
    assert (registry.count, sweep.count) == (2, 2)
    assert sweep.remaining_reads("sub1") == 11999


def test_a_429_blocks_the_subscription_for_its_retry_after() -> None:
    now = [1000.0]
    meter = RequestMeter(clock=lambda: now[0])
    with metering(meter):
        observe(ARM, 429, {"Retry-After": "17"})
        observe(ARM, 200, {"Retry-After": "99"})  # only a throttled answer blocks
    assert meter.blocked_for("sub1") == 17
    now[0] += 20
    assert meter.blocked_for("sub1") == 0


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("5", now=0.0) == 5
    assert retry_after_seconds(formatdate(1_000_030, usegmt=True), now=1_000_000.0) == 30
    assert retry_after_seconds("soon", now=0.0) is None
    assert retry_after_seconds(None, now=0.0) is None
