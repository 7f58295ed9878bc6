"""The real Azure CLI (azure-cli 2.91.0) runs Microsoft's artifact-cache article, word for word, against the emulator.

Each command is written as the article writes it, with the demo seed's names. az is installed once into a
cache venv outside the repo and logged in through a registered cloud with the emulator's managed identity
endpoint, exactly as scripts/az-local does it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts.az_local import AzError, az_environment, configure_profile, ensure_azure_cli, run_az
from tests.support.emulator import REPO_ROOT, Emulator, start_emulator

# The first run installs azure-cli (~1 min, more on a slow mirror); every az call has its own timeout.
pytestmark = [pytest.mark.az, pytest.mark.timeout(900)]

AZ_CALL_TIMEOUT_SECONDS = 60
USERNAME_URI = "https://demo-kv.vault.azure.net/secrets/dockerhub-username"
PASSWORD_URI = "https://demo-kv.vault.azure.net/secrets/dockerhub-password"
SETS = "/resourceGroups/demo-rg/providers/Microsoft.ContainerRegistry/registries/demoregistry/credentialSets/"


@dataclass
class LocalAz:
    """One logged-in az profile; `az("acr cache show ...")` runs that command line and parses its output."""

    binary: Path
    env: dict[str, str]

    def run(self, command: str) -> str:
        args = shlex.split(command)
        assert args[0] == "az"
        return run_az(self.binary, self.env, *args[1:], timeout=AZ_CALL_TIMEOUT_SECONDS)

    def __call__(self, command: str) -> Any:
        out = self.run(command)
        return json.loads(out) if out.strip() else None

    def fails(self, command: str) -> AzError:
        with pytest.raises(AzError) as caught:
            self.run(command)
        return caught.value


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with start_emulator(tmp_path_factory.mktemp("az-emulator"), seed="demo") as emu:
        yield emu


@pytest.fixture(scope="module")
def az_profile(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> LocalAz:
    """One az profile per module: az start-up and `az login` are the slow part, so they are paid once."""
    binary = ensure_azure_cli()
    env = az_environment(tmp_path_factory.mktemp("az-config"), emulator.ca_path, emulator.port)
    env["AZURE_CORE_OUTPUT"] = "json"
    configure_profile(binary, env, emulator.port)
    return LocalAz(binary, env)


@pytest.fixture
def az(az_profile: LocalAz, emulator: Emulator) -> LocalAz:
    emulator.reset()  # each test starts from the demo seed; the login stays valid
    return az_profile


def create_docker_hub_credential_set(az: LocalAz, name: str = "MyDockerHubCredSet") -> dict[str, Any]:
    created: dict[str, Any] = az(
        f"az acr credential-set create -r demoregistry -n {name} -l docker.io -u {USERNAME_URI} -p {PASSWORD_URI}"
    )
    return created


def grant_secret_get(az: LocalAz, name: str = "MyDockerHubCredSet") -> str:
    """The article's two lines: read the set's principal, then give it secret get on the vault."""
    principal_id = az.run(
        f"az acr credential-set show -n {name} -r demoregistry --query 'identity.principalId' -o tsv"
    ).strip()
    az(f"az keyvault set-policy --name demo-kv --object-id {principal_id} --secret-permissions get")
    return principal_id


def health(credential_set: dict[str, Any]) -> str:
    status: str = credential_set["authCredentials"][0]["credentialHealth"]["status"]
    return status


def new_password_version(emulator: Emulator) -> str:
    """Rotate dockerhub-password through the Key Vault data plane; returns the new version's Azure-form id."""
    token = emulator.token_credential().get_token("https://vault.azure.net/.default").token
    answer = emulator.session.put(
        f"{emulator.url}/kv/demo-kv/secrets/dockerhub-password",
        params={"api-version": "7.5"},
        json={"value": "demo-password"},
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=30,
    )
    answer.raise_for_status()
    secret_id: str = answer.json()["id"]
    assert secret_id.startswith(PASSWORD_URI + "/")
    return secret_id


def test_credential_set_turns_healthy_only_after_keyvault_set_policy(az: LocalAz, emulator: Emulator) -> None:
    created = create_docker_hub_credential_set(az)
    principal_id = created["identity"]["principalId"]
    assert (created["name"], created["loginServer"]) == ("MyDockerHubCredSet", "docker.io")
    assert created["provisioningState"] == "Succeeded"
    assert created["identity"]["type"] == "systemAssigned"  # as the service writes it (recordings)
    assert principal_id
    assert created["authCredentials"][0]["usernameSecretIdentifier"] == USERNAME_URI
    assert created["authCredentials"][0]["passwordSecretIdentifier"] == PASSWORD_URI
    assert health(created) == "Unhealthy"

    pinned = new_password_version(emulator)
    updated = az(f"az acr credential-set update -r demoregistry -n MyDockerHubCredSet -p {pinned}")
    assert updated["authCredentials"][0]["passwordSecretIdentifier"] == pinned
    assert updated["authCredentials"][0]["usernameSecretIdentifier"] == USERNAME_URI
    assert updated["identity"]["principalId"] == principal_id

    shown = az("az acr credential-set show -r demoregistry -n MyDockerHubCredSet")
    assert health(shown) == "Unhealthy"

    assert grant_secret_get(az) == principal_id
    vault = az("az keyvault show --name demo-kv")
    granted = [p for p in vault["properties"]["accessPolicies"] if p["objectId"] == principal_id]
    assert [p["permissions"]["secrets"] for p in granted] == [["get"]]

    after = az("az acr credential-set show -r demoregistry -n MyDockerHubCredSet")
    assert health(after) == "Healthy"
    assert after["authCredentials"][0]["passwordSecretIdentifier"] == pinned


def test_cache_rule_lifecycle(az: LocalAz) -> None:
    create_docker_hub_credential_set(az)
    grant_secret_get(az)
    create_docker_hub_credential_set(az, "MyOtherDockerHubCredSet")

    rule = az(
        "az acr cache create -r demoregistry -n MyRule -s docker.io/library/ubuntu -t ubuntu -c MyDockerHubCredSet"
    )
    assert (rule["name"], rule["sourceRepository"], rule["targetRepository"]) == (
        "MyRule",
        "docker.io/library/ubuntu",
        "ubuntu",
    )
    assert rule["provisioningState"] == "Succeeded"
    assert rule["credentialSetResourceId"].endswith(SETS + "MyDockerHubCredSet")

    dotnet = az(
        "az acr cache create -r demoregistry -n MyDotnetRule -s mcr.microsoft.com/dotnet/sdk -t dotnet/sdk"
    )
    assert (dotnet["sourceRepository"], dotnet["targetRepository"]) == (
        "mcr.microsoft.com/dotnet/sdk",
        "dotnet/sdk",
    )
    assert dotnet["credentialSetResourceId"] is None
    assert dotnet["provisioningState"] == "Succeeded"

    switched = az("az acr cache update -r demoregistry -n MyRule -c MyOtherDockerHubCredSet")
    assert switched["credentialSetResourceId"].endswith(SETS + "MyOtherDockerHubCredSet")
    assert (switched["sourceRepository"], switched["targetRepository"]) == (
        "docker.io/library/ubuntu",
        "ubuntu",
    )

    shown = az("az acr cache show -r demoregistry -n MyRule")
    assert shown["id"] == rule["id"]
    assert shown["credentialSetResourceId"] == switched["credentialSetResourceId"]

    listed = az("az acr cache list -r demoregistry")
    assert sorted(r["name"] for r in listed) == ["MyDotnetRule", "MyRule"]

    assert az("az acr cache delete -r demoregistry -n MyRule --yes") is None
    assert "ResourceNotFound" in az.fails("az acr cache show -r demoregistry -n MyRule").stderr
    assert [r["name"] for r in az("az acr cache list -r demoregistry")] == ["MyDotnetRule"]

    assert az("az acr credential-set delete -r demoregistry -n MyDockerHubCredSet --yes") is None
    assert az("az acr credential-set delete -r demoregistry -n MyOtherDockerHubCredSet --yes") is None
    assert az("az acr credential-set list -r demoregistry") == []


def test_remove_cred_set_only_where_the_upstream_allows_anonymous_pulls(az: LocalAz) -> None:
    create_docker_hub_credential_set(az)
    az(
        "az acr cache create -r demoregistry -n MyRule -s docker.io/library/ubuntu -t ubuntu -c MyDockerHubCredSet"
    )
    refused = az.fails("az acr cache update -r demoregistry -n MyRule --remove-cred-set")
    assert "EnforceDockerAuthentication" in refused.stderr
    kept = az("az acr cache show -r demoregistry -n MyRule")
    assert kept["credentialSetResourceId"].endswith(SETS + "MyDockerHubCredSet")

    az(
        f"az acr credential-set create -r demoregistry -n MyGhcrCredSet -l ghcr.io -u {USERNAME_URI} -p {PASSWORD_URI}"
    )
    ghcr = az(
        "az acr cache create -r demoregistry -n MyGhcrRule -s ghcr.io/github/super-linter -t super-linter"
        " -c MyGhcrCredSet"
    )
    assert ghcr["credentialSetResourceId"].endswith(SETS + "MyGhcrCredSet")
    anonymous = az("az acr cache update -r demoregistry -n MyGhcrRule --remove-cred-set")
    assert anonymous["credentialSetResourceId"] is None
    assert az("az acr cache show -r demoregistry -n MyGhcrRule")["credentialSetResourceId"] is None


def test_az_local_script_runs_az_in_its_own_profile(emulator: Emulator, tmp_path: Path) -> None:
    ensure_azure_cli()
    config_dir = tmp_path / "az"
    env = {
        **os.environ,
        "EMULATOR_PORT": str(emulator.port),
        "AZ_LOCAL_CA": str(emulator.ca_path),
        "AZ_LOCAL_CONFIG_DIR": str(config_dir),
    }
    command = [str(REPO_ROOT / "scripts" / "az-local"), "account", "show", "--output", "json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    account = json.loads(done.stdout)
    assert (account["id"], account["name"]) == ("00000000-0000-0000-0000-000000000001", "Local subscription")
    assert account["tenantId"] == "00000000-0000-0000-0000-0000000000aa"
    assert account["environmentName"] == "AzureLocal"
    assert account["user"]["name"] == "systemAssignedIdentity"
    config = (config_dir / "config").read_text()
    assert "collect_telemetry = no" in config
    assert "[auto-upgrade]" in config
