"""Start `python -m devhost` for a test: free port, readiness wait, captured logs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.process import ManagedProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 30


class Devhost(ManagedProcess):
    stop_timeout = 15

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log_path: Path, function_key: str | None
    ) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.function_key = function_key

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_ready(devhost: Devhost) -> None:
    headers = {"x-functions-key": devhost.function_key} if devhost.function_key else {}
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if devhost.process.poll() is not None:
            raise RuntimeError(f"devhost exited with {devhost.process.returncode}:\n{devhost.logs()}")
        try:
            if (
                requests.get(f"{devhost.url}/admin/host/status", headers=headers, timeout=2).status_code
                == 200
            ):
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    devhost.stop()
    raise RuntimeError(f"devhost not ready after {READY_TIMEOUT_SECONDS}s:\n{devhost.logs()}")


def start_devhost(
    app_dir: Path | str,
    *,
    env: dict[str, str],
    port: int | None = None,
    function_key: str | None = None,
    timers: bool = False,
) -> Devhost:
    """Run the devhost over app_dir with `env` layered on this process's environment."""
    port = port or free_port()
    command = [sys.executable, "-m", "devhost", "--port", str(port), "--app-dir", str(app_dir)]
    if function_key:
        command += ["--function-key", function_key]
    if not timers:
        command.append("--no-timers")
    environment = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), environment.get("PYTHONPATH")) if p
    )
    handle, name = tempfile.mkstemp(prefix="devhost-", suffix=".log")
    with os.fdopen(handle, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    devhost = Devhost(process, port, Path(name), function_key)
    _wait_ready(devhost)
    return devhost
