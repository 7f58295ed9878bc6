"""A time budget for the request (or event) being served, so no call waits longer than the platform lets it.

The HTTP route sets one per request (``REQUEST_DEADLINE_SECONDS``); waits (a lease held elsewhere, credential
health) end at it, and every fenced write checks it first, so a stall turns into :class:`DeadlineExceeded` with
the usual rollback report instead of a request the front end cuts off with nothing said.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shared.domain.errors import DeadlineExceeded

_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def within(seconds: float | None, *, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Run the body under a deadline ``seconds`` from now (None: no deadline; an outer one still applies)."""
    if seconds is None:
        yield
        return
    outer = _deadline.get()
    ends = clock() + seconds
    token = _deadline.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining(*, clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left (never negative), or None when no deadline applies."""
    ends = _deadline.get()
    return None if ends is None else max(ends - clock(), 0.0)


def bound(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> float:
    """``seconds``, shortened to what the deadline leaves."""
    left = remaining(clock=clock)
    return seconds if left is None else min(seconds, left)


def check(doing: str, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Raise :class:`DeadlineExceeded` when the deadline has passed, before starting ``doing``."""
    if remaining(clock=clock) == 0.0:
        raise DeadlineExceeded(f"the request ran out of time before {doing}")
