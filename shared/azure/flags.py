"""Flags out to the health topic as CloudEvents 1.0, with ``azure-eventgrid`` (a key locally, Entra ID in Azure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call
from shared.domain.flags import Flag

SOURCE = "/acr-cache-autopilot"


class EventGridFlagPublisher:
    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients

    def publish(self, flags: Sequence[Flag]) -> None:
        client = self.clients.health_topic()
        if client is None or not flags:
            return  # no topic configured: the health rows still record every verdict
        from azure.core.messaging import CloudEvent

        events = [
            CloudEvent(
                source=SOURCE,
                type=flag.type.value,
                subject=flag.subject,
                id=flag.id,
                time=datetime.fromtimestamp(flag.time, tz=UTC),
                data=dict(flag.data),
                datacontenttype="application/json",
            )
            for flag in flags
        ]
        with azure_call("publish flags to the health topic"):
            client.send(events)
