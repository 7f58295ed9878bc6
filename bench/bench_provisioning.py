"""End-to-end API cost through the devhost: latency and Azure requests (ARM + Key Vault data plane, from the
emulator's request log) per create / show / list / validate."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import REPO_ROOT, app_env, docker_rule
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import start_emulator


def _measure(call: Any, log: Any) -> tuple[float, int]:
    before = len(log())
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code < 300, response.text
    return elapsed, len(log()) - before


def _summary(samples: list[tuple[float, int]]) -> dict[str, float]:
    times = sorted(s[0] for s in samples)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "azure_requests": round(statistics.mean(s[1] for s in samples), 1),
    }


def main(rules: int = 12) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with (
            start_azurite(tmp_path) as azurite,
            start_emulator(tmp_path / "emulator", seed="demo") as emulator,
            start_devhost(REPO_ROOT, env=app_env(emulator, azurite)) as devhost,
        ):
            base = f"{devhost.url}/api/registries/demoregistry/cache-rules"
            log = emulator.requests_log
            creates = [
                _measure(
                    lambda i=i: requests.put(
                        f"{base}/repo{i:03d}", json=docker_rule(f"repo{i:03d}"), timeout=60
                    ),
                    log,
                )
                for i in range(rules)
            ]
            shows = [
                _measure(lambda i=i: requests.get(f"{base}/repo{i:03d}", timeout=60), log)
                for i in range(rules)
            ]
            lists = [_measure(lambda: requests.get(base, timeout=60), log) for _ in range(5)]
            validates = [
                _measure(lambda i=i: requests.post(f"{base}/repo{i:03d}/validate", timeout=60), log)
                for i in range(rules)
            ]
    print(
        json.dumps(
            {
                "benchmark": "http_api_against_emulator",
                "rules": rules,
                "create_first": {"ms": round(creates[0][0], 1), "azure_requests": creates[0][1]},
                "create_reusing_credential_set": _summary(creates[1:]),
                "show": _summary(shows),
                "list": _summary(lists),
                "validate": _summary(validates),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
