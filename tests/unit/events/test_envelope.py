"""The envelope: both schemas, single and batch, trigger objects, and one error type for what is unreadable."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import ValidationFailed
from shared.events import (
    MAX_BATCH_EVENTS,
    MAX_BODY_BYTES,
    EventParseError,
    from_function_event,
    from_function_events,
    parse_events,
)
from tests.unit.events.conftest import EVENTS, sample

ALL_SAMPLES = sorted(EVENTS.rglob("*.json"))


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_microsoft_sample_parses_as_its_schema(path: Any) -> None:
    raw = json.loads(path.read_text())
    (envelope,) = parse_events(path.read_bytes())

    assert envelope.id == raw["id"]
    if path.parent.name == "cloud-events-schema":
        assert envelope.schema == "CloudEventSchemaV1_0"
        assert (envelope.type, envelope.source) == (raw["type"], raw["source"])
    else:
        assert envelope.schema == "EventGridSchema"
        assert (envelope.type, envelope.source) == (raw["eventType"], raw["topic"])
        assert envelope.data_version == raw["dataVersion"]
    assert envelope.data == raw["data"]
    assert envelope.time is not None and envelope.time.tzinfo is not None


def test_a_batch_keeps_order_and_mixes_nothing_up() -> None:
    first = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    second = sample("resources", "event-grid-schema", "resource_write_success")

    envelopes = parse_events(json.dumps([first, second]))

    assert [e.type for e in envelopes] == [first["eventType"], second["eventType"]]
    assert parse_events("[]") == ()


def test_cloud_events_batch_and_the_specversion_spelling() -> None:
    spelled = sample("resources", "cloud-events-schema", "resource_delete_success")
    assert "specVersion" in spelled

    envelopes = parse_events(
        [spelled, sample("keyvault", "cloud-events-schema", "secret_new_version_created")]
    )

    assert [e.schema for e in envelopes] == ["CloudEventSchemaV1_0"] * 2


def test_seven_digit_fractions_and_trailing_zeros_read_as_the_same_instant() -> None:
    (cloud,) = parse_events(sample("resources", "cloud-events-schema", "resource_delete_success"))
    (grid,) = parse_events(sample("resources", "event-grid-schema", "resource_delete_success"))

    assert cloud.time == grid.time == datetime(2018, 7, 19, 19, 24, 12, 763881, tzinfo=UTC)


def test_cloud_event_extensions_are_kept_and_must_be_scalars() -> None:
    event = {
        **sample("keyvault", "cloud-events-schema", "secret_new_version_created"),
        "traceparent": "00-ab",
    }
    (envelope,) = parse_events(event)
    assert dict(envelope.extensions) == {"traceparent": "00-ab"}

    with pytest.raises(EventParseError, match="extension"):
        parse_events({**event, "traceparent": {"nested": 1}})


class FakeEventGridEvent:
    """The public surface of azure.functions.EventGridEvent (1.26)."""

    def __init__(self, raw: dict[str, Any], event_time: datetime | None) -> None:
        self.id, self.topic, self.subject = raw["id"], raw.get("topic"), raw["subject"]
        self.event_type, self.data_version, self.event_time = raw["eventType"], raw["dataVersion"], event_time
        self._data = raw["data"]

    def get_json(self) -> Any:
        return self._data


class FakeCloudEvent:
    """The public surface of azure.functions.CloudEvent (1.26)."""

    def __init__(self, raw: dict[str, Any], time: datetime | None, **extensions: Any) -> None:
        self.id, self.source, self.type, self.specversion = raw["id"], raw["source"], raw["type"], "1.0"
        self.subject, self.time, self.datacontenttype, self.dataschema = raw.get("subject"), time, None, None
        self.extension_attrs = extensions
        self._data = raw["data"]

    def get_json(self) -> Any:
        return self._data


def test_trigger_objects_give_the_envelopes_their_bodies_give() -> None:
    grid_raw = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    cloud_raw = sample("keyvault", "cloud-events-schema", "secret_new_version_created")
    (grid,) = parse_events(grid_raw)
    (cloud,) = parse_events({**cloud_raw, "traceparent": "00-ab"})

    from_grid = from_function_event(FakeEventGridEvent(grid_raw, grid.time))
    from_cloud = from_function_events([FakeCloudEvent(cloud_raw, cloud.time, traceparent="00-ab")])

    assert from_grid == dataclasses.replace(grid, metadata_version=None)
    assert from_cloud == (cloud,)
    assert dict(from_cloud[0].extensions) == {"traceparent": "00-ab"}
    assert from_function_event(FakeEventGridEvent(grid_raw, None)).time is None


def test_a_trigger_object_of_another_kind_is_refused() -> None:
    with pytest.raises(EventParseError, match="neither"):
        from_function_event(object())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
        (b"{", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b"NaN", "NaN"),
        (b"42", "object or an array"),
        (b"[1]", r"\[0\]: must be an event object"),
        (b'{"id": "x"}', "neither an Event Grid event"),
        (b'{"id": "x", "eventType": "t", "specversion": "1.0"}', "both"),
        (b'{"eventType": "t", "subject": "s", "eventTime": "2020-01-01T00:00:00Z"}', "id: is required"),
        (
            b'{"id": 1, "eventType": "t", "subject": "s", "eventTime": "2020-01-01T00:00:00Z"}',
            "must be a string",
        ),
        (b'{"id": "x", "eventType": "t", "subject": "s", "eventTime": "yesterday"}', "RFC 3339"),
        (
            b'{"id": "x", "eventType": "t", "subject": "s", "eventTime": "2020-01-01T00:00:00Z", "data": [1]}',
            "data",
        ),
        (b'{"id": "x", "type": "t", "source": "s", "specversion": "0.3"}', "'1.0'"),
        (b'{"id": "x", "type": "t", "source": "s", "specversion": "1.0", "data_base64": "AA=="}', "binary"),
        (b'{"id": "x", "ID": "y", "eventType": "t"}', "twice"),
    ],
)
def test_unreadable_bodies_raise_one_error_type(body: bytes, message: str) -> None:
    with pytest.raises(EventParseError, match=message) as caught:
        parse_events(body)
    assert isinstance(caught.value, ValidationFailed) and not caught.value.retryable


def test_deep_nesting_inside_data_is_bounded() -> None:
    data: Any = "leaf"
    for _ in range(40):
        data = {"k": data}
    event = {**sample("keyvault", "event-grid-schema", "secret_new_version_created"), "data": data}

    with pytest.raises(EventParseError, match="nested deeper"):
        parse_events(event)


def test_batches_and_bodies_are_bounded() -> None:
    event = sample("keyvault", "event-grid-schema", "secret_new_version_created")
    assert len(parse_events([event] * MAX_BATCH_EVENTS)) == MAX_BATCH_EVENTS

    with pytest.raises(EventParseError, match="at most"):
        parse_events([event] * (MAX_BATCH_EVENTS + 1))
    with pytest.raises(EventParseError, match="at most"):
        from_function_events([object()] * (MAX_BATCH_EVENTS + 1))
    with pytest.raises(EventParseError, match="larger than"):
        parse_events(b" " * (MAX_BODY_BYTES + 1))


def test_the_envelope_is_read_only_all_the_way_down() -> None:
    (envelope,) = parse_events(sample("resources", "event-grid-schema", "resource_write_success"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        envelope.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        envelope.data["status"] = "Failed"  # type: ignore[index]
    with pytest.raises(TypeError):
        envelope.data["claims"]["aud"] = "x"
    assert hash(envelope) == hash(dataclasses.replace(envelope))


def test_the_envelope_repr_leaves_data_out() -> None:
    event = sample("resources", "event-grid-schema", "resource_delete_success")
    event["data"]["claims"]["aio"] = "FAKE-TOKEN-abc123"
    (envelope,) = parse_events(event)

    assert "FAKE-TOKEN" not in repr(envelope)
    assert envelope.id in repr(envelope) and envelope.type in repr(envelope)


def test_the_real_trigger_classes_read_like_their_bodies() -> None:
    import azure.functions as func

    grid_raw = sample("resources", "event-grid-schema", "resource_write_success")
    cloud_raw = sample("resources", "cloud-events-schema", "resource_write_success")
    (grid,) = parse_events(grid_raw)
    (cloud,) = parse_events(cloud_raw)

    events = from_function_events(
        [
            func.EventGridEvent(
                id=grid.id,
                data=grid_raw["data"],
                topic=grid_raw["topic"],
                subject=grid_raw["subject"],
                event_type=grid.type,
                event_time=grid.time,
                data_version=grid_raw["dataVersion"],
            ),
            func.CloudEvent(
                id=cloud.id,
                source=cloud_raw["source"],
                type=cloud.type,
                specversion="1.0",
                data=cloud_raw["data"],
                time=cloud.time,
                subject=cloud_raw["subject"],
            ),
        ]
    )

    assert events == (dataclasses.replace(grid, metadata_version=None), cloud)
