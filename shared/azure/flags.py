"""Flags out to the health topic as CloudEvents 1.0, with ``azure-eventgrid`` (a key locally, Entra ID in Azure).

Many flags go in one request (Event Grid takes an array of events per publish, up to 1 MB in all, and answers 413
above it), so a sweep sends a registry's flags in one request rather than one per rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call
from shared.domain.errors import AutopilotError
from shared.domain.flags import Flag
from shared.services.flagging import FlagsPartlySent

SOURCE = "/acr-cache-autopilot"
# Event Grid's limit is 1 MB per publish request (events array included); sizes here are estimates of the SDK's
# serialisation, so keep a margin below 1 MiB.
MAX_REQUEST_BYTES = 1_000_000


class EventGridFlagPublisher:
    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients

    def publish(self, flags: Sequence[Flag]) -> None:
        client = self.clients.health_topic()
        if client is None or not flags:
            return  # no topic configured: the health rows still record every verdict
        from azure.core.messaging import CloudEvent

        sent: list[Flag] = []
        for chunk in request_chunks(flags, MAX_REQUEST_BYTES):
            events = [CloudEvent(**_fields(flag)) for flag in chunk]
            try:
                with azure_call("publish flags to the health topic"):
                    client.send(events)
            except AutopilotError as exc:
                if sent:
                    raise FlagsPartlySent(sent, exc) from exc
                raise
            sent.extend(chunk)


def request_chunks(flags: Sequence[Flag], limit: int) -> Iterator[list[Flag]]:
    """Consecutive runs of ``flags`` whose events fit one request of ``limit`` bytes (a flag bigger than that alone
    goes on its own, for the topic to refuse)."""
    chunk: list[Flag] = []
    size = 2  # the array's brackets
    for flag in flags:
        own = wire_size(flag)
        if chunk and size + 2 + own > limit:
            yield chunk
            chunk, size = [], 2
        size += own + (2 if chunk else 0)  # ", " between events
        chunk.append(flag)
    if chunk:
        yield chunk


def _fields(flag: Flag) -> dict[str, Any]:
    """The flag as CloudEvent attributes: what is sent, and what its size is estimated from."""
    return {
        "source": SOURCE,
        "type": flag.type.value,
        "subject": flag.subject,
        "id": flag.id,
        "time": datetime.fromtimestamp(flag.time, tz=UTC),
        "data": dict(flag.data),
        "datacontenttype": "application/json",
    }


def wire_size(flag: Flag) -> int:
    """Bytes of the flag as a CloudEvent in the request body, as JSON with the SDK's separators (an estimate)."""
    fields = _fields(flag)
    event = {"specversion": "1.0", **fields, "time": fields["time"].isoformat()}
    return len(json.dumps(event).encode())
