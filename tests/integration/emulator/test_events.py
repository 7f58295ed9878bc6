"""System events reach a webhook subscription through the Event Grid interface after accepted changes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.integration.emulator.helpers import Http, create_credential_set, secret_client
from tests.support.emulator import Emulator


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            events = events if isinstance(events, list) else [events]
            answer = b""
            for event in events:
                if event.get("eventType") == "Microsoft.EventGrid.SubscriptionValidationEvent":
                    answer = json.dumps({"validationResponse": event["data"]["validationCode"]}).encode()
                else:
                    received.append(event)
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def _wait_for(received: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in received:
            if event["eventType"] == event_type:
                return event
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} in {[e['eventType'] for e in received]}")


def test_secret_and_resource_events_are_delivered(
    emu: Emulator, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    endpoint, received = webhook
    answer = emu.control(
        "PUT",
        "/_emulator/event-subscriptions/all",
        json={"endpoint": endpoint, "eventTypes": [], "schema": "EventGridSchema"},
    )
    assert answer.status_code in (200, 201), answer.text
    secret_client(emu).set_secret("dockerhub-password", "new-value")
    created = _wait_for(received, "Microsoft.KeyVault.SecretNewVersionCreated")
    assert created["data"]["ObjectName"] == "dockerhub-password"
    cs = create_credential_set(Http(emu))
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 2}).raise_for_status()
    write = _wait_for(received, "Microsoft.Resources.ResourceWriteSuccess")
    assert write["data"]["resourceUri"].lower() == cs["id"].lower()
