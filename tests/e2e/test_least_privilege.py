"""Least privilege, proved: with the emulator enforcing what infra/ grants the app, the API does its job; without one
of those grants, the matching flow fails visibly (a problem response, nothing left half made)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import KV, KV_RBAC, REPO_ROOT, Stack, docker_rule, put

SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"


def _enforce(stack: Stack, infra: Path | None) -> dict[str, object]:
    answer = stack.emulator.control(
        "PUT", "/_emulator/enforcement", json={"infraDir": str(infra) if infra else None}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


# The mode the whole session runs in (EMULATOR_ENFORCE_INFRA: make test's enforcing pass), restored after each test.
SESSION_INFRA = (
    Path(os.environ["EMULATOR_ENFORCE_INFRA"]) if os.environ.get("EMULATOR_ENFORCE_INFRA") else None
)


@pytest.fixture
def enforcing(clean: Stack) -> Iterator[Stack]:
    """The shared stack in enforcing mode for one test, back to the session's mode after it."""
    try:
        yield clean
    finally:
        _enforce(clean, SESSION_INFRA)


def _infra_without(tmp_path: Path, file: str, old: str, new: str = "") -> Path:
    """A copy of infra/ with one grant edited out of `file`."""
    copy = tmp_path / "infra"
    shutil.copytree(REPO_ROOT / "infra", copy)
    target = copy / "modules" / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def _denied(stack: Stack) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"].split("?")[0]) for r in stack.emulator.requests_log() if r["status"] == 403
    ]


@pytest.mark.parametrize("vault", [KV, KV_RBAC], ids=["access-policy-vault", "rbac-vault"])
def test_the_api_works_with_exactly_the_deployed_grants(enforcing: Stack, vault: str) -> None:
    status = _enforce(enforcing, REPO_ROOT / "infra")
    assert status["enabled"] is True
    assert "Microsoft.ContainerRegistry/registries/cacheRules/write" in status["actions"]  # type: ignore[operator]

    created = put(enforcing.rules_url("ubuntu"), docker_rule("ubuntu", vault=vault))
    assert created.status_code == 201, created.text
    assert created.json()["credentialSet"]["health"]["status"] == "Healthy"
    shown = requests.get(enforcing.rules_url("ubuntu"), timeout=30)
    assert shown.status_code == 200 and shown.json()["credentialSet"]["name"]
    assert requests.get(enforcing.rules_url(), timeout=30).status_code == 200
    deleted = requests.delete(enforcing.rules_url("ubuntu"), timeout=60)
    assert deleted.status_code in (200, 204), deleted.text
    assert _denied(enforcing) == []


@pytest.mark.parametrize(
    ("vault", "file", "old", "new", "denied_fragment"),
    [
        pytest.param(
            KV,
            "role-definitions.bicep",
            "  'Microsoft.KeyVault/vaults/accessPolicies/write'\n",
            "",
            "/accessPolicies/add",
            id="no-access-policy-write",
        ),
        pytest.param(
            KV_RBAC,
            "vault-access.bicep",
            f"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
            f"ForAnyOfAnyValues:GuidEquals {{{SECRETS_USER}}}",
            f"@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
            f"ForAnyOfAnyValues:GuidEquals {{{SECRETS_OFFICER}}}",
            "/providers/Microsoft.Authorization/roleAssignments/",
            id="condition-allows-another-role",
        ),
        pytest.param(
            KV,
            "role-definitions.bicep",
            "  'Microsoft.ContainerRegistry/registries/cacheRules/write'\n",
            "",
            "/cacheRules/ubuntu",
            id="no-cache-rule-write",
        ),
    ],
)
def test_a_missing_grant_fails_the_matching_flow_visibly(
    enforcing: Stack, tmp_path: Path, vault: str, file: str, old: str, new: str, denied_fragment: str
) -> None:
    _enforce(enforcing, _infra_without(tmp_path, file, old, new))

    response = put(enforcing.rules_url("ubuntu"), docker_rule("ubuntu", vault=vault))

    assert response.status_code >= 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    denied = _denied(enforcing)
    assert denied and all(denied_fragment in path for _, path in denied), denied
    # Nothing half made: the rule does not exist.
    assert requests.get(enforcing.rules_url("ubuntu"), timeout=30).status_code == 404


@pytest.mark.skipif(
    SESSION_INFRA is None, reason="only in make test's enforcing pass (EMULATOR_ENFORCE_INFRA set)"
)
def test_the_enforcing_pass_really_enforces(stack: Stack) -> None:
    """make test runs the API, event and sweep suites again with EMULATOR_ENFORCE_INFRA: check it took effect."""
    status = stack.emulator.control("GET", "/_emulator/enforcement").json()
    assert status["enabled"] is True and status["infraDir"] == str(SESSION_INFRA)
