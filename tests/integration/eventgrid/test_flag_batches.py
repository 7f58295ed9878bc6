"""The app's flag publisher through the real azure-eventgrid client to the emulated topic, which refuses a publish
request over 1 MB (413) as Event Grid does: a fleet's worth of flags is split into requests the topic accepts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient

from emulator.eventgrid import EventGrid
from shared.azure.flags import MAX_REQUEST_BYTES, EventGridFlagPublisher, request_chunks
from shared.domain.flags import Flag, FlagType
from tests.integration.eventgrid.harness import https_publish_front

RULES = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r/cacheRules/"


class Counting(EventGridPublisherClient):
    """The SDK client, trusting the front's CA and counting its publish requests."""

    requests = 0
    ca = ""

    def send(self, *args: Any, **kwargs: Any) -> None:
        type(self).requests += 1
        super().send(*args, connection_verify=self.ca, **kwargs)


class Clients:
    def __init__(self, client: EventGridPublisherClient) -> None:
        self.client = client

    def health_topic(self) -> EventGridPublisherClient:
        return self.client


@pytest.fixture
def client(eventgrid: EventGrid, tmp_path: Path) -> Iterator[Counting]:
    with https_publish_front(eventgrid, tmp_path) as (base, ca):
        endpoint = f"{base}/eventgrid/topics/health/api/events"
        Counting.ca = str(ca)
        yield Counting(endpoint, AzureKeyCredential("any-key"))


def test_more_than_1_mb_of_flags_is_split_into_requests_the_topic_accepts(
    eventgrid: EventGrid, client: Counting
) -> None:
    flags = [
        Flag(
            id=f"{i:032x}",
            type=FlagType.RULE_UNHEALTHY,
            subject=f"{RULES}r{i:04d}",
            time=1_800_000_000.0 + i,
            data={"cacheRule": f"r{i:04d}", "reason": "AccessMissing", "message": "é" * 300 + "x" * 300},
        )
        for i in range(1500)
    ]
    as_one = [CloudEvent(source="/t", type=f.type.value, subject=f.subject, data=dict(f.data)) for f in flags]
    with pytest.raises(HttpResponseError) as refused:
        client.send(as_one)  # the limit is real: all of them in one request is refused
    assert refused.value.status_code == 413
    Counting.requests = 0
    EventGridFlagPublisher(Clients(client)).publish(flags)  # type: ignore[arg-type]
    status, records = eventgrid.topic_events("health")
    assert status == 200
    assert [r["event"]["id"] for r in records] == [f.id for f in flags]
    assert Counting.requests == len(list(request_chunks(flags, MAX_REQUEST_BYTES))) >= 3  # about 3.6 MB
