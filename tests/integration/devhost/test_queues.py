"""Queue triggers in the devhost against Azurite, with the Functions host's semantics: base64 bodies and trigger
metadata, retries with a growing dequeue count, the poison queue after maxDequeueCount, the admin call."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from tests.support.azurite import Azurite, start_azurite
from tests.support.devhost import Devhost, start_devhost

WAIT_SECONDS = 30
APP = """
import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="message", queue_name="%JOBS_QUEUE%", connection="AzureWebJobsStorage")
def on_job(message: func.QueueMessage) -> None:
    body = message.get_body().decode()
    with (Path(os.environ["RECORD_DIR"]) / "jobs.jsonl").open("a") as handle:
        handle.write(json.dumps({"body": body, "id": message.id, "dequeueCount": message.dequeue_count}) + "\\n")
    if body.startswith("fail"):
        raise RuntimeError("refused " + body)
"""
HOST_JSON = {
    "version": "2.0",
    "extensions": {
        "queues": {"maxPollingInterval": "00:00:01", "visibilityTimeout": "00:00:00", "maxDequeueCount": 2}
    },
}


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    with start_azurite(tmp_path_factory.mktemp("queues")) as running:
        yield running


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = tmp_path_factory.mktemp("queue-app")
    (app_dir / "function_app.py").write_text(APP)
    (app_dir / "host.json").write_text(json.dumps(HOST_JSON))
    (app_dir / "records").mkdir()
    return app_dir


@pytest.fixture(scope="module")
def devhost(app_dir: Path, azurite: Azurite) -> Iterator[Devhost]:
    env = {
        "RECORD_DIR": str(app_dir / "records"),
        "AzureWebJobsStorage": azurite.connection_string,
        "JOBS_QUEUE": "jobs",
    }
    with start_devhost(app_dir, env=env) as host:
        yield host


def _queue(azurite: Azurite, name: str, *, encode: bool = True) -> QueueClient:
    policy = {"message_encode_policy": TextBase64EncodePolicy()} if encode else {}
    client = QueueClient.from_connection_string(azurite.connection_string, name, **policy)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def _records(app_dir: Path, body: str, count: int) -> list[dict[str, Any]]:
    path = app_dir / "records" / "jobs.jsonl"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        found = [r for r in map(json.loads, lines) if r["body"] == body]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{count} invocation(s) with {body!r} not seen")


def _poison(azurite: Azurite, content: str) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    poison = _queue(azurite, "jobs-poison", encode=False)
    while time.monotonic() < deadline:
        if any(m.content == content for m in poison.peek_messages(max_messages=32)):
            return True
        time.sleep(0.1)
    return False


def test_a_base64_message_is_decoded_and_deleted_after_success(
    devhost: Devhost, azurite: Azurite, app_dir: Path
) -> None:
    queue = _queue(azurite, "jobs")
    sent = queue.send_message("hello")
    [seen] = _records(app_dir, "hello", 1)
    assert (seen["id"], seen["dequeueCount"]) == (sent.id, 1)
    deadline = time.monotonic() + WAIT_SECONDS
    while queue.get_queue_properties().approximate_message_count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue.get_queue_properties().approximate_message_count == 0


def test_a_failing_message_is_retried_then_moved_to_poison_unchanged(
    devhost: Devhost, azurite: Azurite, app_dir: Path
) -> None:
    _queue(azurite, "jobs").send_message("fail-1")
    attempts = _records(app_dir, "fail-1", 2)
    assert [a["dequeueCount"] for a in attempts] == [1, 2]
    assert _poison(azurite, base64.b64encode(b"fail-1").decode())
    assert "has reached MaxDequeueCount of 2" in devhost.logs()


def test_a_message_that_is_not_base64_ends_in_poison_without_an_invocation(
    devhost: Devhost, azurite: Azurite, app_dir: Path
) -> None:
    _queue(azurite, "jobs", encode=False).send_message("not base64!")
    assert _poison(azurite, "not base64!")
    assert "message is not valid base64" in devhost.logs()


def test_the_admin_call_hands_its_input_as_the_message_body(devhost: Devhost, app_dir: Path) -> None:
    answer = requests.post(f"{devhost.url}/admin/functions/on_job", json={"input": "by-admin"}, timeout=10)
    assert answer.status_code == 202
    [seen] = _records(app_dir, "by-admin", 1)
    assert seen["dequeueCount"] == 1
