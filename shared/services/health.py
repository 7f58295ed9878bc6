"""Waiting for artifact cache's verdict on a credential set, which it reaches asynchronously."""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.domain.models import CredentialSet, Registry
from shared.services.ports import Registries


class HealthWaiter:
    def __init__(
        self,
        *,
        registries: Registries,
        wait_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registries = registries
        self.wait_seconds = wait_seconds
        self.sleep = sleep
        self.clock = clock

    def await_health(self, registry: Registry, name: str) -> CredentialSet | None:
        """Poll with backoff for a bounded time; the last read (maybe not Healthy), or None if the set is gone."""
        deadline = self.clock() + self.wait_seconds
        delay = 0.5
        while True:
            current = self.registries.get_credential_set(registry, name)
            if current is None or current.health.healthy or self.clock() >= deadline:
                return current
            self.sleep(min(delay, max(deadline - self.clock(), 0.0)))
            delay = min(delay * 2, 4.0)
