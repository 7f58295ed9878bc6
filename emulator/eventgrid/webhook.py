"""Outbound HTTP to subscriber webhooks: the validation handshakes and event POSTs.

http.client (not requests) so no proxy settings reroute loopback traffic; https endpoints are verified
against REQUESTS_CA_BUNDLE / SSL_CERT_FILE when set, else the system store, as Event Grid verifies TLS.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emulator.eventgrid.payloads import validation_event

ORIGIN = "eventgrid.azure.net"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


def base_url(url: str) -> str:
    """The endpoint without its query (which may carry a function key): safe for logs and errors."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _tls_context() -> ssl.SSLContext:
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    return ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()


def request(method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Response:
    """One HTTP exchange; raises OSError/HTTPException when the endpoint does not answer."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def _handshake_error(endpoint: str, detail: str) -> str:
    return (
        f"Webhook validation handshake failed for {base_url(endpoint)}. {detail} "
        "For troubleshooting, visit https://aka.ms/esvalidation."
    )


def validate_eventgrid_endpoint(
    endpoint: str, *, topic: str, subscription_name: str, now: float, timeout: float
) -> str | None:
    """Event Grid schema handshake: POST a SubscriptionValidationEvent, expect its code back."""
    code = str(uuid.uuid4()).upper()
    event = validation_event(topic=topic, subscription_name=subscription_name, code=code, now=now)
    headers = {
        "Content-Type": "application/json",
        "aeg-event-type": "SubscriptionValidation",
        "aeg-subscription-name": subscription_name.upper(),
        "aeg-delivery-count": "0",
        "aeg-data-version": "1",
        "aeg-metadata-version": "1",
    }
    try:
        resp = request("POST", endpoint, headers, json.dumps([event]).encode(), timeout)
    except (OSError, http.client.HTTPException) as exc:
        return _handshake_error(endpoint, f"Http POST request failed with {type(exc).__name__}.")
    if resp.status != 200:
        return _handshake_error(endpoint, f"Http POST request failed with response code {resp.status}.")
    try:
        answer: Any = json.loads(resp.body or b"null")
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or str(answer.get("validationResponse", "")).upper() != code:
        return _handshake_error(endpoint, "The response did not carry the validationResponse code.")
    return None


def validate_cloudevents_endpoint(endpoint: str, *, timeout: float) -> str | None:
    """CloudEvents 1.0 webhook abuse protection: OPTIONS with WebHook-Request-Origin. None = passed."""
    try:
        resp = request("OPTIONS", endpoint, {"WebHook-Request-Origin": ORIGIN}, None, timeout)
    except (OSError, http.client.HTTPException) as exc:
        return _handshake_error(endpoint, f"Http OPTIONS request failed with {type(exc).__name__}.")
    if not 200 <= resp.status <= 204:
        return _handshake_error(endpoint, f"Http OPTIONS request failed with response code {resp.status}.")
    allowed = [o.strip().lower() for o in resp.headers.get("webhook-allowed-origin", "").split(",")]
    if ORIGIN not in allowed and "*" not in allowed:
        return _handshake_error(endpoint, "The response did not allow origin eventgrid.azure.net.")
    return None
