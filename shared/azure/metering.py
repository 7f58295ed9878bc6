"""Counting the Azure requests a unit of work makes and reading ARM's remaining budget from the answers.

A sweep must report what it cost and stay inside ARM's per-principal budget. Every SDK client built in
:mod:`shared.azure.clients` carries :class:`shared.azure.meter_policy.MeterPolicy`, which reports each HTTP attempt (retries included) to the
:class:`RequestMeter` of the current context, if any: work outside a sweep is not metered and pays nothing.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?]+)", re.IGNORECASE)
_current: contextvars.ContextVar[RequestMeter | None] = contextvars.ContextVar("request_meter", default=None)


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now)
    except (TypeError, ValueError):
        return None


class RequestMeter:
    """Requests made, and per subscription ARM's last remaining-reads figure and any Retry-After deadline.

    A child meter (one registry's share of a sweep) forwards everything to its parent, so the sweep's budget sees
    every registry's answers while each registry still knows its own cost.
    """

    def __init__(self, parent: RequestMeter | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.parent = parent
        self.clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._remaining: dict[str, int] = {}
        self._blocked_until: dict[str, float] = {}

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def counted(self) -> None:
        with self._lock:
            self._count += 1
        if self.parent is not None:
            self.parent.counted()

    def observed(self, subscription: str, *, remaining_reads: int | None, retry_after: float | None) -> None:
        key = subscription.lower()
        with self._lock:
            if remaining_reads is not None:
                self._remaining[key] = remaining_reads
            if retry_after is not None:
                until = self.clock() + retry_after
                self._blocked_until[key] = max(until, self._blocked_until.get(key, 0.0))
        if self.parent is not None:
            self.parent.observed(subscription, remaining_reads=remaining_reads, retry_after=retry_after)

    def remaining_reads(self, subscription: str) -> int | None:
        with self._lock:
            return self._remaining.get(subscription.lower())

    def blocked_for(self, subscription: str) -> float:
        """Seconds until ARM said this subscription may be called again (0 when it never said so)."""
        with self._lock:
            until = self._blocked_until.get(subscription.lower(), 0.0)
        return max(0.0, until - self.clock())


@contextmanager
def metering(meter: RequestMeter) -> Iterator[RequestMeter]:
    """Meter the Azure requests made in this context (and in contexts copied from it, e.g. worker threads)."""
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)


def current_meter() -> RequestMeter | None:
    return _current.get()


def observe(url: str, status: int, headers: Mapping[str, str]) -> None:
    """Report one HTTP attempt and its answer to the current meter (no meter: nothing to do)."""
    meter = _current.get()
    if meter is None:
        return
    meter.counted()
    found = _SUBSCRIPTION.search(url)
    if found is None:
        return
    raw = headers.get(REMAINING_READS)
    remaining = int(raw) if raw and raw.strip().isdigit() else None
    retry = retry_after_seconds(headers.get("Retry-After"), now=time.time()) if status == 429 else None
    meter.observed(found.group(1), remaining_reads=remaining, retry_after=retry)
