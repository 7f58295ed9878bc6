"""Credential health matrix: each cause of Unhealthy alone, and Healthy when every condition holds."""

from __future__ import annotations

import pytest

from tests.integration.emulator.helpers import (
    TENANT,
    Http,
    assign_role,
    create_credential_set,
    grant_policy,
    health,
    vault_id,
)
from tests.support.emulator import Emulator

VAULTS = ["demo-kv", "demo-kv-rbac"]


def _uri(vault: str, name: str, version: str | None = None) -> str:
    base = f"https://{vault}.vault.azure.net/secrets/{name}"
    return f"{base}/{version}" if version else base


def _setup(emu: Emulator, vault: str, *, grant: bool = True) -> tuple[Http, str]:
    http = Http(emu)
    cs = create_credential_set(
        http, username=_uri(vault, "dockerhub-username"), password=_uri(vault, "dockerhub-password")
    )
    principal = cs["identity"]["principalId"]
    if grant:
        _grant(http, vault, principal)
    return http, principal


def _grant(http: Http, vault: str, principal: str) -> None:
    if vault.endswith("rbac"):
        assert assign_role(http, vault_id(vault), principal).status_code == 201
    else:
        grant_policy(http, vault, principal)


def _put_secret(emu: Emulator, vault: str, name: str, **body: object) -> str:
    answer = emu.control("PUT", f"/_emulator/secrets/{vault}/{name}", json=body)
    assert answer.status_code == 200, answer.text
    version: str = answer.json()["version"]
    return version


@pytest.mark.parametrize("vault", VAULTS)
def test_healthy_when_every_condition_holds(emu: Emulator, vault: str) -> None:
    http, _ = _setup(emu, vault)
    assert health(http) == {"status": "Healthy"}


def test_no_grant_is_forbidden_with_key_vaults_message(emu: Emulator) -> None:
    """As the 2026 azure-cli recording shows: errorCode Forbidden, Key Vault's message naming the vault."""
    http, principal = _setup(emu, "demo-kv", grant=False)
    found = health(http)
    assert (found["status"], found["errorCode"]) == ("Unhealthy", "Forbidden")
    assert found["errorMessage"] == (
        f"The user, group or application 'name=microsoft.containerregistry/registries;appid={principal};"
        f"oid={principal};iss=https://sts.windows.net/{TENANT}/' does not have secrets get permission on key "
        "vault 'demo-kv;location=westus'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287"
    )


def test_no_role_is_forbidden_by_rbac(emu: Emulator) -> None:
    http, principal = _setup(emu, "demo-kv-rbac", grant=False)
    found = health(http)
    assert found["errorCode"] == "Forbidden"
    assert (
        f"oid={principal};" in found["errorMessage"]
        and "Vault: demo-kv-rbac;location=westus" in found["errorMessage"]
    )


@pytest.mark.parametrize("vault", VAULTS)
def test_missing_username_secret(emu: Emulator, vault: str) -> None:
    http = Http(emu)
    cs = create_credential_set(http, username=_uri(vault, "nope"), password=_uri(vault, "dockerhub-password"))
    _grant(http, vault, cs["identity"]["principalId"])
    found = health(http)
    assert (found["status"], found["errorCode"]) == ("Unhealthy", "SecretNotFound")
    assert found["errorMessage"].startswith("A secret with (name/id) nope was not found in this key vault.")


@pytest.mark.parametrize("vault", VAULTS)
def test_disabled_secret(emu: Emulator, vault: str) -> None:
    http, _ = _setup(emu, vault)
    _put_secret(emu, vault, "dockerhub-password", value="demo-password", enabled=False)
    assert health(http)["errorCode"] == "SecretDisabled"


@pytest.mark.parametrize("vault", VAULTS)
def test_expired_on_the_emulator_clock(emu: Emulator, vault: str) -> None:
    http, _ = _setup(emu, vault)
    now = emu.control("GET", "/_emulator/clock").json()["now"]
    _put_secret(emu, vault, "dockerhub-username", value="demo-user", exp=int(now) + 3600)
    assert health(http) == {"status": "Healthy"}
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 3601}).raise_for_status()
    assert health(http)["errorCode"] == "SecretExpired"


@pytest.mark.parametrize("vault", VAULTS)
def test_not_yet_valid(emu: Emulator, vault: str) -> None:
    http, _ = _setup(emu, vault)
    now = emu.control("GET", "/_emulator/clock").json()["now"]
    _put_secret(emu, vault, "dockerhub-username", value="demo-user", nbf=int(now) + 3600)
    assert health(http)["errorCode"] == "SecretNotYetValid"
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 3600}).raise_for_status()
    assert health(http) == {"status": "Healthy"}


@pytest.mark.parametrize("vault", VAULTS)
def test_wrong_password_at_upstream(emu: Emulator, vault: str) -> None:
    http, _ = _setup(emu, vault)
    _put_secret(emu, vault, "dockerhub-password", value="rotated-password")
    assert health(http)["errorCode"] == "UpstreamAuthenticationFailed"
    emu.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/demo-user", json={"password": "rotated-password"}
    )
    assert health(http) == {"status": "Healthy"}


@pytest.mark.parametrize("vault", VAULTS)
def test_pinned_version_stays_versionless_follows_latest(emu: Emulator, vault: str) -> None:
    http = Http(emu)
    good = _put_secret(emu, vault, "dockerhub-password", value="demo-password")
    pinned = create_credential_set(
        http,
        "pinnedset",
        username=_uri(vault, "dockerhub-username"),
        password=_uri(vault, "dockerhub-password", good),
    )
    floating = create_credential_set(
        http,
        "floating",
        username=_uri(vault, "dockerhub-username"),
        password=_uri(vault, "dockerhub-password"),
    )
    for cs in (pinned, floating):
        _grant(http, vault, cs["identity"]["principalId"])
    _put_secret(emu, vault, "dockerhub-password", value="wrong")
    assert health(http, "pinnedset") == {"status": "Healthy"}
    assert health(http, "floating")["errorCode"] == "UpstreamAuthenticationFailed"


def test_role_assignment_delay(emu: Emulator) -> None:
    emu.settings(roleAssignmentDelaySeconds=120)
    http, _ = _setup(emu, "demo-kv-rbac")
    assert health(http)["errorCode"] == "Forbidden"
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 120}).raise_for_status()
    assert health(http) == {"status": "Healthy"}


def test_health_refresh_interval(emu: Emulator) -> None:
    emu.settings(healthRefreshSeconds=300)
    http, _ = _setup(emu, "demo-kv", grant=False)
    assert health(http)["errorCode"] == "Forbidden"
    cs = http(
        "GET",
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-rg/providers/"
        "Microsoft.ContainerRegistry/registries/demoregistry/credentialSets/dockerhub",
        **{"api-version": "2025-11-01"},
    ).json()
    grant_policy(http, "demo-kv", cs["identity"]["principalId"])
    assert health(http)["errorCode"] == "Forbidden"  # cached until the refresh interval passes
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 300}).raise_for_status()
    assert health(http) == {"status": "Healthy"}


def test_recreated_credential_set_gets_a_new_identity(emu: Emulator) -> None:
    http, first = _setup(emu, "demo-kv")
    from tests.integration.emulator.helpers import API, registry_path

    assert (
        http("DELETE", f"{registry_path()}/credentialSets/dockerhub", **{"api-version": API}).status_code
        == 202
    )
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 5})
    again = create_credential_set(http)
    assert again["identity"]["principalId"] != first
    assert health(http)["errorCode"] == "Forbidden"
