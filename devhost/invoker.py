"""Invoke a function as the worker does: bind arguments by name, run sync or async, log like the host.

Async functions share one event loop on a dedicated thread, as in the Python worker, so clients
cached across invocations stay bound to a live loop; sync functions run on the calling (request or
timer) thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from devhost.context import Context
from devhost.loader import FunctionSpec

log = logging.getLogger("devhost")

HOST_API_REASON = "This function was programmatically called via the host APIs."


class _Out(func.Out):  # type: ignore[type-arg]
    """Output binding the devhost does not deliver anywhere; keeps the value for the function."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


@dataclass
class Outcome:
    succeeded: bool
    value: Any = None
    error: BaseException | None = None


class EventLoopThread:
    """One asyncio loop for every async invocation, run on its own daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="devhost-asyncio", daemon=True)
        self._thread.start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class Invoker:
    """Runs functions and keeps count of invocations in flight for a graceful shutdown."""

    def __init__(self, function_directory: str) -> None:
        self._function_directory = function_directory
        self._loop = EventLoopThread()
        self._in_flight = 0
        self._idle = threading.Condition()

    def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        reason: str,
        trace_parent: str | None = None,
        trace_state: str = "",
    ) -> Outcome:
        """Call the function once; exceptions become a failed Outcome (logged with their traceback)."""
        invocation_id = str(uuid.uuid4())
        context = Context(invocation_id, spec.name, self._function_directory, trace_parent, trace_state)
        kwargs = self._arguments(spec, trigger_value, context)
        log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", spec.name, reason, invocation_id)
        started = time.perf_counter()
        with self._idle:
            self._in_flight += 1
        try:
            value = self._call(spec.user_function, kwargs, spec.is_async, context)
            outcome = Outcome(True, value)
        except Exception as error:
            outcome = Outcome(False, error=error)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        duration = round((time.perf_counter() - started) * 1000)
        status = "Succeeded" if outcome.succeeded else "Failed"
        log.info(
            "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)", spec.name, status, invocation_id, duration
        )
        if outcome.error is not None:
            details = "".join(traceback.format_exception(outcome.error)).rstrip()
            log.error(
                "Exception while executing function: Functions.%s. Result: Failure\n%s", spec.name, details
            )
        return outcome

    def _arguments(self, spec: FunctionSpec, trigger_value: Any, context: Context) -> dict[str, Any]:
        kwargs: dict[str, Any] = {spec.trigger_arg: trigger_value}
        for binding in spec.bindings:
            kwargs[binding["name"]] = _Out() if str(binding.get("direction")) == "OUT" else None
        if spec.wants_context:
            kwargs["context"] = context
        return kwargs

    def _call(
        self, function: Callable[..., Any], kwargs: dict[str, Any], is_async: bool, context: Context
    ) -> Any:
        if is_async:
            return self._loop.run(function(**kwargs))
        context.thread_local_storage.invocation_id = context.invocation_id
        return function(**kwargs)

    def drain(self, timeout: float) -> bool:
        """Wait for invocations in flight (shutdown); False when some are still running."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self) -> None:
        self._loop.stop()
