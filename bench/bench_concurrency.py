"""Issue 13, benchmark 5: provisioning through the devhost with 16 concurrent clients at zero latency.

Figures (one JSON line): p50/p99 per create and creates per second, and the Azure requests of one create that
makes its credential set and grant, by call, beside the fewest the service allows: find the registry by name (one
list page), read both secrets' metadata (the app validates before its first write), PUT credential set and its LRO
poll (the answer carries the new identity), read the vault (permission model, grants), add the access policy, read
the set once to see it Healthy, PUT cache rule and its LRO poll = 10. The first create also pays what a process
pays once (the vault's resource group from a subscription's vault list, Key Vault's 401 auth handshake), so a
second create with new credentials (other secrets of the same vault, so a new set) shows one in a warm process.
Run with ``python -m bench concurrency``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.figures import log_cost, percentile
from tests.e2e.conftest import KV, REPO_ROOT, app_env, docker_rule
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import start_emulator

CLIENTS = 16
PER_CLIENT = int(os.environ.get("BENCH_CREATES_PER_CLIENT", "20"))
FEWEST_FOR_A_NEW_SET = 10
# The demo upstream's login under other secret names: new credentials (a new set) in the vault already in use.
OTHER_SECRETS = {"team2-username": "demo-user", "team2-password": "demo-password"}
OTHER_RULE = {
    "sourceRepository": "docker.io/library/busybox",
    "targetRepository": "busybox",
    "credentials": {
        "usernameSecretUri": f"{KV}/secrets/team2-username",
        "passwordSecretUri": f"{KV}/secrets/team2-password",
    },
}


def _calls(log: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(f"{e['method']} {e['path'].split('?')[0].rsplit('/providers/', 1)[-1]}" for e in log))


def _create(
    session: requests.Session, base: str, name: str, body: dict[str, Any] | None = None
) -> tuple[float, int, str]:
    """One create: (ms, status, problem detail when it was not 201)."""
    started = time.perf_counter()
    answer = session.put(f"{base}/{name}", json=body or docker_rule(name), timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, answer.status_code, "" if answer.status_code == 201 else answer.text[:400]


def _client(base: str, index: int) -> list[tuple[float, int, str]]:
    with requests.Session() as session:
        return [_create(session, base, f"c{index:02d}r{i:03d}") for i in range(PER_CLIENT)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with (
            start_azurite(tmp_path) as azurite,
            start_emulator(tmp_path / "emulator", seed="demo") as emulator,
            start_devhost(REPO_ROOT, env=app_env(emulator, azurite)) as devhost,
        ):
            emulator.settings(latencyMs=0)
            base = f"{devhost.url}/api/registries/demoregistry/cache-rules"
            emulator.control("DELETE", "/_emulator/requests").raise_for_status()
            with requests.Session() as session:
                first_ms, _, _ = _create(session, base, "first")
                first_log = emulator.requests_log()
                emulator.control("DELETE", "/_emulator/requests").raise_for_status()
                for name, value in OTHER_SECRETS.items():
                    emulator.control("PUT", f"/_emulator/secrets/demo-kv/{name}", json={"value": value})
                emulator.control("DELETE", "/_emulator/requests").raise_for_status()
                warm_ms, warm_status, warm_detail = _create(session, base, "busybox", OTHER_RULE)
                assert warm_status == 201, (warm_status, warm_detail)
                warm_log = emulator.requests_log()
            emulator.control("DELETE", "/_emulator/requests").raise_for_status()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                answers = [a for per in pool.map(lambda i: _client(base, i), range(CLIENTS)) for a in per]
            wall = time.perf_counter() - started
            reused = log_cost(emulator.requests_log())
    samples = [ms for ms, status, _ in answers if status == 201]
    failed = [(status, detail) for _, status, detail in answers if status != 201]
    print(
        json.dumps(
            {
                "benchmark": "provisioning_16_clients",
                "clients": CLIENTS,
                "creates": len(samples),
                "failed": dict(Counter(str(status) for status, _ in failed)),
                "firstFailure": failed[0][1] if failed else None,
                "p50_ms": round(percentile(samples, 50), 1),
                "p99_ms": round(percentile(samples, 99), 1),
                "creates_per_second": round(len(samples) / wall, 1),
                "azure_requests_per_create_reusing_set": round(reused.azure_requests / len(samples), 2),
                # of which ARM answered 429 (its read bucket: 250 burst, 25 a second) and the SDK retried
                "throttled429_per_create_reusing_set": round(reused.throttled / len(samples), 2),
                "arm_reads_per_create_reusing_set": round(sum(reused.arm_reads.values()) / len(samples), 2),
                "wall_s": round(wall, 1),
                "first_create_ms": round(first_ms, 1),
                "first_create_azure_requests": log_cost(first_log).azure_requests,
                "first_create_fewest_possible": FEWEST_FOR_A_NEW_SET,
                "first_create_calls": _calls(first_log),
                "warm_new_set_create_ms": round(warm_ms, 1),
                "warm_new_set_create_azure_requests": log_cost(warm_log).azure_requests,
                "warm_new_set_create_calls": _calls(warm_log),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
