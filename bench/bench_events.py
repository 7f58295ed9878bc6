"""Issue 13, benchmark 3: 1,000 Key Vault and Resources events, duplicated and shuffled, delivered to the devhost's
Event Grid functions by 4 concurrent senders in batches (as Event Grid does), at 50 ms per Azure request.

The distinct changes: a new version of each of the 20 secrets of 10 vaults, each secret read by the credential
sets of 5 registries (100 set rotations), plus credential-set writes whose grant is in place (no change to make).
Every event is sent several times with its own id. Figures: events per second handled, and Azure writes per
distinct change (one per rotated set is the target; duplicates and no-op resource events write nothing).
Run with ``python -m bench events``.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.figures import call_counts, log_cost
from emulator.constants import SUBSCRIPTION_ID, TENANT_ID
from emulator.eventgrid.payloads import keyvault_event, resource_event
from tests.e2e.conftest import REPO_ROOT, app_env
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import Emulator, start_emulator

EVENTS = 1000
VAULTS, REGISTRIES_PER_VAULT = 10, 5
SENDERS, BATCH = 4, 10
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
GROUP = "evt-rg"
SOMEONE_ELSE = "11111111-2222-3333-4444-555555555555"


def _seed(emulator: Emulator) -> list[tuple[str, dict[str, Any]]]:
    """The fleet, then one new version per secret (value unchanged, so the upstream login still holds); returns
    the distinct events as (function, event)."""
    emulator.reset()
    emulator.settings(latencyMs=LATENCY_MS)
    now = time.time()
    distinct: list[tuple[str, dict[str, Any]]] = []
    for v in range(VAULTS):
        prefix = f"ev{v}r"
        emulator.control(
            "POST",
            "/_emulator/fleet",
            json={
                "resourceGroup": GROUP,
                "registries": REGISTRIES_PER_VAULT,
                "rulesPerRegistry": 1,
                "prefix": prefix,
            },
        ).raise_for_status()
        for secret, value in (("username", "fleet-user"), ("password", "fleet-password")):
            answer = emulator.control(
                "PUT", f"/_emulator/secrets/{prefix}-kv/{secret}", json={"value": value}
            )
            answer.raise_for_status()
            event = keyvault_event(
                event_type="Microsoft.KeyVault.SecretNewVersionCreated",
                subscription_id=SUBSCRIPTION_ID,
                resource_group=GROUP,
                vault=f"{prefix}-kv",
                object_type="Secret",
                object_name=secret,
                version=answer.json()["version"],
                nbf=None,
                exp=None,
                now=now,
            )
            distinct.append(("on_keyvault_event", event))
        for r in range(REGISTRIES_PER_VAULT):
            set_id = (
                f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{GROUP}/providers/"
                f"Microsoft.ContainerRegistry/registries/{prefix}{r:04d}/credentialSets/creds"
            )
            distinct.append(
                (
                    "on_resource_event",
                    resource_event(
                        event_type="Microsoft.Resources.ResourceWriteSuccess",
                        subscription_id=SUBSCRIPTION_ID,
                        resource_id=set_id,
                        operation_name="Microsoft.ContainerRegistry/registries/credentialSets/write",
                        principal_id=SOMEONE_ELSE,
                        tenant_id=TENANT_ID,
                        status="Succeeded",
                        now=now,
                    ),
                )
            )
    return distinct


def _deliveries(distinct: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """EVENTS events: every distinct one at least once, the rest duplicates, shuffled, in batches per function."""
    rng = random.Random(13)
    stream = distinct + [rng.choice(distinct) for _ in range(EVENTS - len(distinct))]
    rng.shuffle(stream)
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    for function in ("on_keyvault_event", "on_resource_event"):
        mine = [e for f, e in stream if f == function]
        batches += [(function, mine[i : i + BATCH]) for i in range(0, len(mine), BATCH)]
    rng.shuffle(batches)
    return batches


def _deliver(url: str, function: str, batch: list[dict[str, Any]]) -> None:
    """Like Event Grid: redeliver (here at once) until the function answers 2xx."""
    for _ in range(30):
        answer = requests.post(
            f"{url}/runtime/webhooks/eventgrid",
            params={"functionName": function},
            json=batch,
            headers={"aeg-event-type": "Notification"},
            timeout=300,
        )
        if answer.ok:
            return
        time.sleep(1)
    raise RuntimeError(f"{function}: {answer.status_code} {answer.text[:300]}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with (
            start_azurite(tmp_path) as azurite,
            start_emulator(tmp_path / "emulator", seed=None) as emulator,
            start_devhost(
                REPO_ROOT,
                env=app_env(
                    emulator,
                    azurite,
                    HEALTH_TOPIC_ENDPOINT=f"{emulator.url}/eventgrid/topics/acr-cache-health/api/events",
                    HEALTH_TOPIC_KEY="bench",
                ),
            ) as devhost,
        ):
            distinct = _seed(emulator)
            batches = _deliveries(distinct)
            emulator.control("DELETE", "/_emulator/requests").raise_for_status()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=SENDERS) as pool:
                list(pool.map(lambda b: _deliver(devhost.url, *b), batches))
            wall = time.perf_counter() - started
            log = emulator.requests_log()
            cost = log_cost(log)
    changes = VAULTS * 2 * REGISTRIES_PER_VAULT  # each secret version moves the 5 sets that read it
    print(
        json.dumps(
            {
                "benchmark": "event_throughput",
                "events": sum(len(b) for _, b in batches),
                "distinctEvents": len(distinct),
                "distinctSetChanges": changes,
                "latencyMs": LATENCY_MS,
                "wallSeconds": round(wall, 2),
                "eventsPerSecond": round(EVENTS / wall, 1),
                **cost.as_json(),
                "writesPerDistinctChange": round(cost.arm_writes / changes, 2),
                "calls": call_counts(log),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
