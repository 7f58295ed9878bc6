"""Queue triggers against Azurite (or any Storage account), as the Functions host runs them.

Host semantics kept (host.json ``extensions.queues``): messages are base64 unless ``messageEncoding`` is ``none``;
a batch of up to ``batchSize`` is received and processed in parallel; an empty queue is polled with a back-off up to
``maxPollingInterval``; a failed invocation makes the message visible again after ``visibilityTimeout``, and once its
dequeue count reaches ``maxDequeueCount`` it is moved to ``<queue>-poison`` (its content unchanged) instead.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage

from devhost.invoker import Invoker
from devhost.loader import FunctionSpec

log = logging.getLogger("devhost")

RECEIVE_VISIBILITY_SECONDS = (
    600  # hidden while processed (the host renews; the devhost's functions are shorter)
)
MIN_POLL_SECONDS = 0.1
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)")


def timespan_seconds(raw: str) -> float:
    """A .NET TimeSpan (``[d.]hh:mm:ss[.fff]``) in seconds; ValueError otherwise."""
    found = _TIMESPAN.fullmatch(raw.strip())
    if found is None:
        raise ValueError(f"not a TimeSpan: {raw!r}")
    days, hours, minutes, seconds = found.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueOptions:
    """host.json ``extensions.queues`` with the host's defaults."""

    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    batch_size: int = 16
    max_dequeue_count: int = 5
    base64: bool = True

    @classmethod
    def from_host_json(cls, app_dir: Path) -> QueueOptions:
        try:
            document = json.loads((app_dir / "host.json").read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return cls()
        raw: Mapping[str, Any] = (document.get("extensions") or {}).get("queues") or {}
        defaults = cls()
        return cls(
            max_polling_interval=timespan_seconds(str(raw["maxPollingInterval"]))
            if "maxPollingInterval" in raw
            else defaults.max_polling_interval,
            visibility_timeout=timespan_seconds(str(raw["visibilityTimeout"]))
            if "visibilityTimeout" in raw
            else defaults.visibility_timeout,
            batch_size=int(raw.get("batchSize", defaults.batch_size)),
            max_dequeue_count=int(raw.get("maxDequeueCount", defaults.max_dequeue_count)),
            base64=str(raw.get("messageEncoding", "base64")).lower() != "none",
        )


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def trigger_message(raw: Any, body: bytes) -> func.QueueMessage:
    """The binding value the worker gives a ``func.QueueMessage`` parameter, from a received SDK message."""
    # The worker's own class, which carries the trigger metadata the abstract one lacks (it is unannotated).
    message: func.QueueMessage = QueueMessage(  # type: ignore[no-untyped-call]
        id=raw.id,
        body=body,
        dequeue_count=raw.dequeue_count,
        expiration_time=_aware(raw.expires_on),
        insertion_time=_aware(raw.inserted_on),
        time_next_visible=_aware(raw.next_visible_on),
        pop_receipt=raw.pop_receipt,
    )
    return message


def admin_message(body: str) -> func.QueueMessage:
    """The message Core Tools' admin call (``POST /admin/functions/{name}``) hands a queue trigger: its input."""
    message: func.QueueMessage = QueueMessage(body=body.encode("utf-8"), dequeue_count=1)  # type: ignore[no-untyped-call]
    return message


def decode_body(content: str, *, base64_encoded: bool) -> bytes:
    """The message body; ValueError when base64 is expected and the content is not (the host fails it too)."""
    if not base64_encoded:
        return content.encode("utf-8")
    try:
        return base64.b64decode(content, validate=True)
    except binascii.Error as error:
        raise ValueError(f"message is not valid base64: {error}") from error


class QueueListener:
    """Polls one queue-triggered function's queue on a background thread."""

    def __init__(self, spec: FunctionSpec, invoker: Invoker, options: QueueOptions, connection: str) -> None:
        from azure.storage.queue import QueueClient

        self.spec = spec
        self.options = options
        self.queue_name = str(spec.trigger["queueName"]).lower()
        self._invoker = invoker
        self._queue = QueueClient.from_connection_string(connection, self.queue_name)
        self._poison = QueueClient.from_connection_string(connection, f"{self.queue_name}-poison")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"queue-{spec.name}", daemon=True)
        self._pool = ThreadPoolExecutor(
            max_workers=options.batch_size, thread_name_prefix=f"queue-{spec.name}"
        )

    @classmethod
    def for_spec(cls, spec: FunctionSpec, invoker: Invoker, options: QueueOptions) -> QueueListener | None:
        """None (logged) when the trigger's ``connection`` app setting is missing, as the host refuses to start it."""
        setting = str(spec.trigger.get("connection") or "AzureWebJobsStorage")
        connection = os.environ.get(setting, "").strip()
        if not connection:
            log.error(
                "Function %s: queue connection setting %s is not set; not listening", spec.name, setting
            )
            return None
        return cls(spec, invoker, options, connection)

    def start(self) -> None:
        log.info("Queue %s: function %s listening", self.queue_name, self.spec.name)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)

    def poll_once(self) -> int:
        """Receive one batch and process it; the number of messages received."""
        from azure.core.exceptions import ResourceExistsError

        try:
            batch = list(
                self._queue.receive_messages(
                    max_messages=self.options.batch_size, visibility_timeout=RECEIVE_VISIBILITY_SECONDS
                )
            )
        except Exception as error:  # queue not made yet, storage down: keep polling like the host
            from azure.core.exceptions import ResourceNotFoundError

            if isinstance(error, ResourceNotFoundError):
                with contextlib.suppress(ResourceExistsError):
                    self._queue.create_queue()
            else:
                log.warning("Queue %s: receive failed: %s", self.queue_name, error)
            return 0
        for done in [self._pool.submit(self.process, m) for m in batch]:
            done.result()
        return len(batch)

    def process(self, raw: Any) -> bool:
        """Invoke the function with one message; delete it on success, else release it or poison it."""
        try:
            value: Any = trigger_message(raw, decode_body(raw.content, base64_encoded=self.options.base64))
        except ValueError as error:
            log.error("Queue %s: message %s: %s", self.queue_name, raw.id, error)
            value = None
        reason = f"New queue message detected on '{self.queue_name}'."
        if value is not None and self._invoker.invoke(self.spec, value, reason).succeeded:
            self._queue.delete_message(raw)
            return True
        if raw.dequeue_count >= self.options.max_dequeue_count:
            self._move_to_poison(raw)
        else:
            self._queue.update_message(raw, visibility_timeout=int(self.options.visibility_timeout))
        return False

    def _move_to_poison(self, raw: Any) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self._poison.create_queue()
        self._poison.send_message(raw.content)  # the original content: the encode policy is none here
        self._queue.delete_message(raw)
        log.warning(
            "Message %s has reached MaxDequeueCount of %d. Moving message to queue '%s-poison'.",
            raw.id,
            self.options.max_dequeue_count,
            self.queue_name,
        )

    def _run(self) -> None:
        wait = MIN_POLL_SECONDS
        while not self._stop.is_set():
            received = self.poll_once()
            wait = MIN_POLL_SECONDS if received else min(wait * 2, self.options.max_polling_interval)
            if self._stop.wait(0 if received else wait):
                return
