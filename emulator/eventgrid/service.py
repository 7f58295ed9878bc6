"""The Event Grid stand-in the emulator core routes to (interface: brief/eventgrid-interface.md).

Control API bodies (JSON), beyond the interface's fields:
- PUT /_emulator/event-subscriptions/{name}: "endpoint" (http(s) URL), "eventTypes" ([] = all),
  "schema" ("EventGridSchema" default | "CloudEventSchemaV1_0"), optional filters "topic" (alias "source":
  equal-or-prefix of the event's topic, case-insensitive), "subjectBeginsWith", "subjectEndsWith";
  retry policy "maxDeliveryAttempts" (1-30, default 30), "eventTimeToLiveInMinutes" (1-1440, default 1440);
  "maxEventsPerBatch" (1-5000, default 1); fault knob "deliverTwice": true delivers every event twice.
- advanced filtering: "advancedFilters" (Event Grid's form, see emulator.eventgrid.filters) and
  "enableAdvancedFilteringOnArrays"; a subscription whose "topic" names a custom topic (its name, or an ARM id
  ending /providers/Microsoft.EventGrid/topics/{name}) receives what is published there, as in Azure.
- PUT /_emulator/topics/{topic} {"key"?, "inputSchema"?}: publishes must then carry that key (aeg-sas-key, or
  an aeg-sas-token signed with it) and/or use that schema; without it any non-empty credential is accepted.
- GET /_emulator/dead-letters: events given up on (non-retriable answer, attempts or time-to-live exhausted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from emulator.eventgrid import payloads, publish
from emulator.eventgrid.delivery import DeliveryEngine
from emulator.eventgrid.payloads import CLOUD_EVENT_SCHEMA, SCHEMAS
from emulator.eventgrid.subscriptions import InvalidSubscription, Subscription, parse_subscription
from emulator.eventgrid.webhook import validate_cloudevents_endpoint, validate_eventgrid_endpoint

LOCAL_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _arm_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class EventGrid:
    """System topics with webhook subscriptions, plus custom topics that keep what is published."""

    def __init__(
        self, *, now: Callable[[], float], handshake_timeout: float = 30.0, delivery_timeout: float = 30.0
    ) -> None:
        self._now = now
        self._handshake_timeout = handshake_timeout
        self._lock = threading.Lock()
        # Replaced wholesale under the lock, read lock-free by delivery workers (atomic dict.get).
        self._subs: dict[str, Subscription] = {}
        self._topics: dict[str, list[dict[str, Any]]] = {}
        self._topic_keys: dict[str, str] = {}
        self._topic_schemas: dict[str, str] = {}
        self._engine = DeliveryEngine(now=now, subscription=self._lookup, timeout=delivery_timeout)

    def _lookup(self, name: str) -> Subscription | None:
        return self._subs.get(name)

    # -- lifecycle --
    def reset(self) -> None:
        with self._lock:
            self._subs = {}
            self._topics = {}
            self._topic_keys = {}
            self._topic_schemas = {}
        self._engine.reset()

    def close(self) -> None:
        self._engine.close()

    def clock_advanced(self) -> None:
        self._engine.wake()

    def hold_deliveries(self, held: bool) -> None:
        """Queue events without delivering them until released (builds a backlog; for tests)."""
        self._engine.hold(held)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is in flight or due (not part of the core interface; for tests)."""
        return self._engine.wait_idle(timeout)

    # -- control API --
    def put_subscription(self, name: str, body: Any) -> tuple[int, Any]:
        """Create or replace a webhook subscription; a new endpoint must pass Event Grid's handshake first."""
        try:
            sub = parse_subscription(name, body)
        except InvalidSubscription as exc:
            return 400, _arm_error("InvalidRequest", str(exc))
        existing = self._subs.get(name)
        if existing is None or (existing.endpoint, existing.schema) != (sub.endpoint, sub.schema):
            failure = self._handshake(sub)
            if failure is not None:
                return 400, _arm_error("Url validation", failure)
        with self._lock:
            created = name not in self._subs
            self._subs = {**self._subs, name: sub}
        return (201 if created else 200), sub.view()

    def _handshake(self, sub: Subscription) -> str | None:
        if sub.schema == CLOUD_EVENT_SCHEMA:
            return validate_cloudevents_endpoint(sub.endpoint, timeout=self._handshake_timeout)
        return validate_eventgrid_endpoint(
            sub.endpoint,
            topic=sub.topic or payloads.subscription_topic(LOCAL_SUBSCRIPTION),
            subscription_name=sub.name,
            now=self._now(),
            timeout=self._handshake_timeout,
        )

    def delete_subscription(self, name: str) -> tuple[int, Any]:
        with self._lock:
            if name not in self._subs:
                return 204, None
            self._subs = {k: v for k, v in self._subs.items() if k != name}
        self._engine.drop_subscription(name)
        return 200, None

    def list_subscriptions(self) -> tuple[int, Any]:
        return 200, [s.view() for s in self._subs.values()]

    def put_topic(self, topic: str, body: Any) -> tuple[int, Any]:
        """PUT /_emulator/topics/{topic} {"key"?, "inputSchema"?}: require a key / one schema on publish."""
        if not isinstance(body, dict):
            return 400, _arm_error("InvalidRequest", "the body must be a JSON object")
        key = body.get("key")
        schema = body.get("inputSchema")
        if key is not None and (not isinstance(key, str) or not key):
            return 400, _arm_error("InvalidRequest", "'key' must be a non-empty string")
        if schema is not None and schema not in SCHEMAS:
            return 400, _arm_error("InvalidRequest", f"'inputSchema' must be one of {', '.join(SCHEMAS)}")
        with self._lock:
            created = topic not in self._topic_keys and topic not in self._topic_schemas
            self._topic_keys.pop(topic, None)
            self._topic_schemas.pop(topic, None)
            if key is not None:
                self._topic_keys[topic] = key
            if schema is not None:
                self._topic_schemas[topic] = schema
        view = {"name": topic, "keyConfigured": key is not None, "inputSchema": schema}
        return (201 if created else 200), view

    def topic_events(self, topic: str) -> tuple[int, Any]:
        with self._lock:
            return 200, [dict(record) for record in self._topics.get(topic, [])]

    def deliveries(self) -> tuple[int, Any]:
        return 200, self._engine.attempts()

    def idle(self, body: Any) -> tuple[int, Any]:
        """Wait (at most ``timeoutSeconds``, 0-300) for the backlog to drain, so a tool measures one burst of events
        at a time; answers whether it drained."""
        timeout = (body or {}).get("timeoutSeconds", 30) if isinstance(body, dict) else None
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= 300:
            return 400, _arm_error("InvalidRequest", "timeoutSeconds must be a number from 0 to 300")
        return 200, {"idle": self._engine.wait_idle(float(timeout))}

    def dead_letters(self) -> tuple[int, Any]:
        return 200, self._engine.dead_letters()

    # -- custom topic data plane --
    def publish(
        self, topic: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """POST /eventgrid/topics/{topic}/api/events: 200 with an empty body, or the service's error."""
        with self._lock:
            key = self._topic_keys.get(topic)
            input_schema = self._topic_schemas.get(topic)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        try:
            publish.authenticate(topic, headers, key, self._now())
            schema, events = publish.parse_events(content_type, body, input_schema)
        except publish.PublishError as exc:
            return exc.status, dict(_JSON), exc.body()
        received = payloads.event_time(self._now())
        with self._lock:
            stored = self._topics.setdefault(topic, [])
            stored.extend({"schema": schema, "receivedTime": received, "event": e} for e in events)
        for event in events:
            self._emit(_with_topic(event, topic), topic=topic)
        return 200, {}, b""

    # -- system events (never block: queue and return) --
    def _emit(self, event: dict[str, Any], *, topic: str | None = None) -> None:
        """Queue `event` for every matching subscription; `topic` names the custom topic it was published to
        (None: a system event)."""
        for sub in list(self._subs.values()):
            if sub.matches(event, topic):
                for _ in range(2 if sub.deliver_twice else 1):
                    self._engine.enqueue(sub.name, event)

    def emit_keyvault(self, **fields: Any) -> None:
        """`fields` are payloads.keyvault_event's, checked there; the service adds its clock's time."""
        self._emit(payloads.keyvault_event(**fields, now=self._now()))

    def emit_resource(self, *, status: str = "Succeeded", http_status: int = 200, **fields: Any) -> None:
        """`fields` are payloads.resource_event's; `http_status` is accepted for the interface, as the
        Resources event schema carries no status code."""
        self._emit(payloads.resource_event(**fields, status=status, now=self._now()))


def custom_topic_id(topic: str) -> str:
    """The ARM id Event Grid writes into a custom topic's events. Assumption: the emulator's topics live in
    resource group `eventgrid` of the emulator's subscription (they are not ARM resources here)."""
    return f"/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/eventgrid/providers/Microsoft.EventGrid/topics/{topic}"


def _with_topic(event: dict[str, Any], topic: str) -> dict[str, Any]:
    """Event Grid sets the `topic` of an Event Grid schema event published to a custom topic."""
    if "specversion" in event:
        return event
    return {**event, "topic": custom_topic_id(topic)}
