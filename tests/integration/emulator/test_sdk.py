"""The real Azure SDKs complete every operation the app uses against the emulator."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.integration.emulator.helpers import (
    APP,
    KV_PASSWORD,
    KV_USERNAME,
    RG,
    SECRETS_USER,
    SUB,
    TENANT,
    acr_client,
    authorization_client,
    credential_set_body,
    keyvault_client,
    registry_path,
    secret_client,
    vault_id,
)
from tests.support.emulator import Emulator

FAST = {"polling_interval": 0.01}
CS_ID = f"{registry_path()}/credentialSets/dockerhub"


def _rule(source: str, target: str, cs: str | None = CS_ID) -> dict[str, object]:
    props: dict[str, object] = {"sourceRepository": source, "targetRepository": target}
    if cs:
        props["credentialSetResourceId"] = cs
    return {"properties": props}


def test_registry_create_get_list_delete(emu: Emulator) -> None:
    client = acr_client(emu)
    created = client.registries.begin_create(
        RG, "otherregistry", {"location": "westus", "sku": {"name": "Basic"}}, **FAST
    ).result()
    assert (created.login_server, created.provisioning_state) == ("otherregistry.azurecr.io", "Succeeded")
    assert client.registries.get(RG, "otherregistry").name == "otherregistry"
    assert {r.name for r in client.registries.list()} == {"demoregistry", "otherregistry"}
    assert len(list(client.registries.list_by_resource_group(RG))) == 2
    client.registries.begin_delete(RG, "otherregistry", **FAST).result()
    with pytest.raises(ResourceNotFoundError):
        client.registries.get(RG, "otherregistry")


def test_credential_set_and_cache_rule_lifecycle(emu: Emulator) -> None:
    client = acr_client(emu)
    cs = client.credential_sets.begin_create(
        RG, "demoregistry", "dockerhub", credential_set_body(), **FAST
    ).result()
    assert cs.provisioning_state == "Succeeded" and cs.identity.principal_id
    rule = client.cache_rules.begin_create(
        RG, "demoregistry", "ubuntu-rule", _rule("docker.io/library/ubuntu", "ubuntu"), **FAST
    ).result()
    assert (rule.provisioning_state, rule.credential_set_resource_id) == ("Succeeded", CS_ID)
    updated = client.credential_sets.begin_update(
        RG,
        "demoregistry",
        "dockerhub",
        {
            "properties": {
                "authCredentials": [
                    {
                        "name": "Credential1",
                        "usernameSecretIdentifier": KV_USERNAME,
                        "passwordSecretIdentifier": KV_PASSWORD + "/abc",
                    }
                ]
            }
        },
        **FAST,
    ).result()
    assert updated.auth_credentials[0].password_secret_identifier.endswith("/abc")
    assert updated.identity.principal_id == cs.identity.principal_id
    client.credential_sets.begin_create(
        RG, "demoregistry", "quayset", credential_set_body(login="quay.io"), **FAST
    ).result()
    quay = client.cache_rules.begin_create(
        RG,
        "demoregistry",
        "quay-rule",
        _rule("quay.io/prometheus/prometheus", "prometheus", f"{registry_path()}/credentialSets/quayset"),
        **FAST,
    ).result()
    assert quay.credential_set_resource_id.endswith("/quayset")
    removed = client.cache_rules.begin_update(
        RG, "demoregistry", "quay-rule", {"properties": {"credentialSetResourceId": None}}, **FAST
    ).result()
    assert removed.credential_set_resource_id is None
    assert client.cache_rules.get(RG, "demoregistry", "ubuntu-rule").target_repository == "ubuntu"
    client.cache_rules.begin_delete(RG, "demoregistry", "ubuntu-rule", **FAST).result()
    client.cache_rules.begin_delete(RG, "demoregistry", "ubuntu-rule", **FAST).result()  # 204: nothing there
    client.credential_sets.begin_delete(RG, "demoregistry", "dockerhub", **FAST).result()
    with pytest.raises(ResourceNotFoundError):
        client.credential_sets.get(RG, "demoregistry", "dockerhub")
    log = [(r["method"], r["status"]) for r in emu.requests_log() if "/cacheRules/ubuntu-rule" in r["path"]]
    assert ("PUT", 201) in log and ("DELETE", 202) in log and ("DELETE", 204) in log


def test_paged_lists_longer_than_a_page(emu: Emulator) -> None:
    emu.settings(pageSize=3)
    client = acr_client(emu)
    client.credential_sets.begin_create(
        RG, "demoregistry", "dockerhub", credential_set_body(), **FAST
    ).result()
    for index in range(7):
        client.cache_rules.begin_create(
            RG, "demoregistry", f"rule-{index:02d}", _rule(f"docker.io/library/img{index}", f"img{index}")
        )
    names = [r.name for r in client.cache_rules.list(RG, "demoregistry")]
    assert names == [f"rule-{i:02d}" for i in range(7)]
    pages = [
        r
        for r in emu.requests_log()
        if r["method"] == "GET" and r["path"].split("?")[0].endswith("/cacheRules")
    ]
    assert len(pages) == 3
    assert len(list(client.credential_sets.list(RG, "demoregistry"))) == 1


def test_failed_lro_surfaces_as_http_response_error(emu: Emulator) -> None:
    emu.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PUT", "pathRegex": "/credentialSets/broken", "lroResult": "Failed", "count": 1}],
    )
    client = acr_client(emu)
    with pytest.raises(HttpResponseError):
        client.credential_sets.begin_create(
            RG, "demoregistry", "broken", credential_set_body(), **FAST
        ).result()
    broken = client.credential_sets.get(RG, "demoregistry", "broken")
    assert broken.provisioning_state == "Failed"
    # Written again with the same credentials, the Failed set runs its operation again and recovers.
    same = {"properties": {"authCredentials": [c.as_dict() for c in broken.auth_credentials]}}
    again = client.credential_sets.begin_update(RG, "demoregistry", "broken", same, **FAST).result()
    assert again.provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as invalid:
        client.cache_rules.begin_create(
            RG, "demoregistry", "no-creds", _rule("docker.io/library/nginx", "nginx", None), **FAST
        ).result()
    assert invalid.value.status_code == 400 and invalid.value.error.code == "EnforceDockerAuthentication"


def test_keyvault_management(emu: Emulator) -> None:
    client = keyvault_client(emu)
    vault = client.vaults.begin_create_or_update(
        RG,
        "new-vault",
        {
            "location": "westus",
            "properties": {
                "tenantId": TENANT,
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
            },
        },
        **FAST,
    ).result()
    assert vault.properties.vault_uri.startswith("https://new-vault.vault.azure.net")
    assert client.vaults.get(RG, "demo-kv-rbac").properties.enable_rbac_authorization is True
    assert {v.name for v in client.vaults.list_by_resource_group(RG)} == {
        "demo-kv",
        "demo-kv-rbac",
        "new-vault",
    }
    principal = str(uuid.uuid4())
    policy = {"tenantId": TENANT, "objectId": principal, "permissions": {"secrets": ["get"]}}
    for kind, secrets in (("add", ["get"]), ("add", ["list"]), ("replace", ["set"]), ("remove", ["set"])):
        body = {"properties": {"accessPolicies": [dict(policy, permissions={"secrets": secrets})]}}
        client.vaults.update_access_policy(RG, "new-vault", kind, body)
        current = client.vaults.get(RG, "new-vault").properties.access_policies
        mine = [p for p in current if p.object_id == principal]
        expected = {"add": None, "replace": ["set"], "remove": []}[kind]
        if kind == "remove":
            assert mine == []
        elif expected:
            assert mine[0].permissions.secrets == expected
    assert [
        p.permissions.secrets
        for p in client.vaults.get(RG, "demo-kv").properties.access_policies
        if p.object_id == APP
    ]


def test_role_assignments(emu: Emulator) -> None:
    client = authorization_client(emu)
    scope = vault_id("demo-kv-rbac")
    principal = str(uuid.uuid4())
    params = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{SECRETS_USER}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
        }
    }
    name = str(uuid.uuid4())
    created = client.role_assignments.create(scope, name, params)
    assert created.principal_id == principal
    assert client.role_assignments.get(scope, name).scope == scope
    with pytest.raises(ResourceExistsError) as dup:
        client.role_assignments.create(scope, str(uuid.uuid4()), params)
    assert dup.value.status_code == 409 and dup.value.error.code == "RoleAssignmentExists"
    mine = list(client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'"))
    assert [a.name for a in mine] == [name]
    definition = client.role_definitions.get(scope, SECRETS_USER)
    assert definition.role_name == "Key Vault Secrets User"
    client.role_assignments.delete(scope, name)
    assert list(client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'")) == []


def test_secrets_data_plane(emu: Emulator) -> None:
    client = secret_client(emu)
    first = client.set_secret("rotating", "one")
    second = client.set_secret("rotating", "two")
    assert first.properties.version != second.properties.version
    assert first.id.startswith("https://demo-kv.vault.azure.net/secrets/rotating/")
    assert client.get_secret("rotating").value == "two"
    assert client.get_secret("rotating", first.properties.version).value == "one"
    names = {p.name for p in client.list_properties_of_secrets()}
    assert {"rotating", "dockerhub-username", "dockerhub-password"} <= names
    assert len(list(client.list_properties_of_secret_versions("rotating"))) == 2
    updated = client.update_secret_properties("rotating", enabled=False, expires_on=None)
    assert updated.enabled is False
    client.begin_delete_secret("rotating").result()
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("rotating")


def test_data_plane_access_control(emu: Emulator) -> None:
    stranger = str(uuid.uuid4())
    with pytest.raises(HttpResponseError) as denied:
        secret_client(emu, principal_id=stranger).get_secret("dockerhub-username")
    assert denied.value.status_code == 403
    for row in emu.requests_log():
        if row["status"] == 403:
            assert row["principalId"] == stranger


def test_managed_identity_credential_in_a_subprocess(emu: Emulator) -> None:
    script = (
        "from azure.identity import DefaultAzureCredential, ManagedIdentityCredential\n"
        "import base64, json\n"
        "for cred in (ManagedIdentityCredential(), DefaultAzureCredential()):\n"
        "    token = cred.get_token('https://management.azure.com/.default').token\n"
        "    claims = json.loads(base64.urlsafe_b64decode(token.split('.')[1] + '=='))\n"
        "    print(claims['oid'], claims['tid'])\n"
    )
    env = {**emu.env(), "PATH": "/usr/bin:/bin", "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [APP, TENANT, APP, TENANT]
