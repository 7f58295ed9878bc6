"""Health sweep at fleet scale through the devhost: duration and Azure requests (the sweep's own count, checked
against the emulator's log) for fleets of growing size and rules per registry, in-process and fanned out over the
queue trigger. One JSON line per figure."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import REPO_ROOT, app_env
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import start_emulator

FLEETS = tuple(
    tuple(int(n) for n in f.split("x"))
    for f in os.environ.get("BENCH_SWEEP_FLEETS", "50x10,50x200,200x10").split(",")
)  # (registries, rules per registry)
WAIT_SECONDS = 600


def run_sweep(url: str, *, wait_seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    """POST /api/sweeps on a devhost and, when it fanned out (202), follow its Location until Completed."""
    started = requests.post(f"{url}/api/sweeps", timeout=wait_seconds)
    assert started.status_code in (200, 202), started.text
    result: dict[str, Any] = started.json()
    deadline = time.monotonic() + wait_seconds
    while result["status"] != "Completed" and time.monotonic() < deadline:
        time.sleep(0.5)
        result = requests.get(f"{url}{started.headers['Location']}", timeout=60).json()
    return result


def _figure(name: str, registries: int, rules: int, result: dict[str, Any], wall_ms: float) -> None:
    print(
        json.dumps(
            {
                "benchmark": name,
                "registries": registries,
                "rulesPerRegistry": rules,
                "rules": result["rules"],
                "durationMs": result["durationMs"],
                "wallMs": round(wall_ms),
                "azureRequests": result["azureRequests"],
                "requestsPerRegistry": round(result["azureRequests"] / max(1, registries), 2),
                "failures": len(result["failures"]),
                "firstFailure": result["failures"][0]["error"][:300] if result["failures"] else None,
            }
        ),
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with start_azurite(tmp_path) as azurite, start_emulator(tmp_path / "emulator", seed=None) as emulator:
            env = app_env(emulator, azurite, SWEEP_FANOUT_THRESHOLD="100000")
            with (
                start_devhost(REPO_ROOT, env=env) as inproc,
                start_devhost(REPO_ROOT, env={**env, "SWEEP_FANOUT_THRESHOLD": "0"}) as fanned,
            ):
                for registries, rules in FLEETS:
                    emulator.reset()
                    emulator.settings(pageSize=1000)
                    emulator.control(
                        "POST",
                        "/_emulator/fleet",
                        json={
                            "resourceGroup": "bench-rg",
                            "registries": registries,
                            "rulesPerRegistry": rules,
                        },
                    ).raise_for_status()
                    for name, host in (("sweep_in_process", inproc), ("sweep_fanned_out", fanned)):
                        started = time.perf_counter()
                        result = run_sweep(host.url)
                        _figure(name, registries, rules, result, (time.perf_counter() - started) * 1000)


if __name__ == "__main__":
    main()
