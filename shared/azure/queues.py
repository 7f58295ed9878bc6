"""The sweep's Storage queue: one message per registry of a fanned-out sweep, base64 as the Functions host reads.

The queue trigger (``sweep_registry``) decodes base64 by default (host.json ``messageEncoding``), so messages are
sent through the SDK's base64 encode policy. The SDK is imported on first send.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call

_SENDERS = 8  # messages sent in parallel: a 5,000-registry fleet is enqueued in seconds, not minutes


class StorageSweepQueue:
    def __init__(self, clients: AzureClients, name: str) -> None:
        self.clients = clients
        self.name = name
        self._lock = threading.Lock()
        self._queue: Any = None

    def _client(self) -> Any:
        with self._lock:
            if self._queue is None:
                self._queue = self._build()
            return self._queue

    def _build(self) -> Any:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.queue import QueueClient, TextBase64EncodePolicy

        settings = self.clients.settings
        options = {"message_encode_policy": TextBase64EncodePolicy(), **self.clients.storage_options()}
        if settings.storage_connection:
            client = QueueClient.from_connection_string(settings.storage_connection, self.name, **options)
        else:
            account = f"https://{settings.storage_account}.queue.{self.clients.profile.storage_suffix}"
            client = QueueClient(account, self.name, credential=self.clients.credential, **options)
        with azure_call(f"create queue {self.name}"), contextlib.suppress(ResourceExistsError):
            client.create_queue()
        return client

    def send(self, messages: Sequence[str]) -> None:
        client = self._client()

        def one(message: str) -> None:
            with azure_call(f"enqueue a message on {self.name}"):
                client.send_message(message)

        with ThreadPoolExecutor(max_workers=_SENDERS, thread_name_prefix="enqueue") as pool:
            list(pool.map(one, messages))
