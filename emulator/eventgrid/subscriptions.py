"""Webhook event subscriptions: the control-API body, its validation, and event filtering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emulator.eventgrid.filters import AdvancedFilter, InvalidFilter, envelope, parse_filters
from emulator.eventgrid.payloads import EVENT_GRID_SCHEMA, SCHEMAS

MAX_BATCH = 5000  # Event Grid's upper bound for maxEventsPerBatch
MAX_ATTEMPTS = 30  # retryPolicy.maxDeliveryAttempts: 1-30, default 30
MAX_TTL_MINUTES = 1440  # retryPolicy.eventTimeToLiveInMinutes: 1-1440, default 1440


class InvalidSubscription(ValueError):
    """The body of PUT /_emulator/event-subscriptions/{name} is not acceptable."""


@dataclass(frozen=True)
class Subscription:
    name: str
    endpoint: str
    event_types: tuple[str, ...]
    schema: str
    topic: str | None
    subject_begins_with: str | None
    subject_ends_with: str | None
    max_events_per_batch: int
    max_delivery_attempts: int
    ttl_minutes: int
    deliver_twice: bool
    advanced_filters: tuple[AdvancedFilter, ...] = ()
    filter_arrays: bool = False

    def view(self) -> dict[str, Any]:
        """The subscription as stored (what the control API answers)."""
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "eventTypes": list(self.event_types),
            "schema": self.schema,
            "topic": self.topic,
            "subjectBeginsWith": self.subject_begins_with,
            "subjectEndsWith": self.subject_ends_with,
            "maxEventsPerBatch": self.max_events_per_batch,
            "maxDeliveryAttempts": self.max_delivery_attempts,
            "eventTimeToLiveInMinutes": self.ttl_minutes,
            "deliverTwice": self.deliver_twice,
            "advancedFilters": [f.view() for f in self.advanced_filters],
            "enableAdvancedFilteringOnArrays": self.filter_arrays,
            "provisioningState": "Succeeded",
        }

    def matches(self, event: dict[str, Any], topic: str | None = None) -> bool:
        """Event Grid's filter semantics: case-insensitive type, subject prefix/suffix and advanced filters.
        A system event (`topic` None) reaches subscriptions whose `topic` is a prefix of its own (or that name
        none); a custom topic's event only those that name that topic."""
        if topic is not None:
            if not self.on_custom_topic(topic):
                return False
        elif self.topic and not envelope(event, "topic").lower().startswith(self.topic.lower()):
            return False
        event_type = envelope(event, "eventType").lower()
        if self.event_types and event_type not in {t.lower() for t in self.event_types}:
            return False
        subject = envelope(event, "subject").lower()
        if self.subject_begins_with and not subject.startswith(self.subject_begins_with.lower()):
            return False
        if self.subject_ends_with and not subject.endswith(self.subject_ends_with.lower()):
            return False
        return all(f.matches(event, self.filter_arrays) for f in self.advanced_filters)

    def on_custom_topic(self, topic: str) -> bool:
        """Whether `topic` names custom topic `topic`: its name, or an ARM id ending /topics/{name}."""
        if not self.topic:
            return False
        mine = self.topic.lower().rstrip("/")
        return mine == topic.lower() or mine.endswith(
            f"/providers/microsoft.eventgrid/topics/{topic.lower()}"
        )


def _optional_str(body: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidSubscription(f"'{key}' must be a string")
        return value or None
    return None


def _bounded_int(body: dict[str, Any], key: str, default: int, upper: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise InvalidSubscription(f"'{key}' must be an integer between 1 and {upper}")
    return value


def parse_subscription(name: str, body: Any) -> Subscription:
    """Validate a control-API body; unknown fields are ignored like ARM ignores unknown properties."""
    if not isinstance(body, dict):
        raise InvalidSubscription("the body must be a JSON object")
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
        raise InvalidSubscription("'endpoint' must be an http(s) URL")
    if not urlsplit(endpoint).hostname:
        raise InvalidSubscription("'endpoint' must name a host")
    event_types = body.get("eventTypes") or []
    if not isinstance(event_types, list) or not all(isinstance(t, str) and t for t in event_types):
        raise InvalidSubscription("'eventTypes' must be a list of event type names")
    schema = body.get("schema") or EVENT_GRID_SCHEMA
    if schema not in SCHEMAS:
        raise InvalidSubscription(f"'schema' must be one of {', '.join(SCHEMAS)}")
    deliver_twice = body.get("deliverTwice", False)
    if not isinstance(deliver_twice, bool):
        raise InvalidSubscription("'deliverTwice' must be a boolean")
    filter_arrays = body.get("enableAdvancedFilteringOnArrays", False)
    if not isinstance(filter_arrays, bool):
        raise InvalidSubscription("'enableAdvancedFilteringOnArrays' must be a boolean")
    try:
        advanced = parse_filters(body.get("advancedFilters"))
    except InvalidFilter as exc:
        raise InvalidSubscription(str(exc)) from exc
    return Subscription(
        name=name,
        endpoint=endpoint,
        event_types=tuple(event_types),
        schema=schema,
        topic=_optional_str(body, "topic", "source"),
        subject_begins_with=_optional_str(body, "subjectBeginsWith"),
        subject_ends_with=_optional_str(body, "subjectEndsWith"),
        max_events_per_batch=_bounded_int(body, "maxEventsPerBatch", 1, MAX_BATCH),
        max_delivery_attempts=_bounded_int(body, "maxDeliveryAttempts", MAX_ATTEMPTS, MAX_ATTEMPTS),
        ttl_minutes=_bounded_int(body, "eventTimeToLiveInMinutes", MAX_TTL_MINUTES, MAX_TTL_MINUTES),
        deliver_twice=deliver_twice,
        advanced_filters=advanced,
        filter_arrays=filter_arrays,
    )
