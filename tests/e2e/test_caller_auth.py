"""Function keys, the required app role from X-MS-CLIENT-PRINCIPAL, and ALLOWED_VAULTS, on a devhost of their own."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.conftest import REPO_ROOT, Stack, app_env, docker_rule
from tests.support.devhost import Devhost, start_devhost

KEY = "test-function-key"
ROLE = "CacheRules.Admin"


def principal(*roles: str) -> str:
    claims = [{"typ": "roles", "val": r} for r in roles] + [{"typ": "name", "val": "someone@example.com"}]
    document = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return base64.b64encode(json.dumps(document).encode()).decode()


@pytest.fixture(scope="module")
def guarded(stack: Stack) -> Iterator[Devhost]:
    env = app_env(stack.emulator, stack.azurite, REQUIRED_CALLER_ROLE=ROLE, ALLOWED_VAULTS="demo-kv-rbac")
    with start_devhost(REPO_ROOT, env=env, function_key=KEY) as devhost:
        yield devhost


def rules(devhost: Devhost) -> str:
    return f"{devhost.url}/api/registries/demoregistry/cache-rules"


def test_function_key_is_required(guarded: Devhost) -> None:
    assert requests.get(rules(guarded), timeout=30).status_code == 401
    assert requests.get(rules(guarded), headers={"x-functions-key": "wrong"}, timeout=30).status_code == 401


def test_key_without_principal_is_401_problem(guarded: Devhost) -> None:
    response = requests.get(rules(guarded), headers={"x-functions-key": KEY}, timeout=30)

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert ROLE in response.json()["detail"]


def test_principal_without_the_role_is_403(guarded: Devhost) -> None:
    headers = {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": principal("Reader")}

    response = requests.get(rules(guarded), headers=headers, timeout=30)

    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_malformed_principal_is_401(guarded: Devhost) -> None:
    headers = {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": "not base64 json!"}

    assert requests.get(rules(guarded), headers=headers, timeout=30).status_code == 401


def test_role_and_key_are_let_in(clean: Stack, guarded: Devhost) -> None:
    headers = {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": principal("Reader", ROLE)}

    assert requests.get(rules(guarded), headers=headers, timeout=30).status_code == 200
    assert (
        requests.get(
            rules(guarded),
            params={"code": KEY},
            headers={"X-MS-CLIENT-PRINCIPAL": principal(ROLE)},
            timeout=30,
        ).status_code
        == 200
    )


def test_allowed_vaults_refuses_other_vaults_before_any_write(clean: Stack, guarded: Devhost) -> None:
    headers = {"x-functions-key": KEY, "X-MS-CLIENT-PRINCIPAL": principal(ROLE)}

    refused = requests.put(f"{rules(guarded)}/ubuntu", json=docker_rule(), headers=headers, timeout=60)
    allowed = requests.put(
        f"{rules(guarded)}/nginx",
        json=docker_rule("nginx", vault="https://demo-kv-rbac.vault.azure.net"),
        headers=headers,
        timeout=60,
    )

    assert refused.status_code == 400
    assert "ALLOWED_VAULTS" in json.dumps(refused.json())
    assert allowed.status_code == 201, allowed.text
    writes = [r["path"] for r in clean.arm_writes()]
    assert not any("/cacheRules/ubuntu" in p for p in writes)
