"""Per-key locks so concurrent identical requests in one worker converge instead of racing ARM."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from shared.domain.errors import UpstreamServiceError
from shared.state.leases import LeaseStore


class KeyedLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        key = key.lower()
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class ProvisioningLocks:
    """Serialises work on one resource: a local lock for this worker, then a lease shared by every instance."""

    def __init__(
        self,
        store: LeaseStore | None,
        *,
        ttl_seconds: float = 120.0,
        wait_seconds: float = 90.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.local = KeyedLocks()
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.wait_seconds = wait_seconds
        self.sleep = sleep
        self.clock = clock

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self.local.hold(key):
            if self.store is None:
                yield
                return
            owner = uuid.uuid4().hex
            deadline = self.clock() + self.wait_seconds
            delay = 0.05
            while not self.store.try_acquire(key, owner, self.ttl_seconds):
                if self.clock() >= deadline:
                    raise UpstreamServiceError(
                        f"another request has been changing '{key.rsplit('/', 1)[-1]}' for over "
                        f"{self.wait_seconds:.0f} s; retry later"
                    )
                self.sleep(delay)
                delay = min(delay * 2, 1.0)
            try:
                yield
            finally:
                self.store.release(key, owner)
