"""The health sweep: every registry in scope checked concurrently within ARM's budget, or fanned out over a queue.

``start`` runs one sweep (timer and ``POST /api/sweeps`` alike). Up to ``SWEEP_FANOUT_THRESHOLD`` registries it
checks them in this process, a bounded number per subscription at a time, pausing while ARM says the
subscription's read budget is low or asks to retry later; above it, it puts one message per registry on the sweep
queue and ``check_message`` (the queue trigger) checks each wherever the platform runs it. Either way each
registry's report is stored under the sweep id and the result is read back from those rows, once complete logged
as one ``SweepCompleted`` event.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.azure.metering import RequestMeter, metering
from shared.domain.errors import SweepNotFound, ValidationFailed
from shared.domain.models import Registry
from shared.domain.sweeps import SweepHeader, SweepResult, SweepStatus, aggregate
from shared.logs import event
from shared.services.ports import Registries
from shared.services.sweep_check import RegistryCheck
from shared.services.sweep_facts import SweepFacts
from shared.services.sweep_scope import SweepScope
from shared.state.sweeps import SweepStore

log = logging.getLogger(__name__)

SWEEP_ID = re.compile(r"\d{14}-[0-9a-f]{12}")
FACTS_KEPT = 4  # sweeps whose read caches a worker keeps for their queue messages


class SweepQueue(Protocol):
    def send(self, messages: Sequence[str]) -> None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepLimits:
    concurrency: int  # registries checked at once per subscription
    read_reserve: int  # below this many remaining ARM reads, pause before the next registry
    fanout_threshold: int  # more registries than this: fan out over the queue
    pause_seconds: float = 1.0


def new_sweep_id(now: float) -> str:
    """Sortable by start time and safe as a Table key and a URL segment."""
    return datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:12]


def encode_message(sweep_id: str, registry: Registry) -> str:
    return json.dumps(
        {
            "sweepId": sweep_id,
            "registry": {
                "id": registry.id,
                "name": registry.name,
                "subscriptionId": registry.subscription_id,
                "resourceGroup": registry.resource_group,
                "loginServer": registry.login_server,
            },
        }
    )


def decode_message(body: str) -> tuple[str, Registry]:
    """A queue message back to (sweep id, registry); ValueError when it is not one (it then ends in poison)."""
    document: Any = json.loads(body)
    registry: Any = document.get("registry") if isinstance(document, dict) else None
    sweep_id = document.get("sweepId") if isinstance(document, dict) else None
    if not isinstance(sweep_id, str) or not SWEEP_ID.fullmatch(sweep_id) or not isinstance(registry, dict):
        raise ValueError("not a sweep message: expected {sweepId, registry}")
    fields = ("id", "name", "subscriptionId", "resourceGroup", "loginServer")
    if not all(isinstance(registry.get(f), str) for f in fields):
        raise ValueError(f"a sweep message's registry needs string fields {', '.join(fields)}")
    return sweep_id, Registry(
        id=registry["id"],
        name=registry["name"],
        subscription_id=registry["subscriptionId"],
        resource_group=registry["resourceGroup"],
        login_server=registry["loginServer"],
    )


class SweepService:
    def __init__(
        self,
        *,
        registries: Registries,
        scope: SweepScope,
        facts: Callable[[], SweepFacts],
        check: RegistryCheck,
        store: SweepStore,
        queue: SweepQueue | None,
        limits: SweepLimits,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.registries = registries
        self.scope = scope
        self.facts = facts
        self.checker = check
        self.store = store
        self.queue = queue
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self._facts: OrderedDict[str, SweepFacts] = OrderedDict()
        self._facts_lock = threading.Lock()

    def start(self, trigger: str) -> SweepResult:
        """Run a sweep; the result is Completed when it ran here, Running when it was fanned out."""
        started = self.clock()
        sweep_id = new_sweep_id(started)
        meter = RequestMeter()
        with metering(meter):
            in_scope = self.scope.registries_in(self.registries)
        fan_out = self.queue is not None and len(in_scope) > self.limits.fanout_threshold
        header = SweepHeader(
            sweep_id=sweep_id,
            started_at=started,
            registries=len(in_scope),
            trigger=trigger,
            fanned_out=fan_out,
            azure_requests=meter.count,
        )
        self.store.start(header)
        if fan_out and self.queue is not None:
            self.queue.send([encode_message(sweep_id, r) for r in in_scope])
            event(log, logging.INFO, "SweepFannedOut", sweepId=sweep_id, registries=len(in_scope))
        else:
            self._check_all(sweep_id, in_scope, meter)
        return self._settle(header)

    def check_message(self, body: str) -> SweepResult:
        """The queue trigger's work: one registry of a fanned-out sweep."""
        sweep_id, registry = decode_message(body)
        header = self.store.header(sweep_id)
        if header is None:
            raise ValueError(f"sweep {sweep_id} is unknown")  # its header is written before any message
        report = self.checker.check(
            registry, self._facts_of(sweep_id), sweep_id=sweep_id, meter=RequestMeter()
        )
        self.store.record(sweep_id, report)
        return self._settle(header)

    def _facts_of(self, sweep_id: str) -> SweepFacts:
        """One read cache per sweep in this worker, so its queue messages share the vault and secret reads as the
        in-process sweep does (one per vault and secret, not per registry); a new sweep starts empty."""
        with self._facts_lock:
            facts = self._facts.get(sweep_id)
            if facts is None:
                facts = self._facts[sweep_id] = self.facts()
                while len(self._facts) > FACTS_KEPT:
                    self._facts.popitem(last=False)
            return facts

    def result(self, sweep_id: str) -> SweepResult:
        if not SWEEP_ID.fullmatch(sweep_id):
            raise ValidationFailed.of(
                "The sweep id in the URL is invalid",
                field="id",
                message="must be as POST /api/sweeps returned it",
            )
        header = self.store.header(sweep_id)
        if header is None:
            raise SweepNotFound(f"sweep '{sweep_id}' does not exist")
        return aggregate(header, self.store.reports(sweep_id), now=self.clock())

    def latest(self) -> SweepResult | None:
        latest = self.store.latest_id()
        header = self.store.header(latest) if latest else None
        return aggregate(header, self.store.reports(header.sweep_id), now=self.clock()) if header else None

    def _settle(self, header: SweepHeader) -> SweepResult:
        result = aggregate(header, self.store.reports(header.sweep_id), now=self.clock())
        if result.status is SweepStatus.COMPLETED and self.store.claim_completion(header.sweep_id):
            event(
                log,
                logging.WARNING if result.failures else logging.INFO,
                "SweepCompleted",
                sweepId=result.sweep_id,
                trigger=header.trigger,
                fannedOut=header.fanned_out,
                registries=result.registries,
                rules=result.rules,
                unhealthy=result.unhealthy,
                flagsRaised=result.flags_raised,
                flagsCleared=result.flags_cleared,
                azureRequests=result.azure_requests,
                durationMs=result.duration_ms,
                healed=len(result.healed),
                failures=[{"registry": f.registry, "error": f.error} for f in result.failures],
            )
        return result

    def _check_all(self, sweep_id: str, in_scope: Sequence[Registry], meter: RequestMeter) -> None:
        facts = self.facts()
        subscriptions = sorted({r.subscription_id.lower() for r in in_scope})
        gates = {s: threading.Semaphore(self.limits.concurrency) for s in subscriptions}

        def one(registry: Registry) -> None:
            subscription = registry.subscription_id.lower()
            with gates[subscription]:
                self.pace(subscription, meter)
                report = self.checker.check(registry, facts, sweep_id=sweep_id, meter=meter)
            self.store.record(sweep_id, report)

        workers = max(1, self.limits.concurrency * len(subscriptions))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
            for future in [pool.submit(one, r) for r in in_scope]:
                future.result()  # a registry's Azure failure is in its report; this raises only for storage

    def pace(self, subscription: str, meter: RequestMeter) -> None:
        """Wait out a Retry-After ARM gave this subscription; pause once when its remaining reads run low."""
        blocked = meter.blocked_for(subscription)
        if blocked > 0:
            self.sleep(blocked)
            return
        remaining = meter.remaining_reads(subscription)
        if remaining is not None and remaining < self.limits.read_reserve:
            self.sleep(self.limits.pause_seconds)
