"""The devhost serving a sample app through start_devhost: every URL and behaviour of the contract."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.devhost.sample_app import FUNCTION_APP, HOST_JSON, LOCAL_SETTINGS
from tests.support.devhost import Devhost, start_devhost

KEY = "test-function-key"
WEBHOOK = "/runtime/webhooks/eventgrid"
VAULT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv"


def _write_app(app_dir: Path, route_prefix: str) -> Path:
    app_dir.mkdir(parents=True)
    (app_dir / "function_app.py").write_text(FUNCTION_APP)
    (app_dir / "host.json").write_text(HOST_JSON % route_prefix)
    (app_dir / "local.settings.json").write_text(LOCAL_SETTINGS)
    (app_dir / "records").mkdir()
    return app_dir


def _records(app_dir: Path, name: str, count: int) -> list[dict[str, Any]]:
    """Wait for at least `count` records (invocations may finish after the HTTP answer)."""
    path = app_dir / "records" / f"{name}.jsonl"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(
        f"expected {count} {name} records, found {path.read_text() if path.exists() else 'none'}"
    )


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_app(tmp_path_factory.mktemp("open") / "app", "api")


@pytest.fixture(scope="module")
def devhost(app_dir: Path) -> Iterator[Devhost]:
    env = {"RECORD_DIR": str(app_dir / "records"), "OVERRIDDEN": "from-env"}
    with start_devhost(app_dir, env=env, timers=True) as host:
        yield host


@pytest.fixture(scope="module")
def keyed_app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_app(tmp_path_factory.mktemp("keyed") / "app", "v1")


@pytest.fixture(scope="module")
def keyed(keyed_app_dir: Path) -> Iterator[Devhost]:
    env = {"RECORD_DIR": str(keyed_app_dir / "records")}
    with start_devhost(keyed_app_dir, env=env, function_key=KEY) as host:
        yield host


def _event_grid_event(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "topic": VAULT,
        "subject": "dockerhub-password",
        "eventType": "Microsoft.KeyVault.SecretNewVersionCreated",
        "eventTime": "2024-05-01T10:00:00.1234567Z",
        "data": {"VaultName": "demo-kv", "ObjectName": "dockerhub-password", "Version": "v2"},
        "dataVersion": "1",
        "metadataVersion": "1",
    }


def _cloud_event(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "source": VAULT,
        "subject": "dockerhub-username",
        "type": "Microsoft.KeyVault.SecretNearExpiry",
        "time": "2024-05-01T11:00:00Z",
        "data": {"VaultName": "demo-kv", "ObjectName": "dockerhub-username"},
        "specversion": "1.0",
    }


def test_startup_lists_functions_like_func_start(devhost: Devhost) -> None:
    logs = devhost.logs()
    assert "Functions:\n\n" in logs
    base = f"http://localhost:{devhost.port}"
    assert f"\tget_item: [GET] {base}/api/registries/{{registry}}/items/{{id:int}}/{{name?}}\n" in logs
    assert f"\tanon: [GET,POST] {base}/api/anon\n" in logs
    assert "\ton_event: eventGridTrigger\n" in logs
    assert "\ton_event_failing: eventGridTrigger\n" in logs
    assert "\ttick: timerTrigger\n" in logs


def test_route_params_query_context_and_headers(devhost: Devhost) -> None:
    principal = "eyJhdXRoX3R5cCI6ImFhZCJ9"
    response = requests.get(
        f"{devhost.url}/API/Registries/demo%20registry/ITEMS/42/first?x=1&y=&x=2",
        headers={
            "X-MS-CLIENT-PRINCIPAL": principal,
            "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["route"] == {"registry": "demo registry", "id": "42", "name": "first"}
    assert body["params"] == {"x": "1,2", "y": ""}
    assert body["method"] == "GET"
    assert body["url"].endswith("/API/Registries/demo%20registry/ITEMS/42/first?x=1&y=&x=2")
    assert body["principal"] == principal
    assert body["context"]["function_name"] == "get_item"
    assert body["context"]["trace_parent"] == "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    assert body["context"]["retry_count"] == 0
    assert Path(body["context"]["function_directory"]).resolve() == Path(devhost_app_dir(devhost)).resolve()
    logs = devhost.logs()
    invocation = body["context"]["invocation_id"]
    assert (
        f"Executing 'Functions.get_item' (Reason='This function was programmatically called via the host APIs.', Id={invocation})"
        in logs
    )
    assert f"Executed 'Functions.get_item' (Succeeded, Id={invocation}, Duration=" in logs
    assert "get_item called for demo registry" in logs


def devhost_app_dir(devhost: Devhost) -> str:
    command = devhost.process.args
    assert isinstance(command, list)
    return str(command[command.index("--app-dir") + 1])


def test_optional_route_param_and_no_invented_principal(devhost: Devhost) -> None:
    body = requests.get(f"{devhost.url}/api/registries/r/items/7", timeout=10).json()
    assert body["route"] == {"registry": "r", "id": "7"}
    assert body["principal"] is None


def test_not_found_and_method_mismatch(devhost: Devhost) -> None:
    assert requests.get(f"{devhost.url}/api/registries/r/items/not-a-number", timeout=10).status_code == 404
    assert requests.get(f"{devhost.url}/api/nowhere", timeout=10).status_code == 404
    # A known route with a method it does not accept is a 404 in the Functions host too.
    assert requests.delete(f"{devhost.url}/api/registries/r/items/7", timeout=10).status_code == 404
    assert requests.get(f"{devhost.url}{WEBHOOK}?functionName=on_event", timeout=10).status_code == 405
    assert requests.get(f"{devhost.url}/admin/functions/tick", timeout=10).status_code == 405
    # Methods the stdlib server has no handler for are routed too, not answered 501 by it.
    for method in ("TRACE", "QUERY"):
        answer = requests.request(method, f"{devhost.url}/api/registries/r/items/7", timeout=10)
        assert answer.status_code == 404, method


def test_anonymous_async_and_response_headers(devhost: Devhost) -> None:
    response = requests.post(f"{devhost.url}/api/anon", data=b"12345", timeout=10)
    assert (response.status_code, response.text, response.headers["X-Sample"]) == (200, "anon POST 5", "yes")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    response = requests.get(f"{devhost.url}/api/async/a/b/c", timeout=10)
    assert (response.status_code, response.text) == (200, "async a/b/c")


def test_requests_run_concurrently(devhost: Devhost) -> None:
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda _: requests.get(f"{devhost.url}/api/rendezvous", timeout=20), range(2))
        )
    assert [(a.status_code, a.text) for a in answers] == [(200, "met"), (200, "met")]


def test_raising_http_function_is_a_500_and_logged(devhost: Devhost) -> None:
    assert requests.get(f"{devhost.url}/api/boom", timeout=10).status_code == 500
    logs = devhost.logs()
    assert "Executed 'Functions.boom' (Failed" in logs
    assert "RuntimeError: http function failed on purpose" in logs


def test_body_over_100_mb_is_413(devhost: Devhost) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", devhost.port, timeout=10)
    connection.putrequest("POST", "/api/anon")
    connection.putheader("Content-Length", str(100 * 1024 * 1024 + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_settings_from_file_and_environment_wins(devhost: Devhost) -> None:
    assert requests.get(f"{devhost.url}/api/settings", timeout=10).json() == {
        "SAMPLE_SETTING": "from-file",
        "OVERRIDDEN": "from-env",
    }


def test_event_grid_schema_batch_invokes_once_per_event(devhost: Devhost, app_dir: Path) -> None:
    response = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=on_event",
        json=[_event_grid_event("eg-1"), _event_grid_event("eg-2")],
        headers={"aeg-event-type": "Notification"},
        timeout=10,
    )
    assert response.status_code == 200
    events = {e["id"]: e for e in _records(app_dir, "events", 2)}
    assert events["eg-1"] == {
        "id": "eg-1",
        "subject": "dockerhub-password",
        "event_type": "Microsoft.KeyVault.SecretNewVersionCreated",
        "event_time": "2024-05-01T10:00:00.123456+00:00",
        "data": {"VaultName": "demo-kv", "ObjectName": "dockerhub-password", "Version": "v2"},
        "data_version": "1",
        "topic": VAULT,
    }
    assert "eg-2" in events


def test_cloud_events_single_and_batch(devhost: Devhost, app_dir: Path) -> None:
    single = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=ON_EVENT",
        data=json.dumps(_cloud_event("ce-1")),
        headers={"Content-Type": "application/cloudevents+json; charset=utf-8"},
        timeout=10,
    )
    batch = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=on_event",
        data=json.dumps([_cloud_event("ce-2"), _cloud_event("ce-3")]),
        headers={"Content-Type": "application/cloudevents-batch+json; charset=utf-8"},
        timeout=10,
    )
    assert (single.status_code, batch.status_code) == (200, 200)
    events = {e["id"]: e for e in _records(app_dir, "events", 5) if e["id"].startswith("ce-")}
    assert sorted(events) == ["ce-1", "ce-2", "ce-3"]
    assert events["ce-1"] == {
        "id": "ce-1",
        "subject": "dockerhub-username",
        "event_type": "Microsoft.KeyVault.SecretNearExpiry",
        "event_time": "2024-05-01T11:00:00+00:00",
        "data": {"VaultName": "demo-kv", "ObjectName": "dockerhub-username"},
        "data_version": "",
        "topic": VAULT,
    }


def test_validation_handshake_in_both_schemas(devhost: Devhost) -> None:
    validation = {
        "id": "v-1",
        "topic": VAULT,
        "subject": "",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2024-05-01T10:00:00Z",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", "validationUrl": "https://x"},
        "dataVersion": "2",
    }
    response = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=on_event",
        json=[validation],
        headers={"aeg-event-type": "SubscriptionValidation"},
        timeout=10,
    )
    assert (response.status_code, response.json()) == (
        200,
        {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
    )
    options = requests.options(
        f"{devhost.url}{WEBHOOK}?functionName=on_event",
        headers={"WebHook-Request-Origin": "eventgrid.azure.net", "WebHook-Request-Rate": "120"},
        timeout=10,
    )
    assert options.status_code == 200
    assert options.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert options.headers["WebHook-Allowed-Rate"] == "*"


def test_raising_event_grid_function_answers_500(devhost: Devhost) -> None:
    response = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=on_event_failing",
        json=[_event_grid_event("fail-1")],
        headers={"aeg-event-type": "Notification"},
        timeout=10,
    )
    assert response.status_code == 500
    logs = devhost.logs()
    assert "Executed 'Functions.on_event_failing' (Failed" in logs
    assert "ValueError: cannot handle fail-1" in logs


def test_unknown_event_grid_function_is_404(devhost: Devhost) -> None:
    response = requests.post(
        f"{devhost.url}{WEBHOOK}?functionName=nope", json=[_event_grid_event("x")], timeout=10
    )
    assert response.status_code == 404


def test_timer_runs_on_startup_and_through_the_admin_api(devhost: Devhost, app_dir: Path) -> None:
    startup = _records(app_dir, "ticks", 1)[0]
    assert startup["type"] == "TimerRequest"
    assert startup["past_due"] is False
    assert startup["status"]["Next"].endswith("-01-01T00:00:00+00:00")
    assert "Executing 'Functions.tick' (Reason='Timer fired at" in devhost.logs()
    response = requests.post(f"{devhost.url}/admin/functions/tick", json={"input": ""}, timeout=10)
    assert response.status_code == 202
    assert len(_records(app_dir, "ticks", 2)) >= 2
    assert (
        requests.post(f"{devhost.url}/admin/functions/missing", json={"input": ""}, timeout=10).status_code
        == 404
    )


def test_admin_api_delivers_an_event_to_an_event_grid_function(devhost: Devhost, app_dir: Path) -> None:
    response = requests.post(
        f"{devhost.url}/admin/functions/on_event",
        json={"input": json.dumps(_event_grid_event("admin-1"))},
        timeout=10,
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        e["id"] == "admin-1" for e in _records(app_dir, "events", 1)
    ):
        time.sleep(0.05)
    assert any(e["id"] == "admin-1" for e in _records(app_dir, "events", 1))


def test_keys_are_required_only_when_configured(keyed: Devhost) -> None:
    item = f"{keyed.url}/v1/registries/r/items/1"
    assert requests.get(item, timeout=10).status_code == 401
    assert requests.get(item, headers={"x-functions-key": "wrong"}, timeout=10).status_code == 401
    assert requests.get(item, headers={"x-functions-key": KEY}, timeout=10).status_code == 200
    assert requests.get(item, params={"code": KEY}, timeout=10).status_code == 200
    assert requests.get(f"{keyed.url}/v1/anon", timeout=10).status_code == 200
    assert requests.get(f"{keyed.url}/api/anon", timeout=10).status_code == 404  # routePrefix from host.json


def test_keyed_webhook_and_admin_api(keyed: Devhost, keyed_app_dir: Path) -> None:
    events = [_event_grid_event("keyed-1")]
    hook = f"{keyed.url}{WEBHOOK}"
    notification = {"aeg-event-type": "Notification"}
    assert (
        requests.post(
            hook, params={"functionName": "on_event"}, json=events, headers=notification, timeout=10
        ).status_code
        == 401
    )
    answer = requests.post(
        hook, params={"functionName": "on_event", "code": KEY}, json=events, headers=notification, timeout=10
    )
    assert answer.status_code == 200
    assert _records(keyed_app_dir, "events", 1)[0]["id"] == "keyed-1"
    admin = f"{keyed.url}/admin/functions/tick"
    assert requests.post(admin, json={"input": ""}, timeout=10).status_code == 401
    assert (
        requests.post(admin, json={"input": ""}, headers={"x-functions-key": KEY}, timeout=10).status_code
        == 202
    )
    assert _records(keyed_app_dir, "ticks", 1)  # timers are off here: only the admin call ran it


def test_unkeyed_host_needs_no_key_for_function_level_routes(devhost: Devhost) -> None:
    assert requests.get(f"{devhost.url}/api/registries/r/items/1", timeout=10).status_code == 200


def test_graceful_shutdown(tmp_path: Path) -> None:
    app_dir = _write_app(tmp_path / "app", "api")
    host = start_devhost(app_dir, env={"RECORD_DIR": str(app_dir / "records")})
    host.stop()
    assert host.process.returncode == 0
    assert "Host stopped" in host.logs()
