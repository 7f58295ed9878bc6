"""One frozen envelope for an Event Grid delivery, whichever schema it came in.

``parse_events`` reads webhook bodies (Event Grid schema or CloudEvents 1.0 structured mode, single or batch);
``from_function_events`` reads what the Functions trigger hands over (``func.EventGridEvent`` /
``func.CloudEvent``, duck-typed so this package needs no Azure import). Anything unreadable raises
:class:`EventParseError` and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, NoReturn

from shared.events._fields import EMPTY, EventParseError, Fields, Frozen, FrozenMap, freeze, join, parse_time

Schema = Literal["EventGridSchema", "CloudEventSchemaV1_0"]
EVENT_GRID: Schema = "EventGridSchema"
CLOUD_EVENTS: Schema = "CloudEventSchemaV1_0"

MAX_BATCH_EVENTS = 5000
"""Event Grid's own ceiling: ``maxEventsPerBatch`` is 1-5,000 and a publish may carry 5,000 events."""
MAX_BODY_BYTES = 2 * 1024 * 1024
"""Twice Event Grid's 1 MB cap on an event and on a batch, so a real delivery always fits."""

_CLOUD_EVENT_ATTRIBUTES = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data"}
)
Extension = str | int | bool
_NO_EXTENSIONS: Mapping[str, Extension] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class EventEnvelope:
    """What every event has, read-only. ``source`` is Event Grid's ``topic`` or CloudEvents' ``source``.

    ``data`` and ``extensions`` are left out of ``repr`` (they may carry claims and tokens) and of hashing.
    """

    id: str
    type: str
    schema: Schema
    source: str | None
    subject: str | None
    time: datetime | None
    data: FrozenMap = field(repr=False, hash=False)
    data_version: str | None = None
    metadata_version: str | None = None
    data_content_type: str | None = None
    data_schema: str | None = None
    extensions: Mapping[str, Extension] = field(
        default_factory=lambda: _NO_EXTENSIONS, repr=False, hash=False
    )

    @property
    def topic(self) -> str | None:
        """Event Grid's name for ``source``."""
        return self.source


def parse_events(body: bytes | bytearray | memoryview | str | object) -> tuple[EventEnvelope, ...]:
    """Envelopes from a webhook body (raw bytes/str, or JSON already decoded): one object or an array."""
    document = _decode(body) if isinstance(body, bytes | bytearray | memoryview | str) else body
    if isinstance(document, Mapping):
        return (_from_json(document, ""),)
    if isinstance(document, list | tuple):
        _check_batch_size(len(document))
        return tuple(_from_json(item, f"[{i}]") for i, item in enumerate(document))
    _fail("", "must be a JSON object or an array of objects")


def from_function_event(event: object) -> EventEnvelope:
    """The envelope of one ``func.EventGridEvent`` or ``func.CloudEvent`` (read through their public attributes)."""
    return _from_function(event, "")


def from_function_events(events: object) -> tuple[EventEnvelope, ...]:
    """Envelopes from what a trigger passes: one event object or a list of them (``cardinality=many``)."""
    if isinstance(events, list | tuple):
        _check_batch_size(len(events))
        return tuple(_from_function(event, f"[{i}]") for i, event in enumerate(events))
    return (_from_function(events, ""),)


def _decode(body: bytes | bytearray | memoryview | str) -> object:
    size = len(body) if not isinstance(body, memoryview) else body.nbytes
    if size > MAX_BODY_BYTES:
        _fail("", f"is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body if isinstance(body, str) else bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail("", "is not UTF-8")
    if not text.strip():
        _fail("", "is empty")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except EventParseError:
        raise
    except (ValueError, RecursionError):
        _fail("", "is not valid JSON (or nests too deeply)")


def _refuse_constant(name: str) -> NoReturn:
    _fail("", f"is not valid JSON ({name} is not a JSON number)")


def _check_batch_size(count: int) -> None:
    if count > MAX_BATCH_EVENTS:
        _fail("", f"has {count} events; at most {MAX_BATCH_EVENTS} are accepted in one delivery")


def _from_json(item: object, where: str) -> EventEnvelope:
    fields = _fields_of(item, where)
    if "specversion" in fields and "eventType" in fields:
        _fail(where, "has both 'specversion' and 'eventType': neither schema")
    if "specversion" in fields:
        return _cloud_event(fields, parse_time(fields.text("time"), join(where, "time")))
    if "eventType" in fields:
        return _event_grid_event(
            fields, parse_time(fields.required_text("eventTime"), join(where, "eventTime"))
        )
    _fail(where, "is neither an Event Grid event (eventType) nor a CloudEvent (specversion)")


def _fields_of(item: object, where: str) -> Fields:
    if not isinstance(item, Mapping):
        _fail(where, "must be an event object")
    frozen = freeze(item, where)
    assert isinstance(frozen, Mapping)
    return Fields(frozen, where)


def _event_grid_event(fields: Fields, time: datetime | None) -> EventEnvelope:
    return EventEnvelope(
        id=fields.required_text("id"),
        type=fields.required_text("eventType"),
        schema=EVENT_GRID,
        source=fields.text("topic"),
        subject=fields.required_text("subject"),
        time=time,
        data=_data(fields.raw("data"), join(fields.where, "data")),
        data_version=fields.text("dataVersion"),
        metadata_version=fields.text("metadataVersion"),
    )


def _cloud_event(fields: Fields, time: datetime | None) -> EventEnvelope:
    if fields.required_text("specversion") != "1.0":
        _fail(join(fields.where, "specversion"), "must be '1.0'")
    if "data_base64" in fields:
        _fail(
            join(fields.where, "data_base64"), "binary data is not supported; system events carry JSON data"
        )
    extensions: dict[str, Extension] = {}
    for key in sorted(fields.keys() - _CLOUD_EVENT_ATTRIBUTES):
        value = fields.raw(key)
        if value is None:
            continue
        if not isinstance(value, str | int | bool):
            _fail(join(fields.where, key), "an extension attribute must be a string, integer or boolean")
        extensions[key] = value
    return EventEnvelope(
        id=fields.required_text("id"),
        type=fields.required_text("type"),
        schema=CLOUD_EVENTS,
        source=fields.required_text("source"),
        subject=fields.text("subject"),
        time=time,
        data=_data(fields.raw("data"), join(fields.where, "data")),
        data_content_type=fields.text("datacontenttype"),
        data_schema=fields.text("dataschema"),
        extensions=MappingProxyType(extensions) if extensions else _NO_EXTENSIONS,
    )


def _from_function(event: object, where: str) -> EventEnvelope:
    """Map the trigger object's attributes onto the wire names and read them as a body would be read.

    The worker has parsed the time already (``None`` when it could not), so it is taken as given.
    """
    get_json = getattr(event, "get_json", None)
    data = get_json() if callable(get_json) else None
    if hasattr(event, "event_type"):
        wire: dict[str, object] = {
            "id": getattr(event, "id", None),
            "eventType": event.event_type,
            "topic": getattr(event, "topic", None),
            "subject": getattr(event, "subject", None),
            "dataVersion": getattr(event, "data_version", None),
            "data": data,
        }
        time = parse_time(getattr(event, "event_time", None), join(where, "eventTime"))
        return _event_grid_event(_fields_of(wire, where), time)
    if hasattr(event, "specversion"):
        wire = {
            **_extension_attrs(event, where),
            "specversion": event.specversion,
            "id": getattr(event, "id", None),
            "type": getattr(event, "type", None),
            "source": getattr(event, "source", None),
            "subject": getattr(event, "subject", None),
            "datacontenttype": getattr(event, "datacontenttype", None),
            "dataschema": getattr(event, "dataschema", None),
            "data": data,
        }
        time = parse_time(getattr(event, "time", None), join(where, "time"))
        return _cloud_event(_fields_of(wire, where), time)
    _fail(where, "is neither a func.EventGridEvent nor a func.CloudEvent")


def _extension_attrs(event: object, where: str) -> dict[str, object]:
    attrs = getattr(event, "extension_attrs", None)
    if attrs is None:
        return {}
    if not isinstance(attrs, Mapping):
        _fail(join(where, "extension_attrs"), "must be a mapping")
    return {str(k): v for k, v in attrs.items() if str(k).casefold() not in _CLOUD_EVENT_ATTRIBUTES}


def _data(value: Frozen, where: str) -> FrozenMap:
    if value is None:
        return EMPTY
    if not isinstance(value, Mapping):
        _fail(where, "must be a JSON object")
    return value


def _fail(where: str, message: str) -> NoReturn:
    raise EventParseError.at(where, message)
