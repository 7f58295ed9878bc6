"""Issue 13, benchmark 1: the health sweep against fleets of growing size at 50 ms per request, throttling on,
beside the way it is done today (an `az acr cache list` + `az acr credential-set show` + `az keyvault show` script,
sequential, one call per credential set and vault per rule). One JSON line per figure:

- ``sweep_in_process``: one devhost sweeping every registry itself (a first sweep writes every rule's verdict; the
  ``steady`` run is the next sweep with the bucket refilled, which writes nothing new);
- ``az_script_baseline``: the script, stopped after ``BENCH_BASELINE_SECONDS`` (then its cost is projected from
  the rules it reached, and ``finished`` is false);
- ``sweep_fanned_out``: the queue trigger, with 1 and 4 devhosts sharing Azurite;
- ``sweep_five_subscriptions``: the biggest fleet spread over 5 subscriptions (a read budget each).

Azure requests, 429s, the ARM read floor and the flag publish requests (``flagPublishRequests``: POSTs to the
health topic, one per registry with new flags) come from the emulator's request log; memory is the sweeping
devhost's peak RSS during the sweep. Run one with ``python -m bench fleet``; sizes via ``BENCH_FLEETS=1x10,20x10,...``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

from bench.bench_sweep import run_sweep
from bench.figures import log_cost, read_floor_seconds
from tests.e2e.conftest import REPO_ROOT, SUBSCRIPTION, app_env
from tests.support.azurite import start_azurite
from tests.support.devhost import Devhost, start_devhost
from tests.support.emulator import Emulator, start_emulator

FLEETS = [
    tuple(int(n) for n in size.split("x"))
    for size in os.environ.get("BENCH_FLEETS", "1x10,20x10,100x50,500x100").split(",")
]
FANOUT_FLEET = tuple(int(n) for n in os.environ.get("BENCH_FANOUT_FLEET", "100x50").split("x"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
BASELINE_SECONDS = float(os.environ.get("BENCH_BASELINE_SECONDS", "120"))
SUBSCRIPTIONS = 5
GROUP = "bench-rg"
ACR_API, KV_API = "2025-11-01", "2023-07-01"
WAIT_SECONDS = 900
TOPIC = "acr-cache-health"


def _emit(figure: dict[str, Any]) -> None:
    print(json.dumps(figure), flush=True)


def _subscription_id(index: int) -> str:
    return SUBSCRIPTION if index == 0 else f"00000000-0000-0000-0000-0000000b{index:04d}"


def _seed(emulator: Emulator, registries: int, rules: int, subscriptions: int = 1) -> dict[str, int]:
    """A fleet with one broken registry in ten (at least one), spread evenly over the subscriptions."""
    emulator.reset()
    emulator.settings(latencyMs=LATENCY_MS, throttling=True)
    emulator.control("DELETE", "/_emulator/requests").raise_for_status()
    totals = {"registries": 0, "rules": 0, "unhealthyRules": 0}
    share = registries // subscriptions
    for index in range(subscriptions):
        subscription = _subscription_id(index)
        if index:
            emulator.control("PUT", f"/_emulator/subscriptions/{subscription}", json={}).raise_for_status()
        answer = emulator.control(
            "POST",
            "/_emulator/fleet",
            json={
                "resourceGroup": GROUP,
                "registries": share,
                "rulesPerRegistry": rules,
                "prefix": f"fleet{index}r",
                "subscriptionId": subscription,
                "brokenRegistries": max(1, share // 10),
            },
        )
        answer.raise_for_status()
        for key in totals:
            totals[key] += answer.json()[key]
    return totals


def _refill(emulator: Emulator) -> None:
    """Let the read bucket fill up (emulator clock; 250 reads at 25/s) and forget the log, between runs."""
    emulator.control("POST", "/_emulator/clock", json={"advanceSeconds": 15}).raise_for_status()
    emulator.control("DELETE", "/_emulator/requests").raise_for_status()


@contextmanager
def _peak_rss(pid: int) -> Iterator[dict[str, int]]:
    """The process's resident memory before the block and its peak while it runs (Linux: VmHWM after resetting
    it; Python keeps what it once held, so the growth is the figure to compare across fleet sizes)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    figures = {"rssBeforeMb": _status_mb(pid, "VmRSS")}
    yield figures
    figures["peakRssMb"] = _status_mb(pid, "VmHWM")
    figures["rssGrowthMb"] = figures["peakRssMb"] - figures["rssBeforeMb"]


def _status_mb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields[field].split()[0]) // 1024


def _health_unhealthy(url: str) -> int:
    answer = requests.get(f"{url}/api/health", params={"status": "Unhealthy", "top": 1}, timeout=60)
    answer.raise_for_status()
    return int(answer.json()["summary"]["unhealthy"])


def _run_sweep(
    name: str, emulator: Emulator, host: Devhost, fleet: dict[str, int], size: tuple[int, int], **extra: Any
) -> float:
    """One sweep measured; returns its wall time in seconds."""
    with _peak_rss(host.process.pid) as memory:
        started = time.perf_counter()
        result = run_sweep(host.url, wait_seconds=WAIT_SECONDS)
        wall = time.perf_counter() - started
    entries = emulator.requests_log()
    cost = log_cost(entries)
    floor = read_floor_seconds(cost.arm_reads)
    _emit(
        {
            "benchmark": name,
            "registries": size[0],
            "rulesPerRegistry": size[1],
            "latencyMs": LATENCY_MS,
            **extra,
            "wallSeconds": round(wall, 2),
            "durationMs": result.get("durationMs"),
            **cost.as_json(),
            "sweepCountedRequests": result.get("azureRequests"),
            "readsPerRegistry": round(sum(cost.arm_reads.values()) / size[0], 2),
            "readFloorSeconds": round(floor, 1),
            "wallOverFloor": round(wall / floor, 2) if floor else None,
            **memory,
            "rulesCounted": result.get("rules"),
            "rulesSeeded": fleet["rules"],
            "unhealthyFound": _health_unhealthy(host.url),
            "unhealthySeeded": fleet["unhealthyRules"],
            "flagsRaised": result.get("flagsRaised"),
            "flagPublishRequests": sum(
                e["method"] == "POST" and str(e["path"]).startswith(f"/eventgrid/topics/{TOPIC}/")
                for e in entries
            ),
            "failures": len(result.get("failures", [])),
            "firstFailure": (result.get("failures") or [{}])[0].get("error", "")[:200] or None,
        }
    )
    return wall


def _arm_get(session: requests.Session, emulator: Emulator, path: str, api: str) -> dict[str, Any]:
    """One `az` call: a GET, waiting out 429s as the CLI's retry policy does."""
    url = path if path.startswith("https://") else f"{emulator.url}{path}"
    params = None if "api-version=" in url else {"api-version": api}
    while True:
        answer = session.get(url, params=params, verify=str(emulator.ca_path), timeout=60)
        if answer.status_code != 429:
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
            return body
        time.sleep(float(answer.headers.get("Retry-After", "1")))


def _pages(session: requests.Session, emulator: Emulator, path: str, api: str) -> Iterator[dict[str, Any]]:
    page: dict[str, Any] | None = _arm_get(session, emulator, path, api)
    while page is not None:
        yield from page.get("value", [])
        link = page.get("nextLink")
        page = _arm_get(session, emulator, link, api) if link else None


def _az_script(emulator: Emulator, size: tuple[int, int], fleet: dict[str, int]) -> None:
    """What a platform team runs today: for every registry list its rules, then per rule show its credential set
    and the vault holding its secrets, one call at a time."""
    token = emulator.token_credential().get_token("https://management.azure.com/.default").token
    deadline = time.monotonic() + BASELINE_SECONDS
    rules = unhealthy = 0
    started = time.perf_counter()
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        registries = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.ContainerRegistry/registries"
        for registry in _pages(session, emulator, registries, ACR_API):
            if time.monotonic() > deadline:
                break
            for rule in _pages(session, emulator, f"{registry['id']}/cacheRules", ACR_API):
                if time.monotonic() > deadline:
                    break
                rules += 1
                set_id = rule["properties"].get("credentialSetResourceId")
                if not set_id:
                    continue
                credential_set = _arm_get(session, emulator, set_id, ACR_API)
                credentials = credential_set["properties"]["authCredentials"]
                vault = credentials[0]["usernameSecretIdentifier"].split("//", 1)[1].split(".", 1)[0]
                group = registry["id"].split("/")[4]
                _arm_get(
                    session,
                    emulator,
                    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{vault}",
                    KV_API,
                )
                unhealthy += any(
                    c.get("credentialHealth", {}).get("status") != "Healthy" for c in credentials
                )
    wall = time.perf_counter() - started
    cost = log_cost(emulator.requests_log())
    finished = rules == fleet["rules"]
    projected = wall * fleet["rules"] / max(1, rules)
    _emit(
        {
            "benchmark": "az_script_baseline",
            "registries": size[0],
            "rulesPerRegistry": size[1],
            "latencyMs": LATENCY_MS,
            "finished": finished,
            "rulesReached": rules,
            "wallSeconds": round(wall, 2),
            "projectedWallSeconds": round(projected, 1),
            "projectedAzureRequests": round(cost.azure_requests * fleet["rules"] / max(1, rules)),
            **cost.as_json(),
            "unhealthyFound": unhealthy,
        }
    )


@contextmanager
def _hosts(tmp: Path, emulator: Emulator, workers: int = 1, **settings: str) -> Iterator[list[Devhost]]:
    """Fresh Azurite (so each fleet's first sweep starts with no stored verdict) and devhosts sharing it."""
    with ExitStack() as stack:
        azurite = stack.enter_context(start_azurite(Path(tempfile.mkdtemp(dir=tmp))))
        topic = f"{emulator.url}/eventgrid/topics/{TOPIC}/api/events"
        env = app_env(emulator, azurite, HEALTH_TOPIC_ENDPOINT=topic, HEALTH_TOPIC_KEY="bench", **settings)
        yield [stack.enter_context(start_devhost(REPO_ROOT, env=env)) for _ in range(workers)]


def _fleet_runs(tmp: Path, emulator: Emulator) -> None:
    for size in FLEETS:
        fleet = _seed(emulator, *size)
        with _hosts(tmp, emulator, SWEEP_FANOUT_THRESHOLD="1000000") as (host,):
            _run_sweep("sweep_in_process", emulator, host, fleet, size, run="first")
            _refill(emulator)
            _run_sweep("sweep_in_process", emulator, host, fleet, size, run="steady")
        _refill(emulator)
        _az_script(emulator, size, fleet)


def _fanned_out(tmp: Path, emulator: Emulator) -> None:
    for workers in (1, 4):
        fleet = _seed(emulator, *FANOUT_FLEET)
        with _hosts(tmp, emulator, workers, SWEEP_FANOUT_THRESHOLD="0") as hosts:
            _run_sweep("sweep_fanned_out", emulator, hosts[0], fleet, FANOUT_FLEET, workers=workers)


def _five_subscriptions(tmp: Path, emulator: Emulator) -> None:
    size = max(FLEETS)
    fleet = _seed(emulator, *size, subscriptions=SUBSCRIPTIONS)
    ids = ",".join(_subscription_id(i) for i in range(SUBSCRIPTIONS))
    with _hosts(tmp, emulator, SWEEP_FANOUT_THRESHOLD="1000000", AZURE_SUBSCRIPTION_IDS=ids) as (host,):
        for run in ("first", "steady"):
            _refill(emulator)
            _run_sweep(
                "sweep_five_subscriptions", emulator, host, fleet, size, subscriptions=SUBSCRIPTIONS, run=run
            )


def main() -> None:
    parts = os.environ.get("BENCH_FLEET_PARTS", "scaling,fanout,subscriptions").split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with start_emulator(tmp_path / "emulator", seed=None) as emulator:
            if "scaling" in parts:
                _fleet_runs(tmp_path, emulator)
            if "fanout" in parts:
                _fanned_out(tmp_path, emulator)
            if "subscriptions" in parts:
                _five_subscriptions(tmp_path, emulator)


if __name__ == "__main__":
    main()
