"""The whole local stack for end-to-end tests: Azurite, the seeded emulator, and the devhost serving function_app.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.azurite import Azurite, start_azurite
from tests.support.devhost import Devhost, start_devhost
from tests.support.emulator import Emulator, start_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
REGISTRY = "demoregistry"
KV = "https://demo-kv.vault.azure.net"
KV_RBAC = "https://demo-kv-rbac.vault.azure.net"
WRITE_METHODS = {"PUT", "PATCH", "POST", "DELETE"}


def app_env(emulator: Emulator, azurite: Azurite, **extra: str) -> dict[str, str]:
    return {
        **emulator.env(),
        "AZURE_CLOUD": "Local",
        "AZURE_LOCAL_ENDPOINT": emulator.url,
        "AZURE_SUBSCRIPTION_IDS": SUBSCRIPTION,
        "AZURE_TENANT_ID": TENANT,
        "AzureWebJobsStorage": azurite.connection_string,
        "HEALTH_WAIT_SECONDS": "5",
        "LRO_POLL_INTERVAL_SECONDS": "0.2",
        "ALLOWED_VAULTS": "",
        "REQUIRED_CALLER_ROLE": "",
        "LEASE_WAIT_SECONDS": "3",
        **extra,
    }


@dataclass
class Stack:
    emulator: Emulator
    azurite: Azurite
    devhost: Devhost

    @property
    def api(self) -> str:
        return f"{self.devhost.url}/api"

    def rules_url(self, name: str = "") -> str:
        return f"{self.api}/registries/{REGISTRY}/cache-rules" + (f"/{name}" if name else "")

    def sets_url(self, name: str = "") -> str:
        return f"{self.api}/registries/{REGISTRY}/credential-sets" + (f"/{name}" if name else "")

    def arm_writes(self) -> list[dict[str, Any]]:
        """ARM and data-plane writes the emulator saw since the last reset."""
        return [r for r in self.emulator.requests_log() if r["method"] in WRITE_METHODS]

    def arm(self, method: str, path: str, *, params: dict[str, str], json: Any = None) -> Any:
        """Call ARM on the emulator as an operator (for arranging and inspecting state)."""
        answer = self.emulator.arm_request(method, path, params=params, json=json)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def secret_client(self, vault: str) -> Any:
        return self.emulator.secret_client(vault)

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.control("POST", "/_emulator/seed", json={"name": "demo"}).raise_for_status()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    with (
        start_azurite(tmp) as azurite,
        start_emulator(tmp / "emulator", seed="demo") as emulator,
        start_devhost(REPO_ROOT, env=app_env(emulator, azurite)) as devhost,
    ):
        yield Stack(emulator=emulator, azurite=azurite, devhost=devhost)


@pytest.fixture
def clean(stack: Stack) -> Stack:
    """A freshly seeded emulator (and an empty request log) for each test."""
    stack.reset()
    return stack


def credentials(vault: str = KV, **extra: str) -> dict[str, str]:
    return {
        "usernameSecretUri": f"{vault}/secrets/dockerhub-username",
        "passwordSecretUri": f"{vault}/secrets/dockerhub-password",
        **extra,
    }


def docker_rule(target: str = "ubuntu", vault: str = KV, source: str | None = None) -> dict[str, Any]:
    return {
        "sourceRepository": source or f"docker.io/library/{target}",
        "targetRepository": target,
        "credentials": credentials(vault),
    }


def put(url: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.put(url, json=body, timeout=60, **kwargs)
