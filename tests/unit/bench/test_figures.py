"""The benchmarks' arithmetic: what a request log costs, ARM's read floor, percentiles."""

from __future__ import annotations

import pytest

from bench.figures import call_counts, is_list, log_cost, percentile, read_floor_seconds

SUB = "/subscriptions/s1/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r"


def entry(method: str, path: str, status: int = 200) -> dict[str, object]:
    return {"method": method, "path": path, "status": status, "principalId": "p"}


def test_log_cost_splits_arm_reads_by_subscription_writes_keyvault_and_throttled() -> None:
    cost = log_cost(
        [
            entry("GET", f"{SUB}/cacheRules?api-version=2025-11-01"),
            entry("GET", f"{SUB}/credentialSets/creds?api-version=2025-11-01", 429),
            entry("GET", "/subscriptions/S2/providers/Microsoft.ContainerRegistry/registries?api-version=1"),
            entry("GET", "/subscriptions?api-version=2022-12-01"),
            entry("PUT", f"{SUB}/cacheRules/x?api-version=2025-11-01"),
            entry("DELETE", f"{SUB}/cacheRules/x?api-version=2025-11-01"),
            entry("GET", "/kv/vault/secrets/name?api-version=7.4"),
        ]
    )
    assert dict(cost.arm_reads) == {"s1": 2, "s2": 1, "tenant": 1}
    assert (cost.arm_writes, cost.keyvault, cost.throttled, cost.lists) == (2, 1, 1, 3)
    assert cost.azure_requests == 7


def test_log_cost_ignores_control_token_and_topic_publishes() -> None:
    cost = log_cost(
        [
            entry("GET", "/_emulator/requests"),
            entry("GET", "/msi/token?resource=x"),
            entry("POST", "/eventgrid/topics/health/api/events"),
        ]
    )
    assert cost.azure_requests == 0


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{SUB}/cacheRules?api-version=1", True),
        (f"{SUB}/cacheRules/ubuntu?api-version=1", False),
        ("/subscriptions/s/providers/Microsoft.ContainerRegistry/registries", True),
        (f"{SUB}?api-version=1", False),
    ],
)
def test_is_list_is_about_the_last_segment(path: str, expected: bool) -> None:
    assert is_list(path) is expected


def test_read_floor_is_the_slowest_subscription_after_its_burst() -> None:
    assert read_floor_seconds({"a": 250, "b": 100}) == 0
    assert read_floor_seconds({"a": 1000, "b": 300}) == 30.0
    assert read_floor_seconds({}) == 0


def test_percentile_nearest_rank() -> None:
    sample = [float(v) for v in range(1, 101)]
    assert percentile(sample, 50) == 50
    assert percentile(sample, 99) == 99
    assert percentile([3.0], 99) == 3.0


def test_call_counts_name_each_kind_of_azure_request_and_skip_the_rest() -> None:
    counts = call_counts(
        [
            entry("GET", f"{SUB}/credentialSets/a?api-version=2025-11-01"),
            entry("GET", f"{SUB}/credentialSets/b?api-version=2025-11-01"),
            entry("PATCH", f"{SUB}/credentialSets/a?api-version=2025-11-01"),
            entry("GET", f"{SUB}/cacheRules?api-version=2025-11-01"),
            entry("GET", "/kv/vault/secrets/name/versions?api-version=7.4"),
            entry("POST", "/eventgrid/topics/t/api/events"),
            entry("GET", "/msi/token"),
            entry("GET", "/_emulator/faults"),
        ]
    )
    assert counts == {
        "GET credentialSets/{}": 2,
        "PATCH credentialSets/{}": 1,
        "GET cacheRules (list)": 1,
        "GET keyvault versions": 1,
    }
