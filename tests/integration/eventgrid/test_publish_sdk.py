"""The real azure-eventgrid EventGridPublisherClient publishing to EventGrid.publish over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.core.credentials import AzureKeyCredential, AzureSasCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient, generate_sas

from emulator.eventgrid import EventGrid
from tests.integration.eventgrid.harness import Webhook, https_publish_front

KEY = "dGhpcyBpcyBhIHRvcGljIGtleSBmb3IgdGVzdHMgb25seQ=="


@pytest.fixture
def front(eventgrid: EventGrid, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with https_publish_front(eventgrid, tmp_path) as (base, ca):
        yield base, str(ca)


def endpoint(base: str, topic: str) -> str:
    return f"{base}/eventgrid/topics/{topic}/api/events"


def test_cloud_events_are_kept_with_their_schema(eventgrid: EventGrid, front: tuple[str, str]) -> None:
    base, ca = front
    client = EventGridPublisherClient(endpoint(base, "health"), AzureKeyCredential("any-key"))
    rule = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r/cacheRules/ubuntu"
    events = [
        CloudEvent(
            source="/acr-cache-autopilot",
            type="ArtifactCache.RuleUnhealthy",
            subject=rule,
            data={"reason": "SecretExpired"},
        ),
        CloudEvent(source="/acr-cache-autopilot", type="ArtifactCache.RuleRecovered", subject=rule, data={}),
    ]
    client.send(events, connection_verify=ca)
    client.send(events[0], connection_verify=ca)
    status, records = eventgrid.topic_events("health")
    assert status == 200
    assert [r["schema"] for r in records] == ["CloudEventSchemaV1_0"] * 3
    assert [r["event"]["type"] for r in records] == [
        "ArtifactCache.RuleUnhealthy",
        "ArtifactCache.RuleRecovered",
        "ArtifactCache.RuleUnhealthy",
    ]
    first = records[0]["event"]
    assert (first["specversion"], first["subject"], first["data"]) == (
        "1.0",
        rule,
        {"reason": "SecretExpired"},
    )
    assert first["id"] == events[0].id
    assert eventgrid.topic_events("other") == (200, [])


def test_event_grid_events_are_kept(eventgrid: EventGrid, front: tuple[str, str]) -> None:
    base, ca = front
    client = EventGridPublisherClient(endpoint(base, "custom"), AzureKeyCredential("any-key"))
    client.send(
        [EventGridEvent(subject="a/b", event_type="Demo.Happened", data={"n": 1}, data_version="1.0")],
        connection_verify=ca,
    )
    [record] = eventgrid.topic_events("custom")[1]
    assert record["schema"] == "EventGridSchema"
    assert (record["event"]["eventType"], record["event"]["subject"], record["event"]["dataVersion"]) == (
        "Demo.Happened",
        "a/b",
        "1.0",
    )


def test_configured_topic_key_is_enforced(eventgrid: EventGrid, front: tuple[str, str]) -> None:
    base, ca = front
    assert eventgrid.put_topic("locked", {"key": KEY}) == (
        201,
        {"name": "locked", "keyConfigured": True, "inputSchema": None},
    )
    event = CloudEvent(source="/x", type="T", data={})
    with pytest.raises(ClientAuthenticationError):
        EventGridPublisherClient(endpoint(base, "locked"), AzureKeyCredential("wrong")).send(
            event, connection_verify=ca
        )
    EventGridPublisherClient(endpoint(base, "locked"), AzureKeyCredential(KEY)).send(
        event, connection_verify=ca
    )
    sas = generate_sas(endpoint(base, "locked"), KEY, datetime.now(UTC) + timedelta(hours=1))
    EventGridPublisherClient(endpoint(base, "locked"), AzureSasCredential(sas)).send(
        event, connection_verify=ca
    )
    assert len(eventgrid.topic_events("locked")[1]) == 2


def test_wrong_schema_for_a_typed_topic_is_a_bad_request(
    eventgrid: EventGrid, front: tuple[str, str]
) -> None:
    base, ca = front
    eventgrid.put_topic("health", {"inputSchema": "CloudEventSchemaV1_0"})
    client = EventGridPublisherClient(endpoint(base, "health"), AzureKeyCredential("k"))
    with pytest.raises(HttpResponseError) as info:
        client.send(
            [EventGridEvent(subject="s", event_type="T", data={}, data_version="1")], connection_verify=ca
        )
    assert info.value.status_code == 400
    assert eventgrid.topic_events("health") == (200, [])


def test_custom_topic_events_fan_out_to_the_topics_subscriptions(
    eventgrid: EventGrid, front: tuple[str, str]
) -> None:
    with Webhook() as hook, Webhook() as bystander:
        assert (
            eventgrid.put_subscription(
                "flags",
                {
                    "endpoint": hook.url,
                    "topic": "health",
                    "advancedFilters": [
                        {"operatorType": "StringIn", "key": "data.reason", "values": ["accessmissing"]}
                    ],
                },
            )[0]
            == 201
        )
        assert eventgrid.put_subscription("system-only", {"endpoint": bystander.url})[0] == 201
        base, ca = front
        client = EventGridPublisherClient(
            endpoint(base, "health"), AzureKeyCredential(KEY), connection_verify=ca
        )
        client.send(
            [
                EventGridEvent("/rule/a", "ArtifactCache.RuleUnhealthy", {"reason": "AccessMissing"}, "1.0"),
                EventGridEvent("/rule/b", "ArtifactCache.RuleUnhealthy", {"reason": "SecretExpired"}, "1.0"),
            ],
            connection_verify=ca,
        )
        [delivery] = hook.wait_for(1)
        assert eventgrid.wait_idle()
        [event] = delivery.body
        assert (event["subject"], event["topic"]) == (
            "/rule/a",
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/eventgrid/providers/Microsoft.EventGrid/topics/health",
        )
        assert len(hook.notifications) == 1 and bystander.notifications == []
        assert len(eventgrid.topic_events("health")[1]) == 2
