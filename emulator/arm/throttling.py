"""ARM per-principal, per-subscription token buckets (reads 250 burst / 25 per s, writes 200 / 10 per s).

Deletes have their own bucket, sized like writes: the 2026 azure-cli recording shows DELETE answers carrying
`x-ms-ratelimit-remaining-subscription-deletes` instead of the writes header (its size is an assumption, the
same as writes, per ARM's throttling doc that lists deletes beside writes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

BUCKETS = {"reads": (250.0, 25.0), "writes": (200.0, 10.0), "deletes": (200.0, 10.0)}


@dataclass
class Bucket:
    tokens: float
    stamp: float


class Throttle:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.buckets: dict[tuple[str, str, str], Bucket] = {}

    def reset(self) -> None:
        self.buckets = {}

    def take(self, principal: str, subscription: str, kind: str, enforce: bool) -> tuple[int, int | None]:
        """Consume a token; return (remaining, retry_after or None when allowed)."""
        burst, rate = BUCKETS[kind]
        key = (principal.lower(), subscription.lower(), kind)
        now = self._now()
        bucket = self.buckets.setdefault(key, Bucket(burst, now))
        bucket.tokens = min(burst, bucket.tokens + max(0.0, now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1 or not enforce:
            bucket.tokens = max(0.0, bucket.tokens - 1)
            return int(bucket.tokens), None
        return 0, max(1, math.ceil((1 - bucket.tokens) / rate))
