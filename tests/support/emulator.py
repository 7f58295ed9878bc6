"""Start the emulator as a subprocess for tests: `with start_emulator(tmp_path) as emu: ...`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from azure.core.credentials import AccessToken

from emulator.constants import OPERATOR_PRINCIPAL_ID
from tests.support.process import ManagedProcess, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 20


class EmulatorTokenCredential:
    """azure-core TokenCredential fetching tokens for any principal from the emulator's /msi/token."""

    def __init__(self, token_url: str, ca_path: Path, principal_id: str | None) -> None:
        self._url, self._ca, self._principal = token_url, str(ca_path), principal_id
        self._cache: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        resource = scopes[0].removesuffix("/.default")
        with self._lock:
            cached = self._cache.get(resource)
            if cached and cached.expires_on > time.time() + 300:
                return cached
            params = {"api-version": "2019-08-01", "resource": resource}
            if self._principal:
                params["principal_id"] = self._principal
            answer = requests.get(
                self._url, params=params, headers={"X-IDENTITY-HEADER": "tests"}, verify=self._ca, timeout=10
            )
            answer.raise_for_status()
            body = answer.json()
            token = AccessToken(body["access_token"], int(body["expires_on"]))
            self._cache[resource] = token
            return token

    def close(self) -> None:
        return None


@dataclass
class Emulator(ManagedProcess):
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        return self.data_dir / "ca.pem"

    @property
    def token_url(self) -> str:
        return f"{self.url}/msi/token"

    def control(self, method: str, path: str, json: Any = None) -> requests.Response:
        return self.session.request(method, self.url + path, json=json, verify=str(self.ca_path), timeout=30)

    def requests_log(self) -> list[dict[str, Any]]:
        answer = self.control("GET", "/_emulator/requests")
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()
        return result

    def reset(self, **body: Any) -> None:
        self.control("POST", "/_emulator/reset", json=body or None).raise_for_status()

    def settings(self, **values: Any) -> dict[str, Any]:
        answer = self.control("PUT", "/_emulator/settings", json=values)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def token_credential(self, principal_id: str | None = None) -> EmulatorTokenCredential:
        return EmulatorTokenCredential(self.token_url, self.ca_path, principal_id)

    def admin_credential(self) -> EmulatorTokenCredential:
        """A principal other than the app's: tests arrange and inspect state as an operator would, so the app's
        own least-privilege grants (enforcing mode) apply only to what the app does."""
        return self.token_credential(OPERATOR_PRINCIPAL_ID)

    def arm_request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> requests.Response:
        """Call ARM (or an operation URL) on the emulator as the admin principal."""
        token = self.admin_credential().get_token("https://management.azure.com/.default").token
        url = path if path.startswith("https://") else self.url + path
        return self.session.request(
            method,
            url,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(self.ca_path),
            timeout=30,
        )

    def secret_client(self, vault: str) -> Any:
        """Key Vault data plane of ``vault`` as the admin principal (real ``SecretClient``)."""
        from azure.keyvault.secrets import SecretClient

        return SecretClient(
            f"{self.url}/kv/{vault}",
            self.admin_credential(),
            verify_challenge_resource=False,
            connection_verify=str(self.ca_path),
        )

    def enforce_infra(self, infra: Path | None) -> None:
        """Turn the emulator's enforcing mode on (the app may do only what ``infra`` grants it) or off (None)."""
        answer = self.control(
            "PUT", "/_emulator/enforcement", json={"infraDir": str(infra) if infra else None}
        )
        answer.raise_for_status()

    def env(self) -> dict[str, str]:
        return {
            "IDENTITY_ENDPOINT": self.token_url,
            "IDENTITY_HEADER": "local-emulator",
            "REQUESTS_CA_BUNDLE": str(self.ca_path),
        }

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        self.session.close()


def start_emulator(tmp_path: Path, *, seed: str | None = "demo") -> Emulator:
    data_dir = tmp_path / "emulator"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if seed:
        command += ["--seed", seed]
    log = (data_dir / "emulator.log").open("wb")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
    )
    emulator = Emulator(port, data_dir, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited: {(data_dir / 'emulator.log').read_text(errors='replace')}")
        if emulator.ca_path.exists():
            try:
                if emulator.control("GET", "/_emulator/settings").ok:
                    return emulator
            except requests.RequestException:
                pass
        time.sleep(0.1)
    emulator.stop()
    raise RuntimeError("emulator did not answer in time")
