"""Shared test helpers: a raw ARM/data-plane HTTP client, SDK client factories, the demo identifiers."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.support.emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"
APP = "00000000-0000-0000-0000-0000000000a1"
RG = "demo-rg"
REGISTRY = "demoregistry"
API = "2025-11-01"
ARM_SCOPE = "https://management.azure.com/.default"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
REGISTRY_ID = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}"
)
KV_USERNAME = "https://demo-kv.vault.azure.net/secrets/dockerhub-username"
KV_PASSWORD = "https://demo-kv.vault.azure.net/secrets/dockerhub-password"


class Http:
    """Raw HTTPS calls with a bearer token, for asserting exact statuses, headers and bodies."""

    def __init__(
        self, emu: Emulator, principal_id: str | None = None, resource: str = "https://management.azure.com"
    ):
        self.emu = emu
        self._credential = emu.token_credential(principal_id)
        self._resource = resource
        self.session = requests.Session()

    def __call__(
        self, method: str, path: str, json: Any = None, *, auth: bool = True, **params: str
    ) -> requests.Response:
        headers = {}
        if auth:
            headers["Authorization"] = (
                f"Bearer {self._credential.get_token(self._resource + '/.default').token}"
            )
        url = path if path.startswith("https://") else self.emu.url + path
        return self.session.request(
            method,
            url,
            json=json,
            headers=headers,
            params=params or None,
            verify=str(self.emu.ca_path),
            timeout=30,
        )


def registry_path(name: str = REGISTRY, group: str = RG) -> str:
    return (
        f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"
    )


def vault_id(vault: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/{vault}"


def _arm_client(client_class: Any, emu: Emulator, principal_id: str | None = None) -> Any:
    """Any azure-mgmt client pointed at the emulator's ARM endpoint and trusting its CA."""
    return client_class(
        emu.token_credential(principal_id),
        SUB,
        base_url=emu.url,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emu.ca_path),
    )


def acr_client(emu: Emulator, principal_id: str | None = None) -> Any:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    return _arm_client(ContainerRegistryManagementClient, emu, principal_id)


def keyvault_client(emu: Emulator) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    return _arm_client(KeyVaultManagementClient, emu)


def authorization_client(emu: Emulator) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return _arm_client(AuthorizationManagementClient, emu)


def secret_client(emu: Emulator, vault: str = "demo-kv", principal_id: str | None = None) -> Any:
    from azure.keyvault.secrets import SecretClient

    return SecretClient(
        f"{emu.url}/kv/{vault}",
        emu.token_credential(principal_id),
        verify_challenge_resource=False,
        connection_verify=str(emu.ca_path),
    )


def credential_set_body(
    username: str = KV_USERNAME, password: str = KV_PASSWORD, login: str = "docker.io"
) -> dict[str, Any]:
    return {
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "loginServer": login,
            "authCredentials": [
                {
                    "name": "Credential1",
                    "usernameSecretIdentifier": username,
                    "passwordSecretIdentifier": password,
                }
            ],
        },
    }


def create_credential_set(http: Http, name: str = "dockerhub", **kwargs: Any) -> dict[str, Any]:
    answer = http(
        "PUT",
        f"{registry_path()}/credentialSets/{name}",
        credential_set_body(**kwargs),
        **{"api-version": API},
    )
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


def grant_policy(http: Http, vault: str, principal_id: str, permissions: list[str] | None = None) -> None:
    body = {
        "properties": {
            "accessPolicies": [
                {
                    "tenantId": TENANT,
                    "objectId": principal_id,
                    "permissions": {"secrets": permissions or ["get"]},
                }
            ]
        }
    }
    answer = http("PUT", f"{vault_id(vault)}/accessPolicies/add", body, **{"api-version": "2023-07-01"})
    assert answer.status_code == 200, answer.text


def assign_role(
    http: Http,
    scope: str,
    principal_id: str,
    role: str = SECRETS_USER,
    name: str | None = None,
    principal_type: str = "ServicePrincipal",
) -> Any:
    import uuid

    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal_id,
            "principalType": principal_type,
        }
    }
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name or uuid.uuid4()}"
    return http("PUT", path, body, **{"api-version": "2022-04-01"})


def health(http: Http, name: str = "dockerhub") -> dict[str, Any]:
    answer = http("GET", f"{registry_path()}/credentialSets/{name}", **{"api-version": API})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["properties"]["authCredentials"][0]["credentialHealth"]
    return result


def wait_for_event(received: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in received:
            if event["eventType"] == event_type:
                return event
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} in {[e['eventType'] for e in received]}")


def wait_for_events(received: list[dict[str, Any]], event_type: str, count: int) -> list[dict[str, Any]]:
    """The first `count` delivered events of `event_type`, in delivery order (waits up to 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [e for e in list(received) if e["eventType"] == event_type]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} {event_type} in {[e['eventType'] for e in received]}")
