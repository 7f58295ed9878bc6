"""`make run`'s stack (python -m devhost.stack) starts everything and its printed walkthrough works as printed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT
from tests.support.process import free_port, stop_process


def _three_free_ports() -> int:
    for _ in range(50):
        base = free_port()
        if base < 65000 and all(_is_free(base + i) for i in range(3)):
            return base
    raise RuntimeError("no three consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("make-run")
    env = {
        **os.environ,
        "DEVHOST_PORT": str(free_port()),
        "EMULATOR_PORT": str(free_port()),
        "AZURITE_PORT": str(_three_free_ports()),
        "LOCAL_STATE_DIR": str(tmp / "local"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devhost.stack"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C stops everything." not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        assert (Path(env["LOCAL_STATE_DIR"]) / "emulator" / "ca.pem").is_file(), (
            "the CA is kept in the state dir"
        )
        yield log.read_text(errors="replace")
    finally:
        process.send_signal(signal.SIGTERM)
        stop_process(process, 30)


def _commands(text: str) -> list[str]:
    """The curl commands as printed, joining backslash-continued lines."""
    joined = re.sub(r"\\\n\s*", "", text)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("curl ")]


def _run(command: str) -> dict[str, object]:
    out = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_it_prints_the_urls(walkthrough: str) -> None:
    assert re.search(r"functions\s+http://localhost:\d+", walkthrough)
    assert re.search(r"emulator\s+https://127\.0\.0\.1:\d+ \(CA .*ca\.pem\)", walkthrough)


def test_the_printed_commands_work_as_printed(walkthrough: str) -> None:
    commands = _commands(walkthrough)
    docker_hub, rbac = commands[0], commands[1]
    refused = next(c for c in commands if "ubuntu:22.04" in c)

    created = _run(docker_hub)
    via_rbac = _run(rbac)
    problem = _run(refused)

    assert created["credentialSet"]["health"]["status"] == "Healthy", created  # type: ignore[index]
    assert via_rbac["credentialSet"]["health"]["status"] == "Healthy", via_rbac  # type: ignore[index]
    assert "rbac" in via_rbac["credentialSet"]["usernameSecretUri"]  # type: ignore[index]
    assert problem["status"] == 400 and "tag" in json.dumps(problem)
    listing = _run(next(c for c in commands if c.endswith("/cache-rules")))
    assert listing["count"] == 2


def test_it_prints_the_dashboard_whose_demo_data_mixes_healthy_and_failing_rules(walkthrough: str) -> None:
    found = re.search(r"dashboard\s+(http://localhost:\d+/api/dashboard)\s", walkthrough)
    assert found, walkthrough
    url = found.group(1)
    page = subprocess.run(
        ["curl", "-s", "-i", url], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Content-Security-Policy" in page and "<title>Cache rule health" in page
    health = _run(f"curl -s '{url.removesuffix('dashboard')}health?registry=demofleet'")
    rules: list[dict[str, object]] = health["rules"]  # type: ignore[assignment]
    reasons = {r["name"]: r["reason"] for r in rules}
    assert health["summary"] == {"rules": 8, "healthy": 3, "warning": 1, "unhealthy": 4}
    assert set(reasons.values()) == {
        None,
        "SecretExpired",
        "SecretExpiring",
        "AccessMissing",
        "SecretMissing",
        "CredentialSetMissing",
    }
