"""Every Microsoft REST example in the reference folder: the emulator accepts the example request and answers
with the example's status code and body shape (same keys, recursively; values where meaningful)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emulator.helpers import SUB, TENANT, Http, assign_role
from tests.support.emulator import Emulator
from tests.support.reference import AZURE_REFERENCE

EXAMPLES = AZURE_REFERENCE / "spec-examples"
EXAMPLE_SUB = "00000000-0000-0000-0000-000000000000"
ACR = EXAMPLES / "containerregistry/2025-11-01"
VOLATILE = {
    "creationDate",
    "principalId",
    "tenantId",
    "createdAt",
    "lastModifiedAt",
    "createdBy",
    "lastModifiedBy",
    "created",
    "updated",
    "id",
    "createdByType",
    "lastModifiedByType",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def local(value: Any) -> Any:
    """The example with its subscription replaced by the emulator's."""
    text = json.dumps(value)
    for sub in (EXAMPLE_SUB, "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"):
        text = text.replace(f"subscriptions/{sub}", f"subscriptions/{SUB}")
    return json.loads(text)


CHILD_TYPES = (
    "Microsoft.ContainerRegistry/registries/cacheRules",
    "Microsoft.ContainerRegistry/registries/credentialSets",
)
SYSTEM_DATA_KEYS = (
    "createdBy",
    "createdByType",
    "createdAt",
    "lastModifiedBy",
    "lastModifiedByType",
    "lastModifiedAt",
)


def as_recorded(example: Any) -> Any:
    """The 2025-11-01 examples as the service answers in the azure-cli recordings (2026): cache rules and
    credential sets carry systemData, and a credential set's identity type is written "systemAssigned"."""
    if isinstance(example, list):
        return [as_recorded(item) for item in example]
    if not isinstance(example, dict):
        return example
    body = {key: as_recorded(value) for key, value in example.items()}
    if body.get("type") in CHILD_TYPES:
        body.setdefault("systemData", dict.fromkeys(SYSTEM_DATA_KEYS, ""))
        if body.get("identity", {}).get("type") == "SystemAssigned":
            body["identity"]["type"] = "systemAssigned"
    return body


def assert_shape(expected: Any, actual: Any, where: str = "$") -> None:
    if where == "$":
        expected = as_recorded(expected)
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r}"
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_shape(e, a, f"{where}[{index}]")
    else:
        key = where.rsplit(".", 1)[-1]
        if key not in VOLATILE:
            assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def registry_base(sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/myRegistry"


@pytest.fixture
def acr(emu: Emulator) -> Http:
    """myResourceGroup/myRegistry and vault `myvault` with username/password secrets of a valid docker.io login."""
    http = Http(emu)
    api = {"api-version": "2025-11-01"}
    assert (
        http(
            "PUT",
            f"/subscriptions/{SUB}/resourcegroups/myResourceGroup",
            {"location": "westus"},
            **{"api-version": "2021-04-01"},
        ).status_code
        == 201
    )
    assert (
        http("PUT", registry_base(), {"location": "westus", "sku": {"name": "Standard"}}, **api).status_code
        == 201
    )
    vault = {
        "location": "westus",
        "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "accessPolicies": []},
    }
    path = f"/subscriptions/{SUB}/resourceGroups/myResourceGroup/providers/Microsoft.KeyVault/vaults/myvault"
    assert http("PUT", path, vault, **{"api-version": "2023-07-01"}).status_code == 201
    for name, value in (
        ("username", "user"),
        ("password", "pass"),
        ("username2", "user"),
        ("password2", "pass"),
    ):
        emu.control("PUT", f"/_emulator/secrets/myvault/{name}", json={"value": value}).raise_for_status()
    emu.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/user", json={"password": "pass"}
    ).raise_for_status()
    return http


def _put_credential_set(http: Http, name: str = "myCredentialSet") -> dict[str, Any]:
    example = load(ACR / "CredentialSetCreate.json")
    answer = http(
        "PUT",
        f"{registry_base()}/credentialSets/{name}",
        example["parameters"]["credentialSetCreateParameters"],
        **{"api-version": "2025-11-01"},
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert http("GET", answer.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    return body


def _grant(http: Http, principal: str) -> None:
    body = {
        "properties": {
            "accessPolicies": [
                {"tenantId": TENANT, "objectId": principal, "permissions": {"secrets": ["get"]}}
            ]
        }
    }
    path = f"/subscriptions/{SUB}/resourceGroups/myResourceGroup/providers/Microsoft.KeyVault/vaults/myvault"
    assert http("PUT", f"{path}/accessPolicies/add", body, **{"api-version": "2023-07-01"}).status_code == 200


def _status_url_ok(url: str, collection: str, name: str, prefix: str, api: str) -> None:
    pattern = rf"https://127\.0\.0\.1:\d+{re.escape(registry_base())}/{collection}/{name}/operationStatuses/{prefix}-[0-9a-f-]{{36}}\?api-version={api}"
    assert re.fullmatch(pattern, url), url


def test_credential_set_create(acr: Http) -> None:
    example = load(ACR / "CredentialSetCreate.json")
    body = _put_credential_set(acr)
    expected = local(example["responses"]["201"]["body"])
    expected["properties"]["authCredentials"][0]["credentialHealth"] = body["properties"]["authCredentials"][
        0
    ]["credentialHealth"]  # a fresh identity has no grant yet: compared after granting below
    assert_shape(expected, body)
    _grant(acr, body["identity"]["principalId"])
    again = acr(
        "PUT",
        f"{registry_base()}/credentialSets/myCredentialSet",
        example["parameters"]["credentialSetCreateParameters"],
        **{"api-version": "2025-11-01"},
    )
    assert again.status_code == 200
    assert_shape(local(example["responses"]["200"]["body"]), again.json())


def test_credential_set_create_201_headers(acr: Http) -> None:
    example = load(ACR / "CredentialSetCreate.json")
    answer = acr(
        "PUT",
        f"{registry_base()}/credentialSets/myCredentialSet",
        example["parameters"]["credentialSetCreateParameters"],
        **{"api-version": "2025-11-01"},
    )
    assert answer.status_code == 201
    _status_url_ok(
        answer.headers["Azure-AsyncOperation"],
        "credentialSets",
        "myCredentialSet",
        "credentialsets",
        "2025-11-01",
    )
    status = acr("GET", answer.headers["Azure-AsyncOperation"])
    assert status.status_code == 200 and status.json()["status"] == "Succeeded"


@pytest.mark.parametrize("file", ["CredentialSetGet.json", "CredentialSetList.json"])
def test_credential_set_read(acr: Http, file: str) -> None:
    example = load(ACR / file)
    body = _put_credential_set(acr)
    _grant(acr, body["identity"]["principalId"])
    suffix = "/myCredentialSet" if "Get" in file else ""
    answer = acr(
        "GET",
        f"{registry_base()}/credentialSets{suffix}",
        **{"api-version": example["parameters"]["api-version"]},
    )
    assert answer.status_code == 200
    assert_shape(local(example["responses"]["200"]["body"]), answer.json())


def test_credential_set_update(acr: Http) -> None:
    example = load(ACR / "CredentialSetUpdate.json")
    body = _put_credential_set(acr)
    _grant(acr, body["identity"]["principalId"])
    params = example["parameters"]["credentialSetUpdateParameters"]
    answer = acr(
        "PATCH", f"{registry_base()}/credentialSets/myCredentialSet", params, **{"api-version": "2025-11-01"}
    )
    assert answer.status_code == 201
    assert "Azure-AsyncOperation" in answer.headers
    assert_shape(local(example["responses"]["201"]["body"]), answer.json())
    acr("GET", answer.headers["Azure-AsyncOperation"])
    same = acr(
        "PATCH", f"{registry_base()}/credentialSets/myCredentialSet", params, **{"api-version": "2025-11-01"}
    )
    assert same.status_code == 200
    assert_shape(local(example["responses"]["200"]["body"]), same.json())


@pytest.mark.parametrize(
    "file,collection",
    [("CredentialSetDelete.json", "credentialSets"), ("CacheRuleDelete.json", "cacheRules")],
)
def test_delete(acr: Http, file: str, collection: str) -> None:
    example = load(ACR / file)
    api = example["parameters"]["api-version"]
    _put_credential_set(acr)
    if collection == "cacheRules":
        rule = load(ACR / "CacheRuleCreate.json")["parameters"]["cacheRuleCreateParameters"]
        assert acr("PUT", f"{registry_base()}/cacheRules/myCacheRule", local(rule), **{"api-version": api}).ok
    name = "myCredentialSet" if collection == "credentialSets" else "myCacheRule"
    first = acr("DELETE", f"{registry_base()}/{collection}/{name}", **{"api-version": api})
    assert first.status_code == 202 and first.content == b""
    pattern = (
        rf"https://127\.0\.0\.1:\d+/subscriptions/{SUB}/providers/Microsoft\.ContainerRegistry/locations/westus/"
        rf"operationResults/{collection.lower()}-[0-9a-f-]{{36}}\?api-version={api}"
    )
    assert re.fullmatch(pattern, first.headers["Location"]), first.headers["Location"]
    assert "Retry-After" not in first.headers
    done = acr("GET", first.headers["Location"])
    assert (done.status_code, done.content) == (200, b"")
    assert acr("DELETE", f"{registry_base()}/{collection}/{name}", **{"api-version": api}).status_code == 204


def test_cache_rule_create_get_list_update(acr: Http) -> None:
    _put_credential_set(acr)
    _put_credential_set(acr, "myCredentialSet2")
    create = load(ACR / "CacheRuleCreate.json")
    params = local(create["parameters"]["cacheRuleCreateParameters"])
    path = f"{registry_base()}/cacheRules/myCacheRule"
    answer = acr("PUT", path, params, **{"api-version": "2025-11-01"})
    assert answer.status_code == 201
    _status_url_ok(
        answer.headers["Azure-AsyncOperation"], "cacheRules", "myCacheRule", "cacherules", "2025-11-01"
    )
    assert_shape(local(create["responses"]["201"]["body"]), answer.json())
    assert acr("GET", answer.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    again = acr("PUT", path, params, **{"api-version": "2025-11-01"})
    assert again.status_code == 200
    assert_shape(local(create["responses"]["200"]["body"]), again.json())
    for file, suffix in (("CacheRuleGet.json", "/myCacheRule"), ("CacheRuleList.json", "")):
        example = load(ACR / file)
        got = acr("GET", f"{registry_base()}/cacheRules{suffix}", **{"api-version": "2025-11-01"})
        assert got.status_code == 200
        assert_shape(local(example["responses"]["200"]["body"]), got.json())
    update = load(ACR / "CacheRuleUpdate.json")
    patch = local(update["parameters"]["cacheRuleUpdateParameters"])
    changed = acr("PATCH", path, patch, **{"api-version": "2025-11-01"})
    assert changed.status_code == 201 and "Azure-AsyncOperation" in changed.headers
    assert_shape(local(update["responses"]["201"]["body"]), changed.json())
    acr("GET", changed.headers["Azure-AsyncOperation"])
    same = acr("PATCH", path, patch, **{"api-version": "2025-11-01"})
    assert same.status_code == 200
    assert_shape(local(update["responses"]["200"]["body"]), same.json())


def test_preview_cache_rule_with_user_assigned_identity(acr: Http) -> None:
    example = load(
        EXAMPLES / "containerregistry/2026-01-01-preview/CacheRuleCreateUserAssignedMIAuthentication.json"
    )
    params = example["parameters"]["cacheRuleCreateParameters"]
    path = f"{registry_base()}/cacheRules/myCacheRule"
    answer = acr("PUT", path, params, **{"api-version": "2026-01-01-preview"})
    assert answer.status_code == 201
    acr("GET", answer.headers["Azure-AsyncOperation"])
    expected = local(example["responses"]["201"]["body"])
    identities = expected["identity"]["userAssignedIdentities"]
    for value in identities.values():
        value.clear()  # client/principal ids are the service's: compare keys only
    actual = answer.json()
    for value in actual["identity"]["userAssignedIdentities"].values():
        assert set(value) == {"clientId", "principalId"}
        value.clear()
    assert_shape(expected, actual)
    quirk = example["responses"]["200"]  # spec bug: `properties` sits beside `body`
    expected_200 = dict(local(quirk["body"]), properties=local(quirk["properties"]))
    got = acr("PUT", path, params, **{"api-version": "2026-01-01-preview"}).json()
    for block in (expected_200, got):
        for value in block["identity"]["userAssignedIdentities"].values():
            value.clear()
    assert_shape(expected_200, got)


def test_keyvault_get_vault(emu: Emulator) -> None:
    example = load(EXAMPLES / "keyvault/2026-02-01/getVault.json")
    http = Http(emu)
    expected = local(example["responses"]["200"]["body"])
    group = example["parameters"]["resourceGroupName"]
    http(
        "PUT",
        f"/subscriptions/{SUB}/resourcegroups/{group}",
        {"location": "westus"},
        **{"api-version": "2021-04-01"},
    )
    props = {k: v for k, v in expected["properties"].items() if k not in ("provisioningState", "vaultUri")}
    path = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/sample-vault"
    assert (
        http(
            "PUT",
            path,
            {"location": "westus", "properties": props, "tags": {}},
            **{"api-version": "2026-02-01"},
        ).status_code
        == 201
    )
    answer = http("GET", path, **{"api-version": example["parameters"]["api-version"]})
    assert answer.status_code == 200
    body = answer.json()
    for key in ("enableSoftDelete", "softDeleteRetentionInDays", "enableRbacAuthorization"):
        body["properties"].pop(key)  # defaults Azure adds that the example vault did not show
    assert_shape(expected, body)


def test_keyvault_access_policy_add(emu: Emulator) -> None:
    example = load(EXAMPLES / "keyvault/2026-02-01/updateAccessPoliciesAdd.json")
    http = Http(emu)
    group = example["parameters"]["resourceGroupName"]
    http(
        "PUT",
        f"/subscriptions/{SUB}/resourcegroups/{group}",
        {"location": "westus"},
        **{"api-version": "2021-04-01"},
    )
    base = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/sample-vault"
    vault = {
        "location": "westus",
        "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}},
    }
    assert http("PUT", base, vault, **{"api-version": "2026-02-01"}).status_code == 201
    answer = http(
        "PUT",
        f"{base}/accessPolicies/add",
        example["parameters"]["parameters"],
        **{"api-version": "2026-02-01"},
    )
    assert answer.status_code == 200
    assert_shape(local(example["responses"]["200"]["body"]), answer.json())
    policies = http("GET", base, **{"api-version": "2026-02-01"}).json()["properties"]["accessPolicies"]
    assert policies == example["parameters"]["parameters"]["properties"]["accessPolicies"]


def test_role_assignment_create_and_list(emu: Emulator) -> None:
    http = Http(emu)
    create = load(EXAMPLES / "authorization/2022-04-01/RoleAssignments_CreateForResource.json")
    params = local(create["parameters"]["parameters"])
    reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # the example's role id is not a built-in: use Reader
    params["properties"]["roleDefinitionId"] = params["properties"]["roleDefinitionId"].replace(
        "0b5fe924-9a61-425c-96af-cfe6e287ca2d", reader
    )
    scope = "/" + local(create["parameters"]["scope"])
    name = create["parameters"]["roleAssignmentName"]
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    answer = http("PUT", path, params, **{"api-version": "2022-04-01"})
    assert answer.status_code == 201
    expected = local(create["responses"]["201"]["body"])
    expected["properties"]["roleDefinitionId"] = expected["properties"]["roleDefinitionId"].replace(
        "0b5fe924-9a61-425c-96af-cfe6e287ca2d", reader
    )
    assert_shape(expected, answer.json())
    assert http("PUT", path, params, **{"api-version": "2022-04-01"}).status_code == 200
    listing = load(EXAMPLES / "authorization/2022-04-01/RoleAssignments_ListForScope.json")
    sub_scope = "/" + local(listing["parameters"]["scope"])
    item = local(listing["responses"]["200"]["body"]["value"][0])
    made = assign_role(http, sub_scope, item["properties"]["principalId"], reader, item["name"], "User")
    assert made.status_code == 201
    got = http(
        "GET",
        f"{sub_scope}/providers/Microsoft.Authorization/roleAssignments",
        **{"api-version": "2022-04-01", "$filter": "atScope()"},
    )
    assert got.status_code == 200
    expected_list = local(listing["responses"]["200"]["body"])
    expected_list["value"][0]["properties"]["roleDefinitionId"] = (
        f"/providers/Microsoft.Authorization/roleDefinitions/{reader}"
    )
    assert_shape(expected_list, got.json())


def test_data_plane_get_secret(emu: Emulator) -> None:
    example = load(EXAMPLES / "keyvault/data-plane/GetSecret-example.json")
    http = Http(emu, resource="https://vault.azure.net")
    expected = example["responses"]["200"]["body"]
    name = example["parameters"]["secret-name"]
    vault = {
        "location": "westus",
        "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}},
    }
    arm = Http(emu)
    assert (
        arm(
            "PUT",
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-rg/providers/"
            "Microsoft.KeyVault/vaults/myvault",
            vault,
            **{"api-version": "2026-02-01"},
        ).status_code
        == 201
    )
    api = {"api-version": example["parameters"]["api-version"]}
    assert http("GET", f"/kv/myvault/secrets/{name}", auth=False, **api).status_code == 401
    made = http("PUT", f"/kv/myvault/secrets/{name}", {"value": expected["value"]}, **api)
    assert made.status_code == 200
    version = made.json()["id"].rsplit("/", 1)[1]
    answer = http("GET", f"/kv/myvault/secrets/{name}/{version}", **api)
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == f"https://myvault.vault.azure.net/secrets/{name}/{version}"
    assert_shape(expected, body)
