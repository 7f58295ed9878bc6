"""What the Event Grid extension's webhook does with a delivery, before the function runs.

Handles both delivery schemas: Event Grid schema (always a JSON array) and CloudEvents 1.0 (one
event as `application/cloudevents+json`, or a batch array), the Event Grid subscription validation
handshake, and turns each event into the object the worker would hand the function.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.meta import Datum

VALIDATION_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionValidationEvent"
UNSUBSCRIBE_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionDeletedEvent"


class PayloadError(ValueError):
    """The body is not an Event Grid delivery (answered 400)."""


@dataclass
class Delivery:
    """A parsed POST: either a validation handshake (code set) or events to invoke."""

    events: list[dict[str, Any]]
    validation_code: str | None = None
    unsubscribe: bool = False


def _is_cloud_event(event: dict[str, Any]) -> bool:
    return "specversion" in event or "specVersion" in event


def _normalise(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise PayloadError("every event must be a JSON object")
    if "specVersion" in event and "specversion" not in event:  # seen in Microsoft's own samples
        return {("specversion" if k == "specVersion" else k): v for k, v in event.items()}
    return dict(event)


def parse_delivery(body: bytes, content_type: str, aeg_event_type: str | None) -> Delivery:
    """Parse a webhook POST body; raise PayloadError for anything Event Grid would not send."""
    try:
        document = json.loads(body.decode("utf-8-sig") or "null")
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(f"body is not JSON: {error}") from error
    if isinstance(document, dict) and (_is_cloud_event(document) or "cloudevents" in content_type.lower()):
        document = [document]
    if not isinstance(document, list):
        raise PayloadError("expected a JSON array of events or a single CloudEvent")
    events = [_normalise(e) for e in document]
    header = (aeg_event_type or "").lower()
    first_type = events[0].get("eventType") if events else None
    if header == "subscriptionvalidation" or first_type == VALIDATION_EVENT_TYPE:
        data = events[0].get("data") if events else None
        code = data.get("validationCode") if isinstance(data, dict) else None
        if not isinstance(code, str):
            raise PayloadError("validation event without data.validationCode")
        return Delivery([], validation_code=code)
    if header == "unsubscribe" or first_type == UNSUBSCRIBE_EVENT_TYPE:
        return Delivery([], unsubscribe=True)
    for event in events:
        if not isinstance(event.get("id"), str):
            raise PayloadError("every event needs a string id")
    return Delivery(events)


def _decode(event: dict[str, Any]) -> Any:
    """The azure-functions library's own Event Grid trigger decoding (what the worker runs)."""
    return EventGridEventInConverter.decode(Datum(json.dumps(event), "json"), trigger_metadata={})


def _parse_time(value: Any) -> Any:
    return EventGridEventInConverter._parse_datetime(value if isinstance(value, str) else None)


def to_trigger_value(event: dict[str, Any], annotation: Any = None) -> Any:
    """The object the function receives for one event.

    Event Grid schema -> func.EventGridEvent exactly as the library decodes it. A CloudEvent becomes a
    func.EventGridEvent too (type->event_type, source->topic, time->event_time, data_version "") so
    handlers written for func.EventGridEvent run unchanged whichever schema the subscription uses;
    a function whose trigger parameter is annotated func.CloudEvent gets the library's CloudEvent.
    """
    if not _is_cloud_event(event):
        return _decode(event)
    if annotation is func.CloudEvent:
        return _decode(event)
    return func.EventGridEvent(
        id=event["id"],
        data=event.get("data"),  # type: ignore[arg-type]
        topic=event.get("source") or "",
        subject=event.get("subject") or "",
        event_type=event.get("type") or "",
        event_time=_parse_time(event.get("time")),
        data_version="",
    )
