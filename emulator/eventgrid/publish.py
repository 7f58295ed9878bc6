"""Custom topic publish endpoint: authentication and the service's input validation.

Event Grid answers errors as {"error": {"code", "message", "details": [{"code", "message"}]}}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from emulator.eventgrid.payloads import CLOUD_EVENT_SCHEMA, EVENT_GRID_SCHEMA

MAX_BODY = 1024 * 1024  # Event Grid's 1 MB limit for a publish request
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EG_REQUIRED = ("id", "subject", "eventType", "eventTime", "dataVersion")
_CE_REQUIRED = ("specversion", "id", "source", "type")


class PublishError(Exception):
    def __init__(self, status: int, code: str, message: str, detail_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail_code = detail_code or code

    def body(self) -> bytes:
        error = {
            "code": self.code,
            "message": self.message,
            "details": [{"code": self.detail_code, "message": self.message}],
        }
        return json.dumps({"error": error}).encode()


def _bad_request(message: str) -> PublishError:
    return PublishError(400, "BadRequest", message, "InputJsonInvalid")


def _unauthorized(topic: str, reason: str) -> PublishError:
    return PublishError(
        401, "Unauthorized", f"The request authorization key is not authorized for topic {topic}. {reason}"
    )


def _sas_key_bytes(key: str) -> bytes:
    try:
        return base64.b64decode(key, validate=True)
    except ValueError:
        return key.encode()


def _parse_sas_expiry(value: str) -> datetime | None:
    """The SDK signs str(datetime); other clients use ISO 8601. None when unreadable."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_sas_token(token: str, key: str, topic: str, now: float) -> None:
    fields = dict(part.split("=", 1) for part in token.split("&") if "=" in part)
    if not {"r", "e", "s"} <= fields.keys():
        raise _unauthorized(topic, "The SAS token is malformed.")
    unsigned = f"r={fields['r']}&e={fields['e']}".encode("ascii", "replace")
    expected = base64.b64encode(hmac.new(_sas_key_bytes(key), unsigned, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(unquote(fields["s"]), expected):
        raise _unauthorized(topic, "The SAS token signature does not match.")
    expiry = _parse_sas_expiry(unquote(fields["e"]))
    if expiry is None or expiry.timestamp() <= now:
        raise _unauthorized(topic, "The SAS token has expired.")


def authenticate(topic: str, headers: Mapping[str, str], configured_key: str | None, now: float) -> None:
    """aeg-sas-key, aeg-sas-token or an Entra bearer token; a configured topic key makes keys checked."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("aeg-sas-key", "")
    token = lowered.get("aeg-sas-token", "")
    bearer = lowered.get("authorization", "")
    if key:
        if configured_key is not None and not hmac.compare_digest(key, configured_key):
            raise _unauthorized(topic, "The key does not match the configured key of the topic.")
        return
    if token:
        if configured_key is not None:
            _check_sas_token(token, configured_key, topic, now)
        return
    if bearer.lower().startswith("bearer ") and bearer[7:].strip():
        return
    raise _unauthorized(topic, "The request carries neither aeg-sas-key, aeg-sas-token nor a bearer token.")


def schema_of(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/cloudevents+json", "application/cloudevents-batch+json"):
        return CLOUD_EVENT_SCHEMA
    return EVENT_GRID_SCHEMA


def _missing(event: Any, required: tuple[str, ...]) -> list[str]:
    return [k for k in required if not isinstance(event.get(k), str) or not event.get(k)]


def _check_eventgrid(events: Any) -> list[dict[str, Any]]:
    if not isinstance(events, list):
        actual = "StartObject" if isinstance(events, dict) else type(events).__name__
        raise _bad_request(f"Unexpected token when reading JSON. Expected: StartArray, actual: {actual}.")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _bad_request(f"Event at index {index} is not a JSON object.")
        missing = _missing(event, _EG_REQUIRED)
        # dataVersion may be empty (the SDK sends "" when unset); it must be present as a string.
        if "dataVersion" in missing and isinstance(event.get("dataVersion"), str):
            missing.remove("dataVersion")
        if missing:
            raise _bad_request(f"Required property '{missing[0]}' was not set (event at index {index}).")
        if not _RFC3339.match(event["eventTime"]):
            raise _bad_request(f"Property 'eventTime' is not a valid date-time (event at index {index}).")
        if event.get("metadataVersion") not in (None, "1"):
            raise _bad_request(f"Property 'metadataVersion' must be '1' (event at index {index}).")
    return events


def _check_cloudevents(payload: Any, content_type: str) -> list[dict[str, Any]]:
    batch = "cloudevents-batch" in content_type.lower()
    events = payload if isinstance(payload, list) else [payload]
    if batch and not isinstance(payload, list):
        raise _bad_request("A CloudEvents batch must be a JSON array.")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _bad_request(f"Event at index {index} is not a JSON object.")
        missing = _missing(event, _CE_REQUIRED)
        if missing:
            raise _bad_request(f"Required attribute '{missing[0]}' was not set (event at index {index}).")
        if event["specversion"] != "1.0":
            raise _bad_request(f"Unsupported specversion '{event['specversion']}' (event at index {index}).")
        time = event.get("time")
        if time is not None and (not isinstance(time, str) or not _RFC3339.match(time)):
            raise _bad_request(
                f"Attribute 'time' is not a valid RFC 3339 timestamp (event at index {index})."
            )
    return events


def parse_events(
    content_type: str, body: bytes, input_schema: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """(schema, events) of a publish request, or PublishError as the service would answer."""
    if len(body) > MAX_BODY:
        raise PublishError(
            413, "RequestEntityTooLarge", "The request exceeds the maximum size of 1048576 bytes."
        )
    schema = schema_of(content_type)
    if input_schema is not None and schema != input_schema:
        raise _bad_request(f"This topic expects events in {input_schema}; the request is in {schema}.")
    try:
        payload = json.loads(body or b"null")
    except ValueError as exc:
        raise _bad_request("The request body is not valid JSON.") from exc
    if schema == CLOUD_EVENT_SCHEMA:
        return schema, _check_cloudevents(payload, content_type)
    return schema, _check_eventgrid(payload)
