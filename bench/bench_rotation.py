"""Issue 13, benchmark 2: a rotated secret used by 1, 10 and 100 credential sets (one per registry), delivered as
Key Vault's event through the emulator's event subscriptions to the devhost, at 50 ms per request.

Per size two rotations: ``cold`` (the secret index is empty, as after a fresh deployment: one scan rebuilds it) and
``warm`` (the next version, index built). Figures: Azure requests (and the ARM list calls among them; the target is
none when warm), requests per affected set (target at most 3 plus the health wait), and the time from the new
version to the last ``CredentialSetRotated`` flag, which the app sends once the service reports the set Healthy.
The log window also holds what the app's own writes cause through the Resources subscription, as deployed.
Run with ``python -m bench rotation``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from bench.figures import WRITE_METHODS, call_counts, log_cost
from devhost.stack import subscribe
from tests.e2e.conftest import REPO_ROOT, app_env
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import Emulator, start_emulator

SIZES = [int(n) for n in os.environ.get("BENCH_ROTATION_SETS", "1,10,100").split(",")]
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
TOPIC = "acr-cache-health"
PREFIX = "rot"
WAIT_SECONDS = 300
# ARM's read bucket (250, refilled 25 a second) is full again before the warm run: it measures itself, not the
# cold run's debt.
BUCKET_REFILL_SECONDS = 10


def _rotated(emulator: Emulator) -> int:
    answer = emulator.control("GET", f"/_emulator/topics/{TOPIC}/events")
    answer.raise_for_status()
    return sum(
        (r["event"].get("type") or r["event"].get("eventType")) == "ArtifactCache.CredentialSetRotated"
        for r in answer.json()
    )


def _rotate(emulator: Emulator, sets: int, run: str, value: str, flags_before: int) -> None:
    emulator.control("DELETE", "/_emulator/requests").raise_for_status()
    emulator.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/fleet-user", json={"password": value}
    ).raise_for_status()
    started = time.perf_counter()
    emulator.control(
        "PUT", f"/_emulator/secrets/{PREFIX}-kv/password", json={"value": value}
    ).raise_for_status()
    deadline = time.monotonic() + WAIT_SECONDS
    while _rotated(emulator) < flags_before + sets and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    # The Resources events the writes caused are part of the cost: the window closes once they are delivered.
    emulator.control("POST", "/_emulator/deliveries/idle", json={"timeoutSeconds": 120}).raise_for_status()
    log = [e for e in emulator.requests_log() if not e["path"].startswith(("/_emulator/", "/eventgrid/"))]
    cost = log_cost(log)
    print(
        json.dumps(
            {
                "benchmark": "rotation",
                "credentialSets": sets,
                "index": run,
                "latencyMs": LATENCY_MS,
                "rotatedFlags": _rotated(emulator) - flags_before,
                "eventToVerifiedSeconds": round(elapsed, 2),
                **cost.as_json(),
                "armListCalls": cost.lists,
                "requestsPerSet": round(cost.azure_requests / sets, 2),
                "writes": sum(e["method"] in WRITE_METHODS for e in log),
                "calls": call_counts(log),
            }
        ),
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with start_emulator(tmp_path / "emulator", seed=None) as emulator:
            for sets in SIZES:
                emulator.reset()
                emulator.settings(latencyMs=LATENCY_MS)
                emulator.control(
                    "POST",
                    "/_emulator/fleet",
                    json={
                        "resourceGroup": "rot-rg",
                        "registries": sets,
                        "rulesPerRegistry": 1,
                        "prefix": PREFIX,
                    },
                ).raise_for_status()
                with start_azurite(Path(tempfile.mkdtemp(dir=tmp_path))) as azurite:
                    env = app_env(
                        emulator,
                        azurite,
                        HEALTH_TOPIC_ENDPOINT=f"{emulator.url}/eventgrid/topics/{TOPIC}/api/events",
                        HEALTH_TOPIC_KEY="bench",
                    )
                    with start_devhost(REPO_ROOT, env=env) as devhost:
                        subscribe(emulator.url, emulator.ca_path, devhost.url)
                        _rotate(emulator, sets, "cold", "rotated-1", 0)
                        time.sleep(BUCKET_REFILL_SECONDS)
                        _rotate(emulator, sets, "warm", "rotated-2", _rotated(emulator))


if __name__ == "__main__":
    main()
