"""Enforcing mode of the emulator: grants read from infra/, ARM actions derived from URLs, 403s for the app only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.enforcement import (
    REGISTRY,
    SUBSCRIPTION,
    VAULT,
    EnforcementError,
    arm_operation,
    load_permissions,
    parse_condition,
)
from tests.support.emulator import Emulator, start_emulator
from tests.support.process import free_port

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/demo-rg"
REGISTRY_ID = f"{RG}/providers/Microsoft.ContainerRegistry/registries/demoregistry"
VAULT_ID = f"{RG}/providers/Microsoft.KeyVault/vaults/demo-kv-rbac"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OTHER_PRINCIPAL = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        (
            "GET",
            f"{SUB}/providers/Microsoft.ContainerRegistry/registries",
            "Microsoft.ContainerRegistry/registries/read",
        ),
        (
            "PUT",
            f"{REGISTRY_ID}/cacheRules/ubuntu",
            "Microsoft.ContainerRegistry/registries/cacheRules/write",
        ),
        (
            "PATCH",
            f"{REGISTRY_ID}/credentialSets/c",
            "Microsoft.ContainerRegistry/registries/credentialSets/write",
        ),
        ("DELETE", f"{REGISTRY_ID}/cacheRules/u", "Microsoft.ContainerRegistry/registries/cacheRules/delete"),
        (
            "GET",
            f"{REGISTRY_ID}/cacheRules/u/operationStatuses/op",
            "Microsoft.ContainerRegistry/registries/cacheRules/operationStatuses/read",
        ),
        ("PUT", f"{VAULT_ID}/accessPolicies/add", "Microsoft.KeyVault/vaults/accessPolicies/write"),
        (
            "PUT",
            f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/x",
            "Microsoft.Authorization/roleAssignments/write",
        ),
        ("GET", f"{RG}", "Microsoft.Resources/subscriptions/resourceGroups/read"),
        (
            "POST",
            f"{REGISTRY_ID}/listCredentials",
            "Microsoft.ContainerRegistry/registries/listCredentials/action",
        ),
    ],
)
def test_arm_actions_are_derived_from_the_url_as_arm_does(method: str, path: str, action: str) -> None:
    found = arm_operation(method, path)
    assert found is not None and found.action == action


def test_tenant_level_reads_are_not_checked() -> None:
    assert arm_operation("GET", "/subscriptions") is None
    assert arm_operation("GET", "/metadata/endpoints") is None


def test_the_deployed_grants_are_read_from_the_bicep() -> None:
    permissions = load_permissions(INFRA)
    by_scope = {(g.scope, g.role.rsplit(":", 1)[-1]) for g in permissions.grants}
    assert by_scope == {
        (SUBSCRIPTION, "inventory"),
        (REGISTRY, "operator"),
        (VAULT, "operator"),
        (VAULT, "f58310d9-a9f6-439a-9e8d-f62e7b41a168"),  # RBAC Administrator, conditioned
        (VAULT, "21090545-7ca7-4776-b22c-e363652d74d2"),  # Key Vault Reader
    }
    rbac_admin = next(g for g in permissions.grants if g.role.startswith("f58310d9"))
    assert {c.role_ids for c in rbac_admin.constraints.values()} == {frozenset({SECRETS_USER})}
    assert permissions.secret_permissions == {"list"}  # metadata only on access-policy vaults, never `get`
    # Nothing broad: no wildcard action in the custom roles.
    custom = [a for g in permissions.grants if g.role.startswith("custom:") for a in g.actions]
    assert custom and not [a for a in custom if "*" in a]


def test_a_built_in_role_without_documented_actions_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy)
    module = copy / "modules" / "role-definitions.bicep"
    text = module.read_text(encoding="utf-8")
    # Key Vault Reader's GUID swapped for Contributor's: enforcing mode must not guess what it allows.
    module.write_text(
        text.replace("21090545-7ca7-4776-b22c-e363652d74d2", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
        encoding="utf-8",
    )
    with pytest.raises(EnforcementError, match="b24988ac"):
        load_permissions(copy)


def test_conditions_outside_the_documented_form_are_refused() -> None:
    ok = (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{SECRETS_USER}}} "
        "AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] "
        "ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))"
    )
    assert parse_condition(ok)["microsoft.authorization/roleassignments/write"].role_ids == {SECRETS_USER}
    with pytest.raises(EnforcementError, match="Resource"):  # a delete has no @Request attributes in Azure
        parse_condition(ok.replace("roleAssignments/write'", "roleAssignments/delete'"))
    with pytest.raises(EnforcementError):
        parse_condition("@Request[x] StringEquals 'y'")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with start_emulator(tmp_path_factory.mktemp("enforcement")) as emu:
        yield emu


def _arm(
    emu: Emulator, method: str, path: str, principal: str | None = None, body: object = None
) -> requests.Response:
    token = emu.token_credential(principal).get_token("https://management.azure.com/.default").token
    return requests.request(
        method,
        emu.url + path,
        params={"api-version": "2022-04-01"},
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emu.ca_path),
        timeout=30,
    )


def _assignment(role: str, principal_type: str = "ServicePrincipal") -> dict[str, object]:
    return {
        "properties": {
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": OTHER_PRINCIPAL,
            "principalType": principal_type,
        }
    }


def test_control_api_switches_the_mode_and_refuses_bad_input(emulator: Emulator) -> None:
    assert emulator.control("GET", "/_emulator/enforcement").json()["enabled"] is False
    for body in ({"infra": "x"}, {"infraDir": 3}, {"infraDir": "/nonexistent"}):
        answer = emulator.control("PUT", "/_emulator/enforcement", json=body)
        assert answer.status_code == 400, body
    assert emulator.control("GET", "/_emulator/enforcement").json()["enabled"] is False
    on = emulator.control("PUT", "/_emulator/enforcement", json={"infraDir": str(INFRA)}).json()
    assert on["enabled"] is True and on["secretPermissions"] == ["list"]
    try:
        # Outside the grants: ARM's own 403 body, for the app's principal only.
        denied = _arm(
            emulator,
            "PUT",
            f"{RG}/providers/Microsoft.Authorization/roleAssignments/{OTHER_PRINCIPAL}",
            body=_assignment(SECRETS_USER),
        )
        assert denied.status_code == 403
        error = denied.json()["error"]
        assert error["code"] == "AuthorizationFailed"
        assert "'Microsoft.Authorization/roleAssignments/write'" in error["message"]
        # The condition: Secrets User for a service principal at a vault passes; any other role or type does not.
        scope = f"{VAULT_ID}/providers/Microsoft.Authorization/roleAssignments"
        assert (
            _arm(
                emulator, "PUT", f"{scope}/{READER[:8]}-0000-4000-8000-000000000001", body=_assignment(READER)
            ).status_code
            == 403
        )
        assert (
            _arm(
                emulator,
                "PUT",
                f"{scope}/{READER[:8]}-0000-4000-8000-000000000002",
                body=_assignment(SECRETS_USER, "User"),
            ).status_code
            == 403
        )
        granted = _arm(
            emulator,
            "PUT",
            f"{scope}/{READER[:8]}-0000-4000-8000-000000000003",
            body=_assignment(SECRETS_USER),
        )
        assert granted.status_code in (200, 201), granted.text
        # Deleting checks the existing assignment: the seeded Key Vault Administrator one is out of reach.
        seeded = f"{scope}/5d3f0b7e-0000-4000-8000-00000000a1a1"
        assert _arm(emulator, "DELETE", seeded).status_code == 403
        assert _arm(emulator, "DELETE", f"{scope}/{READER[:8]}-0000-4000-8000-000000000003").status_code in (
            200,
            204,
        )
        # Another principal is not the app: not enforced.
        assert _arm(emulator, "GET", f"{RG}", principal=OTHER_PRINCIPAL).status_code == 200
        assert _arm(emulator, "GET", f"{RG}").status_code == 403  # the app holds no resource group read
    finally:
        emulator.control("PUT", "/_emulator/enforcement", json={"infraDir": None})
    assert _arm(emulator, "GET", f"{RG}").status_code == 200


def test_secret_values_are_out_of_the_apps_reach(emulator: Emulator) -> None:
    emulator.control("PUT", "/_emulator/enforcement", json={"infraDir": str(INFRA)})
    try:
        for vault in ("demo-kv", "demo-kv-rbac"):
            client_token = emulator.token_credential().get_token("https://vault.azure.net/.default").token
            headers = {"Authorization": f"Bearer {client_token}"}
            base = f"{emulator.url}/kv/{vault}/secrets/dockerhub-password"
            versions = requests.get(
                f"{base}/versions",
                params={"api-version": "7.5"},
                headers=headers,
                verify=str(emulator.ca_path),
                timeout=30,
            )
            assert versions.status_code == 200, (vault, versions.text)
            value = requests.get(
                base, params={"api-version": "7.5"}, headers=headers, verify=str(emulator.ca_path), timeout=30
            )
            assert value.status_code == 403, vault
            assert value.json()["error"]["code"] == "Forbidden"
    finally:
        emulator.control("PUT", "/_emulator/enforcement", json={"infraDir": None})


def test_the_cli_flag_starts_in_enforcing_mode(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--enforce-infra",
            str(INFRA),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    emu = Emulator(port, tmp_path, process)
    try:
        deadline = time.monotonic() + 20
        status = None
        while status is None and time.monotonic() < deadline and process.poll() is None:
            try:
                status = emu.control("GET", "/_emulator/enforcement").json()
            except (requests.RequestException, ValueError, OSError):
                time.sleep(0.1)
        assert status is not None and status["enabled"] is True
        assert status["infraDir"] == str(INFRA)
    finally:
        emu.stop()
