"""Importing the app (what a cold start pays before the first invocation) wires no service and loads no event code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Built or imported on first use only: the container imports every service module, dispatch every event handler,
# the sweep's views its services.
DEFERRED = (
    "shared.services.container",
    "shared.events.dispatch",
    "shared.services.rotation",
    "shared.services.sweep",
    "shared.services.flagging",
    "shared.api.sweep_views",
    "shared.azure",
)


def test_importing_function_app_defers_the_container_and_the_event_modules() -> None:
    probe = "import sys, function_app; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "function_app" in loaded
    assert [m for m in loaded if m.startswith(DEFERRED)] == []
