"""``make run``: Azurite, the seeded emulator and the devhost wired together, in the foreground.

The emulator gets the ``showcase`` seed (the demo data plus registry ``demofleet`` with broken rules of several
kinds) and one sweep runs at start, so the printed dashboard URL shows healthy and failing rules at once.

Ctrl-C stops all three. The emulator keeps its data dir (and so its CA) in ``.local/emulator`` across runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from devhost.azurite import DEFAULT_PORTS, connection_string
from shared.events.keyvault import (
    SecretExpired,
    SecretNearExpiry,
    SecretNewVersionCreated,
    VaultAccessPolicyChanged,
)
from shared.events.resources import HANDLED_OPERATIONS, ResourceDeleteSuccess, ResourceWriteSuccess

ROOT = Path(__file__).resolve().parent.parent


def _wait_for_port(port: int, what: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}; see its output above")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _require_free(port: int, what: str, variable: str | None) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            hint = f"; set {variable} to use another" if variable else ""
            raise SystemExit(f"port {port} for {what} is already in use (is another `make run` going?){hint}")


def event_subscriptions(functions_url: str) -> dict[str, dict[str, Any]]:
    """The local twin of infra/events/main.bicep: the same event types and ``data.operationName`` filter."""

    def endpoint(function: str) -> str:
        return f"{functions_url}/runtime/webhooks/eventgrid?functionName={function}"

    return {
        "on-keyvault-event": {
            "endpoint": endpoint("on_keyvault_event"),
            "eventTypes": [
                view.event_type
                for view in (
                    SecretNewVersionCreated,
                    SecretNearExpiry,
                    SecretExpired,
                    VaultAccessPolicyChanged,
                )
            ],
            "schema": "EventGridSchema",
        },
        "on-resource-event": {
            "endpoint": endpoint("on_resource_event"),
            "eventTypes": [ResourceWriteSuccess.event_type, ResourceDeleteSuccess.event_type],
            "schema": "EventGridSchema",
            "advancedFilters": [
                {"operatorType": "StringIn", "key": "data.operationName", "values": list(HANDLED_OPERATIONS)}
            ],
        },
    }


def subscribe(emulator_url: str, ca_file: Path, functions_url: str) -> None:
    """Create (or replace) the emulator's event subscriptions to the devhost's Event Grid functions."""
    context = ssl.create_default_context(cafile=str(ca_file))
    for name, body in event_subscriptions(functions_url).items():
        request = urllib.request.Request(  # noqa: S310 (the emulator's https URL, built here)
            f"{emulator_url}/_emulator/event-subscriptions/{name}",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=context, timeout=60) as answer:  # noqa: S310
            answer.read()


def first_sweep(functions_url: str) -> dict[str, Any]:
    """Sweep once at start, so the dashboard shows the demo fleet's verdicts at once rather than after the timer."""
    request = urllib.request.Request(f"{functions_url}/api/sweeps", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 (the local devhost)
        result: dict[str, Any] = json.loads(answer.read())
    return result


def _walkthrough(api: str, kv: str, kv_rbac: str) -> str:
    creds = (
        f'"credentials": {{"usernameSecretUri": "{kv}/secrets/dockerhub-username", '
        f'"passwordSecretUri": "{kv}/secrets/dockerhub-password"}}'
    )
    rbac = creds.replace(kv, kv_rbac)
    reg = f"{api}/registries/demoregistry"
    return f"""
Try it:
  # Docker Hub rule with credentials in one request (access-policy vault):
  curl -s -X PUT {reg}/cache-rules/ubuntu -H 'Content-Type: application/json' \\
    -d '{{"sourceRepository": "docker.io/library/ubuntu", "targetRepository": "ubuntu", {creds}}}'
  # the same against the RBAC vault:
  curl -s -X PUT {reg}/cache-rules/nginx -H 'Content-Type: application/json' \\
    -d '{{"sourceRepository": "nginx", "targetRepository": "nginx", {rbac}}}'
  curl -s {reg}/cache-rules
  curl -s -X POST {reg}/cache-rules/ubuntu/validate
  curl -s -X DELETE {reg}/cache-rules/nginx
  # refused before any write (RFC 9457 problem details):
  curl -s -X PUT {reg}/cache-rules/ubuntu2 -H 'Content-Type: application/json' \\
    -d '{{"sourceRepository": "ubuntu:22.04", "targetRepository": "ubuntu2"}}'
  curl -s {api}/openapi.json
"""


STACK_FILE = "stack.json"  # the ports `make run` used, for scripts/az-local and scripts/second-devhost


def devhost_env(emulator_port: int, azurite_port: int, emulator_dir: Path) -> dict[str, str]:
    """What a devhost of this stack needs on top of the caller's environment (shared by a second devhost)."""
    emulator_url = f"https://127.0.0.1:{emulator_port}"
    return {
        "AZURE_CLOUD": "Local",
        "AZURE_LOCAL_ENDPOINT": emulator_url,
        "IDENTITY_ENDPOINT": f"{emulator_url}/msi/token",
        "IDENTITY_HEADER": "local",
        "REQUESTS_CA_BUNDLE": str(emulator_dir / "ca.pem"),
        "HEALTH_TOPIC_ENDPOINT": f"{emulator_url}/eventgrid/topics/acr-cache-health/api/events",
        "AzureWebJobsStorage": connection_string(azurite_port, azurite_port + 1, azurite_port + 2),
    }


def second(port: int) -> int:
    """Another devhost on ``port`` against the running `make run` stack (same emulator and Azurite): a second
    instance of the app, for scale-out trials. Runs in the foreground."""
    local = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")
    try:
        ports = json.loads((local / STACK_FILE).read_text())
    except FileNotFoundError:
        print(f"no {local / STACK_FILE}: start the stack with `make run` first", file=sys.stderr)
        return 2
    _require_free(port, "the second devhost", None)
    env = {**os.environ, **devhost_env(int(ports["emulator"]), int(ports["azurite"]), local / "emulator")}
    command = [sys.executable, "-m", "devhost", "--port", str(port), "--app-dir", str(ROOT)]
    return subprocess.call(command, cwd=ROOT, env=env)


def main() -> int:
    devhost_port = int(os.environ.get("DEVHOST_PORT", "7071"))
    emulator_port = int(os.environ.get("EMULATOR_PORT", "8443"))
    azurite_port = int(os.environ.get("AZURITE_PORT", str(DEFAULT_PORTS[0])))  # blob; queue +1, table +2
    local = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")
    emulator_dir = local / "emulator"
    azurite_dir = local / "azurite"
    emulator_dir.mkdir(parents=True, exist_ok=True)
    azurite_dir.mkdir(parents=True, exist_ok=True)
    emulator_url = f"https://127.0.0.1:{emulator_port}"
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def on_term(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    for port, what, variable in (
        (azurite_port, "Azurite", "AZURITE_PORT"),
        (azurite_port + 2, "Azurite", "AZURITE_PORT"),
        (emulator_port, "the emulator", "EMULATOR_PORT"),
        (devhost_port, "the devhost", "DEVHOST_PORT"),
    ):
        _require_free(port, what, variable)
    try:
        azurite = ROOT / "node_modules" / ".bin" / "azurite"
        procs.append(
            subprocess.Popen(
                [
                    str(azurite),
                    "--silent",
                    "--location",
                    str(azurite_dir),
                    "--skipApiVersionCheck",
                    "--loose",
                    "--blobPort",
                    str(azurite_port),
                    "--queuePort",
                    str(azurite_port + 1),
                    "--tablePort",
                    str(azurite_port + 2),
                ],
                cwd=ROOT,
            )
        )
        _wait_for_port(azurite_port + 2, "Azurite", procs[-1])
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "emulator",
                    "serve",
                    "--port",
                    str(emulator_port),
                    "--data-dir",
                    str(emulator_dir),
                    "--seed",
                    "showcase",
                ],
                cwd=ROOT,
            )
        )
        _wait_for_port(emulator_port, "the emulator", procs[-1])
        env = {**os.environ, **devhost_env(emulator_port, azurite_port, emulator_dir)}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "devhost", "--port", str(devhost_port), "--app-dir", str(ROOT)],
                cwd=ROOT,
                env=env,
            )
        )
        _wait_for_port(devhost_port, "the devhost", procs[-1])
        subscribe(emulator_url, emulator_dir / "ca.pem", f"http://localhost:{devhost_port}")
        ports = {"devhost": devhost_port, "emulator": emulator_port, "azurite": azurite_port}
        (local / STACK_FILE).write_text(json.dumps(ports))
        api = f"http://localhost:{devhost_port}/api"
        sweep = first_sweep(f"http://localhost:{devhost_port}")
        print(
            f"\nLocal stack ready:\n  functions  http://localhost:{devhost_port}\n  emulator   {emulator_url} "
            f"(CA {emulator_dir / 'ca.pem'})\n  azurite    http://127.0.0.1:{azurite_port}-{azurite_port + 2}"
            f"\n  dashboard  {api}/dashboard  ({sweep['rules']} demo rules swept, {sweep['unhealthyRules']} unhealthy)",
            flush=True,
        )
        print(
            _walkthrough(api, "https://demo-kv.vault.azure.net", "https://demo-kv-rbac.vault.azure.net")
            + "\nCtrl-C stops everything.",
            flush=True,
        )
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--second":
        raise SystemExit(second(int(sys.argv[2])))
    raise SystemExit(main())
