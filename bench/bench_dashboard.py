"""The dashboard's first screen over a seeded fleet of 50,000 rules, in headless Chromium.

Prints one JSON line: the seed and sweep cost, ``GET /api/health?top=50`` latency and size, and how long after
navigation the browser drew the first page of rules (the page's ``dashboard:rules-drawn`` user-timing mark), with
how many bytes of health data it fetched for it (a page, never the fleet).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import REPO_ROOT, app_env
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.devhost import start_devhost
from tests.support.emulator import start_emulator

REGISTRIES, RULES_PER_REGISTRY, BROKEN = 500, 100, 25
LOADS = 3


def _first_screen(driver: Any, url: str) -> dict[str, float]:
    driver.get(url)
    deadline = time.monotonic() + 300
    while not driver.execute_script("return performance.getEntriesByName('dashboard:rules-drawn').length"):
        if time.monotonic() > deadline:
            raise RuntimeError("the dashboard never drew its rules")
        time.sleep(0.05)
    timing: dict[str, float] = driver.execute_script(
        "const drawn = performance.getEntriesByName('dashboard:rules-drawn')[0].startTime;"
        "const health = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/health'));"
        "return {drawn: drawn, healthBytes: health.reduce((n, r) => n + r.transferSize, 0),"
        " rows: document.querySelectorAll('tr.rule').length};"
    )
    return timing


def main() -> None:
    if reason := browser.missing():
        print(json.dumps({"bench": "dashboard", "skipped": reason}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with (
            start_azurite(root) as azurite,
            start_emulator(root / "emulator", seed=None) as emulator,
            start_devhost(
                REPO_ROOT, env=app_env(emulator, azurite, SWEEP_FANOUT_THRESHOLD=str(REGISTRIES + 1))
            ) as devhost,
        ):
            started = time.perf_counter()
            seeded = emulator.control(
                "POST",
                "/_emulator/fleet",
                json={
                    "resourceGroup": "bench-rg",
                    "registries": REGISTRIES,
                    "rulesPerRegistry": RULES_PER_REGISTRY,
                    "brokenRegistries": BROKEN,
                },
            )
            seeded.raise_for_status()
            seed_s = time.perf_counter() - started
            started = time.perf_counter()
            sweep = requests.post(f"{devhost.url}/api/sweeps", timeout=3600).json()
            sweep_s = time.perf_counter() - started
            api_ms, api_bytes = [], 0
            for _ in range(LOADS):
                started = time.perf_counter()
                page = requests.get(f"{devhost.url}/api/health", params={"top": "50"}, timeout=300)
                api_ms.append((time.perf_counter() - started) * 1000)
                api_bytes = len(page.content)
            driver = browser.start()
            try:
                screens = [_first_screen(driver, f"{devhost.url}/api/dashboard") for _ in range(LOADS)]
            finally:
                driver.quit()
    drawn = [s["drawn"] for s in screens]
    print(
        json.dumps(
            {
                "bench": "dashboard",
                "rules": seeded.json()["rules"],
                "registries": REGISTRIES,
                "seed_s": round(seed_s, 1),
                "sweep_s": round(sweep_s, 1),
                "sweep_azure_requests": sweep.get("azureRequests"),
                "health_top50_p50_ms": round(statistics.median(api_ms), 1),
                "health_top50_bytes": api_bytes,
                "first_screen_p50_ms": round(statistics.median(drawn), 1),
                "first_screen_max_ms": round(max(drawn), 1),
                "first_screen_health_bytes": int(screens[-1]["healthBytes"]),
                "rows_drawn": int(screens[-1]["rows"]),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
    sys.exit(0)
