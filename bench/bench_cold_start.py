"""Cold start: how long importing function_app takes and which SDKs it drags in before any invocation."""

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


def main(runs: int = 7) -> None:
    timings, modules, heavy = [], 0, ""
    for _ in range(runs):
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
                "modules_loaded": modules,
                "sdk_modules_at_import": heavy.split(",") if heavy else [],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
