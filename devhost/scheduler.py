"""Timer triggers on their NCRONTAB schedules, on one scheduler thread that stops on shutdown.

Like the host's timer listener, an occurrence is skipped while the previous run of the same
function is still going (timers are singletons), and `run_on_startup` fires once at start.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from azure.functions.timer import TimerRequest

from devhost.invoker import Invoker
from devhost.loader import FunctionSpec

log = logging.getLogger("devhost")

NEVER = "0001-01-01T00:00:00"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def timer_request(spec: FunctionSpec, last: datetime | None, now: datetime) -> TimerRequest:
    """The TimerRequest the host passes: schedule status with Last/Next/LastUpdated."""
    status = {
        "Last": _iso(last) if last else NEVER,
        "Next": _iso(spec.schedule.next_after(now)),
        "LastUpdated": _iso(now),
    }
    return TimerRequest(past_due=False, schedule_status=status, schedule={"AdjustForDST": True})


def timer_reason(moment: datetime) -> str:
    return f"Timer fired at {_iso(moment)}"


class TimerScheduler:
    def __init__(self, timers: list[FunctionSpec], invoker: Invoker) -> None:
        self._timers = timers
        self._invoker = invoker
        self._stop = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._last: dict[str, datetime] = {}
        self._thread = threading.Thread(target=self._run, name="devhost-timers", daemon=True)

    def start(self) -> None:
        for spec in self._timers:
            log.info(
                "Timer %s: next occurrence %s (UTC)", spec.name, _iso(spec.schedule.next_after(_utcnow()))
            )
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)
        for thread in list(self._running.values()):
            thread.join(timeout)

    def _fire(self, spec: FunctionSpec, moment: datetime) -> None:
        running = self._running.get(spec.name)
        if running is not None and running.is_alive():
            log.warning("Timer %s: previous run still in progress, skipping %s", spec.name, _iso(moment))
            return
        request = timer_request(spec, self._last.get(spec.name), moment)
        self._last[spec.name] = moment
        thread = threading.Thread(
            target=self._invoker.invoke, args=(spec, request, timer_reason(moment)), name=f"timer-{spec.name}"
        )
        self._running[spec.name] = thread
        thread.start()

    def _run(self) -> None:
        now = _utcnow()
        upcoming = {spec.name: spec.schedule.next_after(now) for spec in self._timers}
        for spec in self._timers:
            if spec.run_on_startup:
                self._fire(spec, now)
        by_name = {spec.name: spec for spec in self._timers}
        while upcoming and not self._stop.is_set():
            name, due = min(upcoming.items(), key=lambda item: item[1])
            wait = (due - _utcnow()).total_seconds()
            if wait > 0 and self._stop.wait(min(wait, 60)):
                return
            if _utcnow() < due:
                continue  # woke up early (the 60 s cap keeps clock jumps harmless)
            self._fire(by_name[name], due)
            upcoming[name] = by_name[name].schedule.next_after(max(due, _utcnow()))
