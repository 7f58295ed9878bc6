"""Custom topic publish: authentication and the service's shape validation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.eventgrid import generate_sas

from emulator.eventgrid.publish import PublishError, authenticate, parse_events

EG = "application/json; charset=utf-8"
CE_BATCH = "application/cloudevents-batch+json; charset=utf-8"
CE_SINGLE = "application/cloudevents+json; charset=utf-8"
KEY = base64.b64encode(b"k" * 32).decode()
ENDPOINT = "https://127.0.0.1:8443/eventgrid/topics/health/api/events"


def _event(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A valid event with `overrides` applied; an override of None drops that field."""
    event = {**defaults, **overrides}
    return {k: v for k, v in event.items() if v is not None}


def eg_event(**overrides: Any) -> dict[str, Any]:
    defaults = {
        "id": "1",
        "subject": "s",
        "eventType": "T",
        "eventTime": "2024-01-01T00:00:00.1234567Z",
        "data": {"a": 1},
        "dataVersion": "1.0",
    }
    return _event(defaults, overrides)


def ce_event(**overrides: Any) -> dict[str, Any]:
    defaults = {
        "specversion": "1.0",
        "id": "1",
        "source": "/x",
        "type": "ArtifactCache.RuleUnhealthy",
        "data": {},
    }
    return _event(defaults, overrides)


def error(content_type: str, payload: Any, schema: str | None = None) -> PublishError:
    with pytest.raises(PublishError) as info:
        parse_events(content_type, json.dumps(payload).encode(), schema)
    return info.value


def test_event_grid_arrays_are_accepted() -> None:
    assert parse_events(EG, json.dumps([eg_event(), eg_event(id="2")]).encode(), None) == (
        "EventGridSchema",
        [eg_event(), eg_event(id="2")],
    )
    assert parse_events(EG, json.dumps([eg_event(dataVersion="")]).encode(), None)[1][0]["dataVersion"] == ""


@pytest.mark.parametrize("missing", ["id", "subject", "eventType", "eventTime", "dataVersion"])
def test_event_grid_required_properties(missing: str) -> None:
    err = error(EG, [eg_event(**{missing: None})])
    assert err.status == 400
    body = json.loads(err.body())
    assert body["error"]["code"] == "BadRequest"
    assert missing in body["error"]["message"]
    assert body["error"]["details"][0]["code"] == "InputJsonInvalid"


def test_event_grid_body_must_be_an_array_with_valid_times() -> None:
    assert "StartArray" in error(EG, eg_event()).message
    assert "eventTime" in error(EG, [eg_event(eventTime="yesterday")]).message
    assert "metadataVersion" in error(EG, [eg_event(metadataVersion="2")]).message
    assert error(EG, [1]).status == 400


def test_cloud_events_batch_and_single() -> None:
    assert parse_events(CE_BATCH, json.dumps([ce_event()]).encode(), None) == (
        "CloudEventSchemaV1_0",
        [ce_event()],
    )
    assert parse_events(CE_SINGLE, json.dumps(ce_event()).encode(), None)[1] == [ce_event()]
    assert error(CE_BATCH, ce_event()).status == 400


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type"])
def test_cloud_events_required_attributes(missing: str) -> None:
    err = error(CE_BATCH, [ce_event(**{missing: None})])
    assert err.status == 400 and missing in err.message


def test_cloud_events_version_and_time() -> None:
    assert error(CE_BATCH, [ce_event(specversion="0.3")]).status == 400
    assert error(CE_BATCH, [ce_event(time="now")]).status == 400
    assert parse_events(CE_BATCH, json.dumps([ce_event(time="2024-01-01T00:00:00Z")]).encode(), None)


def test_invalid_json_oversize_and_schema_mismatch() -> None:
    with pytest.raises(PublishError) as info:
        parse_events(EG, b"[{", None)
    assert info.value.status == 400
    with pytest.raises(PublishError) as info:
        parse_events(EG, b" " * (1024 * 1024 + 1), None)
    assert info.value.status == 413
    assert error(EG, [eg_event()], "CloudEventSchemaV1_0").status == 400


def test_any_credential_is_accepted_without_a_topic_key() -> None:
    authenticate("t", {"aeg-sas-key": "anything"}, None, 0)
    authenticate("t", {"aeg-sas-token": "r=a&e=b&s=c"}, None, 0)
    authenticate("t", {"Authorization": "Bearer abc"}, None, 0)
    for headers in ({}, {"aeg-sas-key": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic x"}):
        with pytest.raises(PublishError) as info:
            authenticate("t", headers, None, 0)
        assert info.value.status == 401


def test_configured_key_is_checked() -> None:
    authenticate("t", {"AEG-SAS-KEY": KEY}, KEY, 0)
    with pytest.raises(PublishError) as info:
        authenticate("t", {"aeg-sas-key": "wrong"}, KEY, 0)
    assert info.value.status == 401
    assert KEY not in info.value.message


def test_sas_tokens_from_the_sdk_are_verified() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    token = generate_sas(ENDPOINT, KEY, now + timedelta(hours=1))
    authenticate("t", {"aeg-sas-token": token}, KEY, now.timestamp())
    other = generate_sas(ENDPOINT, base64.b64encode(b"x" * 32).decode(), now + timedelta(hours=1))
    expired = generate_sas(ENDPOINT, KEY, now - timedelta(seconds=1))
    for bad in (other, expired, "garbage"):
        with pytest.raises(PublishError) as info:
            authenticate("t", {"aeg-sas-token": bad}, KEY, now.timestamp())
        assert info.value.status == 401
