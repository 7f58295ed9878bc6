"""Webhook subscriptions end to end: handshakes, delivery, retries on the emulator clock, duplicates."""

from __future__ import annotations

from typing import Any

from emulator.eventgrid import EventGrid
from tests.integration.eventgrid.harness import OffsetClock, Webhook

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
APP = "00000000-0000-0000-0000-0000000000a1"
NEW_VERSION = "Microsoft.KeyVault.SecretNewVersionCreated"
GROUP = f"/subscriptions/{SUB}/resourceGroups/demo-rg"
REGISTRY = f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/demoregistry"
CRED_SET = f"{REGISTRY}/credentialSets/dockerhub"


def emit_secret(grid: EventGrid, name: str = "dockerhub-password", version: str = "v1") -> None:
    grid.emit_keyvault(
        event_type=NEW_VERSION,
        subscription_id=SUB,
        resource_group="demo-rg",
        vault="demo-kv",
        object_type="Secret",
        object_name=name,
        version=version,
        nbf=None,
        exp=1_900_000_000,
    )


def emit_credential_set_write(grid: EventGrid) -> None:
    grid.emit_resource(
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        subscription_id=SUB,
        resource_id=CRED_SET,
        operation_name="Microsoft.ContainerRegistry/registries/credentialSets/write",
        principal_id=APP,
        tenant_id=TENANT,
    )


def subscribe(grid: EventGrid, hook: Webhook, name: str = "kv", **extra: Any) -> tuple[int, Any]:
    return grid.put_subscription(name, {"endpoint": hook.url, "eventTypes": [NEW_VERSION], **extra})


def first_attempt(grid: EventGrid, hook: Webhook, statuses: list[int], **extra: Any) -> None:
    """Subscribe, script the webhook's answers and emit one secret; returns once the first delivery
    attempt's outcome is recorded, so a later clock move finds the retry already scheduled."""
    subscribe(grid, hook, **extra)
    hook.statuses = statuses
    emit_secret(grid)
    hook.wait_for(1)
    assert grid.wait_idle()


def advance(grid: EventGrid, clock: OffsetClock, seconds: float) -> None:
    clock.offset += seconds
    grid.clock_advanced()


def test_event_grid_schema_handshake_then_delivery(eventgrid: EventGrid, webhook: Webhook) -> None:
    status, view = subscribe(eventgrid, webhook)
    assert status == 201 and view["schema"] == "EventGridSchema"
    assert webhook.handshakes[0].body[0]["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert webhook.handshakes[0].headers["aeg-event-type"] == "SubscriptionValidation"
    emit_secret(eventgrid)
    emit_credential_set_write(eventgrid)  # another type: filtered out
    [received] = webhook.wait_for(1)
    assert eventgrid.wait_idle()
    assert len(webhook.notifications) == 1
    assert received.headers["content-type"] == "application/json"
    assert received.headers["aeg-event-type"] == "Notification"
    assert received.headers["aeg-subscription-name"] == "KV"
    assert received.headers["aeg-delivery-count"] == "0"
    [event] = received.body
    assert event["eventType"] == NEW_VERSION
    assert event["subject"] == "dockerhub-password"
    assert event["data"]["Id"] == "https://demo-kv.vault.azure.net/secrets/dockerhub-password/v1"
    assert event["data"]["EXP"] == 1_900_000_000
    [row] = eventgrid.deliveries()[1]
    assert (row["subscription"], row["eventId"], row["attempt"], row["status"]) == ("kv", event["id"], 1, 200)


def test_cloud_events_handshake_then_delivery(eventgrid: EventGrid, webhook: Webhook) -> None:
    status, _ = eventgrid.put_subscription(
        "res", {"endpoint": webhook.url, "schema": "CloudEventSchemaV1_0", "topic": f"/subscriptions/{SUB}"}
    )
    assert status == 201
    assert webhook.handshakes[0].headers["webhook-request-origin"] == "eventgrid.azure.net"
    emit_credential_set_write(eventgrid)
    [received] = webhook.wait_for(1)
    assert received.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
    event = received.body
    assert (event["specversion"], event["type"], event["source"]) == (
        "1.0",
        "Microsoft.Resources.ResourceWriteSuccess",
        f"/subscriptions/{SUB}",
    )
    assert event["subject"] == CRED_SET
    assert event["data"]["operationName"] == "Microsoft.ContainerRegistry/registries/credentialSets/write"


def test_failed_handshake_creates_nothing(eventgrid: EventGrid) -> None:
    with Webhook(answer_handshake=False) as hook:
        for schema in ("EventGridSchema", "CloudEventSchemaV1_0"):
            status, body = eventgrid.put_subscription("bad", {"endpoint": hook.url, "schema": schema})
            assert status == 400
            assert body["error"]["code"] == "Url validation"
            assert "secret-function-key" not in body["error"]["message"]
    status, body = eventgrid.put_subscription("gone", {"endpoint": "http://127.0.0.1:9/none"})
    assert status == 400
    assert eventgrid.list_subscriptions() == (200, [])


def test_replacing_and_deleting_a_subscription(eventgrid: EventGrid, webhook: Webhook) -> None:
    assert subscribe(eventgrid, webhook)[0] == 201
    status, view = subscribe(eventgrid, webhook, maxEventsPerBatch=5)
    assert (status, view["maxEventsPerBatch"]) == (200, 5)
    assert len(webhook.handshakes) == 1  # same endpoint and schema: no new handshake
    assert [s["name"] for s in eventgrid.list_subscriptions()[1]] == ["kv"]
    assert eventgrid.put_subscription("kv", {"endpoint": 5})[0] == 400
    assert eventgrid.delete_subscription("kv") == (200, None)
    assert eventgrid.delete_subscription("kv")[0] == 204
    emit_secret(eventgrid)
    assert eventgrid.wait_idle()
    assert webhook.notifications == []


def test_failing_webhook_is_retried_after_the_clock_moves(
    eventgrid: EventGrid, webhook: Webhook, clock: OffsetClock
) -> None:
    first_attempt(eventgrid, webhook, [500])
    assert len(webhook.notifications) == 1  # the retry waits 10 s on the emulator clock
    advance(eventgrid, clock, 11)
    first, second = webhook.wait_for(2)
    assert (first.headers["aeg-delivery-count"], second.headers["aeg-delivery-count"]) == ("0", "1")
    assert first.body[0]["id"] == second.body[0]["id"]
    assert eventgrid.wait_idle()
    rows = eventgrid.deliveries()[1]
    assert [(r["attempt"], r["status"], r["outcome"]) for r in rows] == [
        (1, 500, "Retry"),
        (2, 200, "Delivered"),
    ]
    assert eventgrid.dead_letters() == (200, [])


def test_bad_request_is_not_retried(eventgrid: EventGrid, webhook: Webhook, clock: OffsetClock) -> None:
    first_attempt(eventgrid, webhook, [400])
    advance(eventgrid, clock, 86_400)
    assert eventgrid.wait_idle()
    assert len(webhook.notifications) == 1
    [dead] = eventgrid.dead_letters()[1]
    assert (dead["deadLetterReason"], dead["lastHttpStatusCode"], dead["deliveryAttempts"]) == (
        "NonRetriableError",
        400,
        1,
    )
    assert dead["event"]["eventType"] == NEW_VERSION


def test_unreachable_endpoint_exhausts_its_attempts(
    eventgrid: EventGrid, webhook: Webhook, clock: OffsetClock
) -> None:
    first_attempt(eventgrid, webhook, [503, 503], maxDeliveryAttempts=2)
    advance(eventgrid, clock, 3600)
    webhook.wait_for(2)
    assert eventgrid.wait_idle()
    [dead] = eventgrid.dead_letters()[1]
    assert (dead["deadLetterReason"], dead["deliveryAttempts"]) == ("MaxDeliveryAttemptsExceeded", 2)


def test_deliver_twice_duplicates_every_event(eventgrid: EventGrid, webhook: Webhook) -> None:
    subscribe(eventgrid, webhook, deliverTwice=True)
    emit_secret(eventgrid)
    first, second = webhook.wait_for(2)
    assert eventgrid.wait_idle()
    assert len(webhook.notifications) == 2
    assert first.body == second.body


def test_batches_group_queued_events(eventgrid: EventGrid, webhook: Webhook) -> None:
    subscribe(eventgrid, webhook, maxEventsPerBatch=2)
    eventgrid.hold_deliveries(True)
    for version in ("v1", "v2", "v3"):
        emit_secret(eventgrid, version=version)
    eventgrid.hold_deliveries(False)
    webhook.wait_for(2)
    assert eventgrid.wait_idle()
    batches = [[e["data"]["Version"] for e in n.body] for n in webhook.notifications]
    assert sorted(batches) == [["v1", "v2"], ["v3"]]


def test_reset_drops_everything(eventgrid: EventGrid, webhook: Webhook, clock: OffsetClock) -> None:
    first_attempt(eventgrid, webhook, [500])
    eventgrid.reset()
    advance(eventgrid, clock, 60)
    assert eventgrid.wait_idle()
    assert len(webhook.notifications) == 1
    assert eventgrid.list_subscriptions() == (200, [])
    assert eventgrid.deliveries() == (200, [])


def test_time_to_live_is_applied_at_the_next_scheduled_attempt(
    eventgrid: EventGrid, webhook: Webhook, clock: OffsetClock
) -> None:
    """A 1-minute time-to-live: attempts at 0, 10 and 40 s fail; the fourth, due at 100 s, is scheduled all
    the same and dead-lettered unsent only when it falls due."""
    first_attempt(eventgrid, webhook, [500, 500, 500, 500], eventTimeToLiveInMinutes=1)
    advance(eventgrid, clock, 11)
    webhook.wait_for(2)
    assert eventgrid.wait_idle()
    advance(eventgrid, clock, 31)
    webhook.wait_for(3)
    assert eventgrid.wait_idle()
    assert eventgrid.dead_letters() == (200, [])  # due past the time-to-live, yet not given up on yet
    advance(eventgrid, clock, 61)
    assert eventgrid.wait_idle()
    assert len(webhook.notifications) == 3
    [dead] = eventgrid.dead_letters()[1]
    assert (dead["deadLetterReason"], dead["deliveryAttempts"]) == ("TimeToLiveExceeded", 3)


def test_idle_waits_for_the_backlog_and_refuses_a_bad_timeout(eventgrid: EventGrid, webhook: Webhook) -> None:
    subscribe(eventgrid, webhook)
    eventgrid.hold_deliveries(True)
    emit_secret(eventgrid)
    assert eventgrid.idle({"timeoutSeconds": 0.2}) == (200, {"idle": False})
    eventgrid.hold_deliveries(False)
    assert eventgrid.idle({"timeoutSeconds": 10}) == (200, {"idle": True})
    assert len(webhook.notifications) == 1
    for bad in ({"timeoutSeconds": -1}, {"timeoutSeconds": "5"}, {"timeoutSeconds": True}, [1]):
        assert eventgrid.idle(bad)[0] == 400
