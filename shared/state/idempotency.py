"""Idempotency as its own layer, after Powertools' design: a record per business key, claimed before the work.

A claim is an insert of an in-progress record that expires (so a worker that died does not block the key for ever);
finishing turns it into a completed record kept for ``keep_seconds`` (longer than Event Grid's 24 h of retries), and
a failure deletes it so the redelivery starts at once. An expired record of either kind is taken over by a replace
conditioned on its ETag, so two workers never both take it.

The in-progress record lives only ``in_progress_seconds`` (``EVENT_CLAIM_SECONDS``, 60) and is extended every third
of that while the work runs: however long a rotation of many sets takes, a worker that died mid-way holds the key at
most a minute, so Event Grid's retry after one minute finishes its work rather than the one after five.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from shared.domain.errors import UpstreamServiceError
from shared.logs import event
from shared.state.tables import RowChanged, RowExists, RowNotFound, TableStore, Value

log = logging.getLogger(__name__)

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"


class AlreadyInProgress(UpstreamServiceError):
    """Another worker holds the key and its claim has not expired: fail, so Event Grid redelivers later."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    """The right to do the work of ``key`` (``done`` when it was completed before: then there is nothing to do)."""

    key: str
    etag: str
    done: bool = False


class IdempotencyStore(Protocol):
    in_progress_seconds: float

    def claim(self, key: str) -> Claim: ...
    def extend(self, claim: Claim) -> Claim | None:
        """Push an in-progress claim's expiry out; None when it is no longer this worker's (taken over)."""
        ...

    def complete(self, claim: Claim) -> None: ...
    def release(self, claim: Claim) -> None: ...


def _row_key(key: str) -> str:
    return hashlib.sha256(key.lower().encode()).hexdigest()


class TableIdempotencyStore:
    PARTITION = "idempotency"

    def __init__(
        self,
        table: TableStore,
        *,
        in_progress_seconds: float = 60.0,
        keep_seconds: float = 48 * 3600.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.in_progress_seconds = in_progress_seconds
        self.keep_seconds = keep_seconds
        self.now = now

    def _record(self, key: str, status: str, ttl: float) -> dict[str, Value]:
        return {"Key": key[:1000], "Status": status, "ExpiresAt": self.now() + ttl}

    def claim(self, key: str) -> Claim:
        row = _row_key(key)
        record = self._record(key, IN_PROGRESS, self.in_progress_seconds)
        try:
            return Claim(key=key, etag=self.table.insert(self.PARTITION, row, record).etag)
        except RowExists:
            pass
        current = self.table.get(self.PARTITION, row)
        if current is None:  # released meanwhile: claim it afresh
            return self.claim(key)
        expired = float(current.data.get("ExpiresAt") or 0) <= self.now()
        if not expired:
            if current.data.get("Status") == COMPLETED:
                return Claim(key=key, etag=current.etag, done=True)
            raise AlreadyInProgress(f"another worker is handling '{key}'; retry later")
        try:
            taken = self.table.replace(self.PARTITION, row, record, etag=current.etag)
        except (RowChanged, RowNotFound) as exc:
            raise AlreadyInProgress(f"another worker took over '{key}'; retry later") from exc
        return Claim(key=key, etag=taken.etag)

    def extend(self, claim: Claim) -> Claim | None:
        record = self._record(claim.key, IN_PROGRESS, self.in_progress_seconds)
        try:
            taken = self.table.replace(self.PARTITION, _row_key(claim.key), record, etag=claim.etag)
        except (RowChanged, RowNotFound):
            return None
        return Claim(key=claim.key, etag=taken.etag)

    def complete(self, claim: Claim) -> None:
        if claim.done:
            return
        self.table.upsert(
            self.PARTITION, _row_key(claim.key), self._record(claim.key, COMPLETED, self.keep_seconds)
        )

    def release(self, claim: Claim) -> None:
        """Forget an unfinished claim (the work failed), unless someone has taken the key over since."""
        if claim.done:
            return
        try:
            self.table.delete(self.PARTITION, _row_key(claim.key), etag=claim.etag)
        except RowChanged:
            return


class _Heartbeat:
    """Extends a claim every third of its life until stopped; holds the claim's latest ETag for the release."""

    def __init__(self, store: IdempotencyStore, claim: Claim) -> None:
        self.store = store
        self.claim = claim
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.store.in_progress_seconds / 3):
            with self._guard:
                if self._stop.is_set():
                    return
                try:
                    extended = self.store.extend(self.claim)
                except Exception:  # storage hiccup: the next beat tries again
                    event(log, logging.WARNING, "ClaimExtensionFailed", exc_info=True, key=self.claim.key)
                    continue
                if (
                    extended is None
                ):  # taken over after all: the work goes on; its writes are fenced by leases
                    event(log, logging.WARNING, "ClaimLost", key=self.claim.key)
                    return
                self.claim = extended

    def stop(self) -> Claim:
        with self._guard:
            self._stop.set()
        self._thread.join()
        return self.claim


def run_once(store: IdempotencyStore, key: str, work: Callable[[], object]) -> bool:
    """Run ``work`` unless ``key`` was completed; False when skipped. The claim is extended while ``work`` runs;
    a failure releases the key and re-raises."""
    claim = store.claim(key)
    if claim.done:
        return False
    heartbeat = _Heartbeat(store, claim)
    try:
        work()
    except BaseException:
        store.release(heartbeat.stop())
        raise
    store.complete(heartbeat.stop())
    return True
