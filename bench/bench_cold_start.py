"""Cold start: how long importing function_app takes and which SDKs it drags in before any invocation, against
importing every Azure SDK client the app uses eagerly, measured alternately in the same run (issue 13: the ratio
should be at most 0.5)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys, time
t = time.perf_counter()
import function_app
elapsed = time.perf_counter() - t
heavy = sorted(m for m in sys.modules if m.startswith(("azure.mgmt", "azure.keyvault", "azure.identity", "azure.eventgrid")))
print(elapsed, len(sys.modules), ",".join(heavy))
"""
# Every SDK client class function_app's code uses, imported up front: alone in a fresh interpreter (the issue's
# literal comparison), and after function_app (what the app itself would cost with module-level SDK imports).
SDKS = """
import azure.functions
from azure.data.tables import TableServiceClient
from azure.eventgrid import EventGridPublisherClient
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.storage.queue import QueueClient
"""
EAGER = f"import time\nt = time.perf_counter()\n{SDKS}\nprint(time.perf_counter() - t)"
EAGER_APP = (
    f"import time\nt = time.perf_counter()\nimport function_app\n{SDKS}\nprint(time.perf_counter() - t)"
)


def _probe_ms(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-X", "frozen_modules=on", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[0]) * 1000


def main(runs: int = 7) -> None:
    timings, eager, eager_app, modules, heavy = [], [], [], 0, ""
    for _ in range(runs):
        eager.append(_probe_ms(EAGER))
        eager_app.append(_probe_ms(EAGER_APP))
        out = subprocess.run(
            [sys.executable, "-X", "frozen_modules=on", "-c", PROBE],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        timings.append(float(out[0]) * 1000)
        modules = int(out[1])
        heavy = out[2] if len(out) > 2 else ""
    print(
        json.dumps(
            {
                "benchmark": "cold_start_import_function_app",
                "runs": runs,
                "median_ms": round(statistics.median(timings), 1),
                "min_ms": round(min(timings), 1),
                "eager_sdks_median_ms": round(statistics.median(eager), 1),
                "ratio_to_eager_sdks": round(statistics.median(timings) / statistics.median(eager), 3),
                "eager_app_median_ms": round(statistics.median(eager_app), 1),
                "ratio_to_eager_app": round(statistics.median(timings) / statistics.median(eager_app), 3),
                "modules_loaded": modules,
                "sdk_modules_at_import": heavy.split(",") if heavy else [],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
