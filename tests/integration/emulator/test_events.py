"""System events reach a webhook subscription through the Event Grid interface after accepted changes."""

from __future__ import annotations

from typing import Any

from tests.integration.emulator.helpers import Http, create_credential_set, secret_client, wait_for_event
from tests.support.emulator import Emulator


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
    created = wait_for_event(received, "Microsoft.KeyVault.SecretNewVersionCreated")
    assert created["data"]["ObjectName"] == "dockerhub-password"
    cs = create_credential_set(Http(emu))
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 2}).raise_for_status()
    write = wait_for_event(received, "Microsoft.Resources.ResourceWriteSuccess")
    assert write["data"]["resourceUri"].lower() == cs["id"].lower()
