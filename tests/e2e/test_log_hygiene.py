"""No log line carries a secret value, a token or a key. A stack of its own runs everything that logs (rule and set
writes in both vault models, validate, a rotation, a sweep, cleanup, refused callers, Azure failures and throttling)
with unmistakable secret values; then the devhost's, the emulator's and Azurite's logs are searched for them, for
bearer tokens, for the function key, the topic key and the storage key. Every other devhost log this pytest run
wrote (all suites so far) is searched for the demo secret values and for tokens too."""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from emulator.seed import DEMO_SECRETS
from tests.e2e.conftest import REPO_ROOT, app_env
from tests.support.azurite import Azurite, start_azurite
from tests.support.devhost import Devhost, start_devhost
from tests.support.emulator import Emulator, start_emulator

SESSION_START = time.time()
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
BEARER = re.compile(r"bearer\s+[A-Za-z0-9._-]{16,}", re.IGNORECASE)
USER = "hygiene-user"
PASSWORD = f"Hyg-{secrets.token_hex(12)}"
KEY = f"fk-{secrets.token_hex(12)}"
TOPIC_KEY = f"tk-{secrets.token_hex(12)}"
VAULTS = ("demo-kv", "demo-kv-rbac")


@dataclass
class Logged:
    emulator: Emulator
    azurite: Azurite
    devhost: Devhost

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        headers = {"x-functions-key": KEY}
        return requests.request(
            method, f"{self.devhost.url}/api{path}", headers=headers, timeout=120, **kwargs
        )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    tmp = tmp_path_factory.mktemp("hygiene")
    with start_azurite(tmp) as azurite, start_emulator(tmp / "emulator", seed="demo") as emulator:
        env = app_env(
            emulator,
            azurite,
            HEALTH_TOPIC_ENDPOINT=f"{emulator.url}/eventgrid/topics/acr-cache-health/api/events",
            HEALTH_TOPIC_KEY=TOPIC_KEY,
            ARM_RETRY_TOTAL="1",
        )
        with start_devhost(REPO_ROOT, env=env, function_key=KEY) as devhost:
            yield Logged(emulator=emulator, azurite=azurite, devhost=devhost)


def _everything_that_logs(stack: Logged) -> None:
    emu = stack.emulator
    emu.control("PUT", f"/_emulator/upstreams/docker.io/accounts/{USER}", json={"password": PASSWORD})
    for vault in VAULTS:
        for name, value in (("h-user", USER), ("h-pass", PASSWORD)):
            emu.control("PUT", f"/_emulator/secrets/{vault}/{name}", json={"value": value}).raise_for_status()
    rules = "/registries/demoregistry/cache-rules"
    for i, vault in enumerate(VAULTS):
        kv = f"https://{vault}.vault.azure.net/secrets"
        body = {
            "sourceRepository": f"docker.io/library/hygiene{i}",
            "targetRepository": f"hygiene{i}",
            "credentials": {"usernameSecretUri": f"{kv}/h-user", "passwordSecretUri": f"{kv}/h-pass"},
        }
        assert stack.request("PUT", f"{rules}/hygiene{i}", json=body).status_code == 201
        stack.request("GET", f"{rules}/hygiene{i}")
        stack.request("POST", f"{rules}/hygiene{i}/validate")
    # A wrong password (the upstream refuses it), a rotation, a sweep, Azure failing and throttling, bad callers.
    emu.control("PUT", "/_emulator/secrets/demo-kv/h-pass", json={"value": f"{PASSWORD}-wrong"})
    stack.request("POST", f"{rules}/hygiene0/validate")
    stack.request("POST", "/sweeps")
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[
            {"pathRegex": "/cacheRules", "status": 500, "count": 3},
            {"pathRegex": "/credentialSets", "status": 429, "retryAfter": 1, "count": 3},
        ],
    )
    stack.request("GET", rules)
    stack.request("GET", "/registries/demoregistry/credential-sets")
    emu.control("PUT", "/_emulator/faults", json=[])
    requests.get(f"{stack.devhost.url}/api{rules}", headers={"x-functions-key": "wrong"}, timeout=30)
    stack.request("PUT", f"{rules}/hygiene9", data=b'{"password": "' + PASSWORD.encode() + b'"')
    stack.request("DELETE", f"{rules}/hygiene1", params={"cleanup": "true"})


def _leaks(text: str, needles: dict[str, str]) -> list[str]:
    found = [
        f"{what}: {line[:160]}" for line in text.splitlines() for what, n in needles.items() if n in line
    ]
    found += [f"token: {line[:160]}" for line in text.splitlines() if JWT.search(line) or BEARER.search(line)]
    return found


def test_no_log_line_holds_a_secret_token_or_key(logged: Logged) -> None:
    _everything_that_logs(logged)
    storage_key = re.search(r"AccountKey=([^;]+)", logged.azurite.connection_string)
    needles = {"secret value": PASSWORD, "function key": KEY, "topic key": TOPIC_KEY}
    if storage_key:
        needles["storage key"] = storage_key.group(1)
    logs = {
        "devhost": logged.devhost.logs(),
        "emulator": (logged.emulator.data_dir / "emulator.log").read_text(errors="replace"),
        "emulator request log": "\n".join(json.dumps(r) for r in logged.emulator.requests_log()),
    }
    assert "CacheRuleCreated" in logs["devhost"], "the scenario ran and its log was captured"
    assert {name: _leaks(text, needles) for name, text in logs.items() if _leaks(text, needles)} == {}


def test_no_devhost_log_of_this_run_holds_a_demo_secret_or_token() -> None:
    needles = {f"demo secret {name}": value for name, value in DEMO_SECRETS.items() if "password" in name}
    logs = [
        p for p in Path(tempfile.gettempdir()).glob("devhost-*.log") if p.stat().st_mtime >= SESSION_START - 1
    ]
    leaks = {p.name: _leaks(p.read_text(errors="replace"), needles) for p in logs}
    assert {name: found for name, found in leaks.items() if found} == {}
