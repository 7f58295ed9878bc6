"""What one delivery POST looks like for each schema and batch size."""

from __future__ import annotations

import json

from emulator.eventgrid import payloads
from emulator.eventgrid.delivery import encode_batch
from emulator.eventgrid.subscriptions import parse_subscription


def events(n: int) -> list[dict[str, object]]:
    return [
        payloads.resource_event(
            event_type="Microsoft.Resources.ResourceWriteSuccess",
            subscription_id="s",
            resource_id=f"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v{i}",
            operation_name="Microsoft.KeyVault/vaults/write",
            principal_id="p",
            tenant_id="t",
            status="Succeeded",
            now=0,
        )
        for i in range(n)
    ]


def test_event_grid_schema_is_always_an_array() -> None:
    sub = parse_subscription("My-Sub", {"endpoint": "http://h/x"})
    headers, body = encode_batch(sub, events(1), 0)
    assert headers["Content-Type"] == "application/json"
    assert headers["aeg-event-type"] == "Notification"
    assert headers["aeg-subscription-name"] == "MY-SUB"
    assert (headers["aeg-delivery-count"], headers["aeg-data-version"], headers["aeg-metadata-version"]) == (
        "0",
        "2",
        "1",
    )
    decoded = json.loads(body)
    assert isinstance(decoded, list) and decoded[0]["eventType"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert headers["aeg-output-event-id"] == decoded[0]["id"]


def test_single_cloud_event_and_cloud_event_batches() -> None:
    single = parse_subscription("ce", {"endpoint": "http://h/x", "schema": "CloudEventSchemaV1_0"})
    headers, body = encode_batch(single, events(1), 3)
    assert headers["Content-Type"] == "application/cloudevents+json; charset=utf-8"
    assert headers["aeg-delivery-count"] == "3"
    assert headers["aeg-metadata-version"] == "1.0"
    assert json.loads(body)["specversion"] == "1.0"
    batched = parse_subscription(
        "ce", {"endpoint": "http://h/x", "schema": "CloudEventSchemaV1_0", "maxEventsPerBatch": 10}
    )
    headers, body = encode_batch(batched, events(2), 0)
    assert headers["Content-Type"] == "application/cloudevents-batch+json; charset=utf-8"
    assert [e["type"] for e in json.loads(body)] == ["Microsoft.Resources.ResourceWriteSuccess"] * 2
    assert "aeg-output-event-id" not in headers
