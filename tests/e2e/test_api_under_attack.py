"""Issue 7 on the real stack: credentials that cannot work create nothing, a crashed instance's lease answers
"retry after N s", Azure's throttling passes through with its Retry-After, and hostile bodies are 400s."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from shared.azure.tables import AzureTableStore
from shared.state.leases import TableLeaseStore
from tests.e2e.conftest import KV, REGISTRY, REPO_ROOT, SUBSCRIPTION, Stack, app_env, credentials, put
from tests.support.devhost import start_devhost

RULE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.ContainerRegistry/registries/"
    "demoregistry/cacheRules/ubuntu"
)


def _sets(stack: Stack) -> list[str]:
    answer = requests.get(stack.sets_url(), timeout=30)
    answer.raise_for_status()
    return [s["name"] for s in answer.json()["value"]]


def test_docker_hub_credentials_for_another_upstream_create_nothing(clean: Stack) -> None:
    body = {
        "sourceRepository": "ghcr.io/org/app",
        "targetRepository": "org/app",
        "credentials": credentials(),
    }

    answer = put(clean.rules_url("org-app"), body)

    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["reason"] == "UpstreamAuthenticationFailed"
    assert problem["failedStep"] == "credentialHealth" and problem["notRolledBack"] == []
    assert requests.get(clean.rules_url("org-app"), timeout=30).status_code == 404
    assert _sets(clean) == []


def test_a_missing_secret_or_made_up_version_is_refused_before_any_write(clean: Stack) -> None:
    for uri in (f"{KV}/secrets/no-such-secret", f"{KV}/secrets/dockerhub-password/{'0' * 32}"):
        body: dict[str, Any] = {
            "sourceRepository": "docker.io/library/ubuntu",
            "targetRepository": "ubuntu",
            "credentials": credentials(passwordSecretUri=uri),
        }
        answer = put(clean.rules_url("ubuntu"), body)

        assert answer.status_code == 409, (
            answer.text
        )  # a well-formed URI: the secret's absence is the conflict
        assert answer.json()["type"].endswith("#unusable-reference")
        assert answer.json()["errors"][0]["message"].startswith("SecretMissing")
    assert clean.arm_writes() == []


def test_a_lease_left_by_a_crashed_instance_answers_busy_with_retry_after(clean: Stack) -> None:
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(clean.azurite.connection_string)
    table = service.create_table_if_not_exists("acrcacheleases")
    crashed = TableLeaseStore(AzureTableStore(lambda: table, name="acrcacheleases"))
    assert crashed.try_acquire(RULE_ID, "crashed-instance", 120)
    try:
        answer = put(clean.rules_url("ubuntu"), {**_docker(), "credentials": credentials()})
    finally:
        crashed.release(RULE_ID, "crashed-instance")

    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("#resource-busy")
    wait = int(answer.headers["Retry-After"])
    assert 100 <= wait <= 120
    assert answer.json()["detail"] == f"another request holds this rule ('ubuntu'); retry after {wait} s"
    assert clean.arm_writes() == []


def _docker() -> dict[str, str]:
    return {"sourceRepository": "docker.io/library/ubuntu", "targetRepository": "ubuntu"}


def test_throttling_passes_through_with_azures_retry_after(clean: Stack) -> None:
    fault = {"method": "GET", "pathRegex": "/cacheRules", "status": 429, "retryAfter": 1, "count": 20}
    clean.emulator.control("PUT", "/_emulator/faults", json=[fault]).raise_for_status()
    try:
        answer = requests.get(clean.rules_url(), timeout=120)
    finally:
        clean.emulator.control("PUT", "/_emulator/faults", json=[]).raise_for_status()

    assert answer.status_code == 429, answer.text
    assert answer.headers["Retry-After"] == "1"


def test_hostile_bodies_are_400_malformed_body(clean: Stack) -> None:
    for body in (b"[" * 60_000, b'{"sourceRepository": "a", "sourceRepository": "b"}'):
        answer = requests.put(
            clean.rules_url("ubuntu"), data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert answer.status_code == 400, answer.text[:300]
        assert answer.json()["type"].endswith("#malformed-body")


def test_registries_in_scope_are_listed_with_rule_counts(clean: Stack) -> None:
    assert put(clean.rules_url("ubuntu"), {**_docker(), "credentials": credentials()}).status_code == 201

    answer = requests.get(f"{clean.api}/registries", timeout=30)

    assert answer.status_code == 200, answer.text
    by_name = {r["name"]: r for r in answer.json()["value"]}
    assert by_name["demoregistry"]["cacheRules"] == 1


@pytest.mark.parametrize("method", ["GET", "TRACE", "QUERY", "HEAD", "OPTIONS"])
def test_a_method_a_route_does_not_offer_is_405_with_allow(clean: Stack, method: str) -> None:
    """TRACE and QUERY too: the triggers list no methods, so the host hands them every one (no route constraint)."""
    answer = requests.request(method, clean.rules_url("ubuntu") + "/validate", timeout=30)

    assert answer.status_code == 405, answer.text
    assert answer.headers["Allow"] == "POST"


def test_two_instances_a_slow_write_keeps_its_lease_and_the_other_is_told_to_wait(clean: Stack) -> None:
    """Instance A's rule PUT stalls in Azure for longer than three lease lifetimes; A renews its lease meanwhile,
    so instance B (sharing Azurite) never takes over: it answers resource-busy and A's 201 stands whole."""
    env = app_env(clean.emulator, clean.azurite, LEASE_TTL_SECONDS="3", LEASE_WAIT_SECONDS="5")
    stall = {"method": "PUT", "pathRegex": "/cacheRules/ubuntu", "delayMs": 10_000, "count": 1}
    body = {**_docker(), "credentials": credentials()}
    with start_devhost(REPO_ROOT, env=env) as a, start_devhost(REPO_ROOT, env=env) as b:
        clean.emulator.control("PUT", "/_emulator/faults", json=[stall]).raise_for_status()
        url = f"/api/registries/{REGISTRY}/cache-rules/ubuntu"
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(put, a.url + url, body)
            _until_azure_sees(clean, "PUT", "/accessPolicies/add")  # the stalled rule PUT comes next
            second = put(b.url + url, body)
            first_answer = first.result()

    assert first_answer.status_code == 201, first_answer.text
    assert second.status_code == 409, second.text
    assert second.json()["type"].endswith("#resource-busy") and "Retry-After" in second.headers
    shown = requests.get(clean.rules_url("ubuntu"), timeout=30).json()
    assert shown["credentialSet"]["health"]["status"] == "Healthy"
    assert len([r for r in clean.arm_writes() if "/cacheRules/" in r["path"]]) == 1


def _until_azure_sees(stack: Stack, method: str, path_part: str) -> None:
    """Wait (bounded) until the emulator has answered the request (its log records answers)."""
    for _ in range(300):
        if any(r["method"] == method and path_part in r["path"] for r in stack.emulator.requests_log()):
            return
        time.sleep(0.1)
    raise AssertionError(f"Azure never saw {method} {path_part}")


def test_a_registry_made_outside_the_app_is_usable_once_listed(clean: Stack) -> None:
    assert requests.get(clean.rules_url(), timeout=30).status_code == 200  # the registry cache is warm
    path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.ContainerRegistry/registries/"
    clean.arm(
        "PUT",
        path + "madeoutside",
        params={"api-version": "2025-11-01"},
        json={"location": "westus", "sku": {"name": "Standard"}},
    )

    listed = requests.get(f"{clean.api}/registries", timeout=30).json()
    rules = requests.get(f"{clean.api}/registries/madeoutside/cache-rules", timeout=30)

    assert "madeoutside" in [r["name"] for r in listed["value"]]
    assert rules.status_code == 200, rules.text
