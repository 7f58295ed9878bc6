"""Per-key locks so concurrent requests on one resource converge instead of racing ARM, in one worker and across
instances (leases in Table storage, renewed while held and checked before every write)."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from shared.domain.errors import LeaseLost, ResourceBusy
from shared.logs import event
from shared.services import deadline
from shared.state.leases import LeaseStore

log = logging.getLogger(__name__)


def set_lock_key(registry_id: str, name: str) -> str:
    """The lease on one credential set: the API, the event handlers and the sweep all take this one."""
    return f"{registry_id}/credentialSets/{name}"


def rule_lock_key(registry_id: str, name: str) -> str:
    return f"{registry_id}/cacheRules/{name}"


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


class Lease:
    """One held lease: renewed in the background while the work runs, and checked (fenced) before each write."""

    def __init__(
        self, locks: ProvisioningLocks, store: LeaseStore, key: str, owner: str, *, valid_since: float
    ) -> None:
        self.key = key
        self.owner = owner
        self._locks = locks
        self._store = store
        self._guard = threading.Lock()
        self._lost = False
        # When (locks.clock) the last successful take or renewal was sent: the lease runs ttl from then.
        self._valid_since = valid_since
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew_loop, name=f"lease-{owner[:8]}", daemon=True)

    def start(self) -> None:
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self._locks.ttl_seconds / 3):
            try:
                self.renew()
            except Exception:  # storage hiccup: the next renewal (or the fence) tries again
                event(log, logging.WARNING, "LeaseRenewalFailed", exc_info=True, key=self.key)

    def renew(self) -> bool:
        with self._guard:
            sent = self._locks.clock()
            if self._lost:
                return False
            if self._store.renew(self.key, self.owner, self._locks.ttl_seconds):
                self._valid_since = sent
            else:
                self._lost = True
                event(log, logging.WARNING, "LeaseLost", key=self.key)
            return not self._lost

    def fence(self, doing: str) -> None:
        """Prove the lease is still ours before a write: raise :class:`LeaseLost` if another request took over.

        Nobody may take a lease over before it expires, a whole ttl after its last take or renewal. Within the
        first third of that the lease is ours by its age alone (two thirds of a lifetime of margin for clocks
        that disagree); past it, only a renewal (a conditional write) proves it, which also catches a holder
        paused beyond its expiry. A write right after taking a lease so costs no storage round trip.
        """
        with self._guard:
            fresh = not self._lost and self._locks.clock() - self._valid_since < self._locks.ttl_seconds / 3
        if fresh:
            return
        if not self.renew():
            raise LeaseLost(
                f"the lease on '{self.key.rsplit('/', 1)[-1]}' was taken over by another request before "
                f"{doing}; this request stopped without writing"
            )

    def stop(self) -> None:
        self._stop.set()
        if self._renewer.is_alive():
            self._renewer.join()


_held: ContextVar[tuple[Lease, ...]] = ContextVar("held_leases", default=())

# A waiting request retries a held lease after 50 ms, doubling to at most 200 ms: leases guard one set's or rule's
# few writes (typically well under a second), so a 1 s cap left waiters idle long after the lease was released.
_FIRST_BACKOFF = 0.05
_MAX_BACKOFF = 0.2


class ProvisioningLocks:
    """Serialises work on one resource: a local lock for this worker, then a lease shared by every instance.

    The lease lives ``ttl_seconds`` past its last renewal and is renewed every third of that while its holder
    runs; a crashed holder's lease runs out within ``ttl_seconds``. A request waits for a held lease at most
    ``wait_seconds`` (less when its deadline is nearer), then answers :class:`ResourceBusy` with when to retry.
    """

    def __init__(
        self,
        store: LeaseStore | None,
        *,
        ttl_seconds: float = 60.0,
        wait_seconds: float = 30.0,
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
    def hold(self, key: str) -> Iterator[Lease | None]:
        """Hold ``key`` for the body; yields the lease (None without a lease store: per process only)."""
        with self.local.hold(key):
            if self.store is None:
                yield None
                return
            lease = self._acquire(self.store, key)
            lease.start()
            token = _held.set((*_held.get(), lease))
            try:
                yield lease
            finally:
                _held.reset(token)
                lease.stop()
                self.store.release(key, lease.owner)

    def _acquire(self, store: LeaseStore, key: str) -> Lease:
        owner = uuid.uuid4().hex
        ends = self.clock() + deadline.bound(self.wait_seconds, clock=self.clock)
        delay = _FIRST_BACKOFF
        while True:
            sent = self.clock()
            if store.try_acquire(key, owner, self.ttl_seconds):
                return Lease(self, store, key, owner, valid_since=sent)
            if self.clock() >= ends:
                left = store.expires_in(key)
                retry = max(math.ceil(left if left is not None else 1.0), 1)
                raise ResourceBusy(
                    f"another request holds {_what(key)}; retry after {retry} s",
                    retry_after=retry,
                    extensions={"retryAfterSeconds": retry},
                )
            self.sleep(min(delay, max(ends - self.clock(), 0.0)))
            delay = min(delay * 2, _MAX_BACKOFF)

    def fence(self, doing: str) -> None:
        """Before a write: the deadline has not passed and every lease this request holds is still its own."""
        deadline.check(doing, clock=self.clock)
        self.still_held(doing)

    def still_held(self, doing: str) -> None:
        """Every lease this request holds is still its own (rollback checks this, past the deadline too)."""
        for lease in _held.get():
            lease.fence(doing)


def _what(key: str) -> str:
    """``.../cacheRules/ubuntu`` -> ``this rule ('ubuntu')``: the resource a lease key names, for messages."""
    kind, _, name = key.rpartition("/")
    noun = {"cacherules": "rule", "credentialsets": "credential set"}.get(kind.rsplit("/", 1)[-1].lower())
    return f"this {noun} ('{name}')" if noun else f"'{name}'"
