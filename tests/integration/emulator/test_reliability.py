"""Throttling, faults and latency are honoured by the SDK retry policy and visible in the request log."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from tests.integration.emulator.helpers import RG, Http, acr_client, registry_path
from tests.support.emulator import Emulator


def test_throttling_answers_429_with_retry_after(emu: Emulator) -> None:
    emu.settings(throttling=True)
    http = Http(emu)
    first = http("GET", registry_path(), **{"api-version": "2025-11-01"})
    assert int(first.headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
    for _ in range(2000):
        last = http("GET", registry_path(), **{"api-version": "2025-11-01"})
        if last.status_code == 429:
            break
    assert last.status_code == 429
    assert last.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert int(last.headers["Retry-After"]) >= 1
    other = Http(emu, principal_id="00000000-0000-0000-0000-00000000beef")
    assert other("GET", registry_path(), **{"api-version": "2025-11-01"}).status_code == 200  # per principal


def test_sdk_retries_429_and_503_then_succeeds(emu: Emulator) -> None:
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[
            {
                "method": "GET",
                "pathRegex": "registries/demoregistry\\?",
                "status": 429,
                "retryAfter": 1,
                "count": 1,
            },
            {"method": "GET", "pathRegex": "registries/demoregistry\\?", "status": 503, "count": 1},
        ],
    ).raise_for_status()
    registry = acr_client(emu).registries.get(RG, "demoregistry")
    assert registry.name == "demoregistry"
    statuses = [r["status"] for r in emu.requests_log() if "registries/demoregistry?" in r["path"]]
    assert statuses == [429, 503, 200]


def test_fault_count_is_spent_and_delay_only(emu: Emulator) -> None:
    emu.control(
        "PUT", "/_emulator/faults", json=[{"pathRegex": "cacheRules", "delayMs": 50}]
    ).raise_for_status()
    http = Http(emu)
    assert http("GET", f"{registry_path()}/cacheRules", **{"api-version": "2025-11-01"}).status_code == 200
    emu.control("PUT", "/_emulator/faults", json=[{"pathRegex": "cacheRules", "status": 500, "count": 2}])
    codes = [
        http("GET", f"{registry_path()}/cacheRules", **{"api-version": "2025-11-01"}).status_code
        for _ in range(3)
    ]
    assert codes == [500, 500, 200]
    body = emu.control("GET", "/_emulator/faults").json()
    assert body[0]["remaining"] == 0


def test_persistent_failure_surfaces(emu: Emulator) -> None:
    emu.control(
        "PUT", "/_emulator/faults", json=[{"pathRegex": "cacheRules", "status": 409, "code": "Conflict"}]
    )
    with pytest.raises(HttpResponseError) as failure:
        list(acr_client(emu).cache_rules.list(RG, "demoregistry"))
    assert failure.value.status_code == 409


def test_latency_applies(emu: Emulator) -> None:
    emu.settings(latencyMs=1)
    assert emu.control("GET", "/_emulator/settings").json()["latencyMs"] == 1
    http = Http(emu)
    assert http("GET", registry_path(), **{"api-version": "2025-11-01"}).status_code == 200


def test_requests_log_attributes_principals(emu: Emulator) -> None:
    principal = "00000000-0000-0000-0000-00000000cafe"
    Http(emu, principal_id=principal)("GET", registry_path(), **{"api-version": "2025-11-01"})
    log = emu.requests_log()
    assert log[-1] == {
        "method": "GET",
        "path": registry_path() + "?api-version=2025-11-01",
        "status": 200,
        "principalId": principal,
    }
    assert not any(r["path"].startswith(("/msi/", "/_emulator/")) for r in log)


def _put_rule(http: Http, name: str) -> requests.Response:
    props = {"sourceRepository": "mcr.microsoft.com/dotnet/runtime", "targetRepository": name}
    return http(
        "PUT", f"{registry_path()}/cacheRules/{name}", {"properties": props}, **{"api-version": "2025-11-01"}
    )


def _logged(emu: Emulator, name: str) -> list[int]:
    return [
        r["status"] for r in emu.requests_log() if r["method"] == "PUT" and f"cacheRules/{name}" in r["path"]
    ]


def test_reset_before_drops_the_request_unserved(emu: Emulator) -> None:
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PUT", "pathRegex": "cacheRules/", "reset": "before", "count": 1}],
    ).raise_for_status()
    http = Http(emu)
    with pytest.raises(requests.ConnectionError):
        _put_rule(http, "dropped")
    gone = http("GET", f"{registry_path()}/cacheRules/dropped", **{"api-version": "2025-11-01"})
    assert gone.status_code == 404
    assert _logged(emu, "dropped") == []
    assert _put_rule(Http(emu), "dropped").status_code in (200, 201)  # spent after one hit


def test_reset_after_applies_the_write_but_never_answers(emu: Emulator) -> None:
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PUT", "pathRegex": "cacheRules/", "reset": "after", "count": 1}],
    ).raise_for_status()
    http = Http(emu)
    with pytest.raises(requests.ConnectionError):
        _put_rule(http, "applied")
    assert _logged(emu, "applied") == [201]
    found = Http(emu)("GET", f"{registry_path()}/cacheRules/applied", **{"api-version": "2025-11-01"})
    assert found.status_code == 200


@pytest.mark.parametrize(
    "fault", [{"reset": "sometimes"}, {"reset": "before", "status": 500}], ids=["unknown", "with-status"]
)
def test_bad_reset_faults_are_refused(emu: Emulator, fault: dict[str, object]) -> None:
    answer = emu.control("PUT", "/_emulator/faults", json=[{"pathRegex": "x", **fault}])
    assert answer.status_code == 400
    assert emu.control("GET", "/_emulator/faults").json() == []


def test_a_delayed_request_is_listed_in_flight_until_answered(emu: Emulator) -> None:
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "GET", "pathRegex": "cacheRules", "delayMs": 1500, "count": 1}],
    ).raise_for_status()
    http = Http(emu)
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(http, "GET", f"{registry_path()}/cacheRules", **{"api-version": "2025-11-01"})
        for _ in range(100):
            (listed,) = emu.control("GET", "/_emulator/faults").json()
            if listed["remaining"] == 0:
                break
            time.sleep(0.01)
        assert listed["inFlight"] == 1
        assert answer.result().status_code == 200
    assert emu.control("GET", "/_emulator/faults").json()[0]["inFlight"] == 0
