"""Behaviours taken from the recordings of the real service (azure-cli test_acr_cache.yaml, 2023 and 2026) and
Microsoft's docs, each checked where a client sees it."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from tests.integration.emulator.helpers import (
    API,
    APP,
    SUB,
    TENANT,
    Http,
    create_credential_set,
    registry_path,
    vault_id,
    wait_for_events,
)
from tests.support.emulator import REPO_ROOT, Emulator

OTHER_SUB = "00000000-0000-0000-0000-0000000000b2"
CS_ID = f"{registry_path()}/credentialSets/dockerhub"


def _rule(http: Http, name: str = "nginxrule", cs: str | None = CS_ID) -> Any:
    props: dict[str, Any] = {"sourceRepository": "docker.io/library/nginx", "targetRepository": "nginx"}
    if cs:
        props["credentialSetResourceId"] = cs
    return http("PUT", f"{registry_path()}/cacheRules/{name}", {"properties": props}, **{"api-version": API})


def test_operations_carry_no_retry_after_unless_set(emu: Emulator) -> None:
    http = Http(emu)
    emu.settings(lroPolls=1)
    create_credential_set(http, "other")
    answer = _rule(http, cs=f"{registry_path()}/credentialSets/other")
    assert answer.status_code == 201 and "Retry-After" not in answer.headers
    status_url = answer.headers["Azure-AsyncOperation"]
    pending = http("GET", status_url)
    assert pending.json() == {"status": "Creating"}
    assert pending.headers["Azure-AsyncOperation"] == status_url and "Retry-After" not in pending.headers
    assert http("GET", status_url).json() == {"status": "Succeeded"}
    emu.settings(operationRetryAfter=3)
    deleted = http("DELETE", f"{registry_path()}/cacheRules/nginxrule", **{"api-version": API})
    assert deleted.headers["Retry-After"] == "3"
    still = http("GET", deleted.headers["Location"])
    assert (still.status_code, still.headers["Location"], still.headers["Retry-After"]) == (
        202,
        deleted.headers["Location"],
        "3",
    )
    assert http("GET", deleted.headers["Location"]).status_code == 200
    assert emu.settings(operationRetryAfter=None)["operationRetryAfter"] is None


def test_bad_settings_change_nothing(emu: Emulator) -> None:
    answer = emu.control("PUT", "/_emulator/settings", json={"pageSize": 7, "operationRetryAfter": 1.5})
    assert answer.status_code == 400
    assert emu.control("GET", "/_emulator/settings").json()["pageSize"] == 100


def test_patch_that_changes_answers_201_updating_and_removal_drops_the_id(emu: Emulator) -> None:
    http = Http(emu)
    create_credential_set(http)
    ghcr = create_credential_set(http, "ghcrset", login="ghcr.io")
    path = f"{registry_path()}/cacheRules/ghcrrule"
    body = {
        "properties": {
            "sourceRepository": "ghcr.io/o/app",
            "targetRepository": "app",
            "credentialSetResourceId": ghcr["id"],
        }
    }
    assert http("PUT", path, body, **{"api-version": API}).status_code == 201
    emu.settings(lroPolls=1)
    removed = http("PATCH", path, {"properties": {"credentialSetResourceId": None}}, **{"api-version": API})
    assert removed.status_code == 201
    assert removed.json()["properties"]["provisioningState"] == "Updating"
    assert "credentialSetResourceId" not in removed.json()["properties"]
    assert http("GET", removed.headers["Azure-AsyncOperation"]).json() == {"status": "Updating"}
    assert http("GET", removed.headers["Azure-AsyncOperation"]).json() == {"status": "Succeeded"}
    got = http("GET", path, **{"api-version": API}).json()
    assert "credentialSetResourceId" not in got["properties"]
    assert set(got["systemData"]) == {
        "createdBy",
        "createdByType",
        "createdAt",
        "lastModifiedBy",
        "lastModifiedByType",
        "lastModifiedAt",
    }
    assert got["systemData"]["lastModifiedBy"] == APP


def test_credential_set_identity_is_written_system_assigned(emu: Emulator) -> None:
    cs = create_credential_set(Http(emu))
    assert cs["identity"]["type"] == "systemAssigned"
    assert cs["systemData"]["createdBy"] == APP


def test_several_subscriptions_each_hold_their_own(emu: Emulator) -> None:
    http = Http(emu)
    added = emu.control("PUT", f"/_emulator/subscriptions/{OTHER_SUB}", json={"displayName": "Second"})
    assert added.status_code == 201, added.text
    assert emu.control("PUT", f"/_emulator/subscriptions/{OTHER_SUB}", json={}).status_code == 200
    listed = http("GET", "/subscriptions", **{"api-version": "2022-12-01"}).json()["value"]
    assert [(s["subscriptionId"], s["tenantId"]) for s in listed] == [(SUB, TENANT), (OTHER_SUB, TENANT)]
    assert (
        http("GET", f"/subscriptions/{OTHER_SUB}", **{"api-version": "2022-12-01"}).json()["displayName"]
        == "Second"
    )
    group = f"/subscriptions/{OTHER_SUB}/resourcegroups/other-rg"
    assert http("PUT", group, {"location": "westus"}, **{"api-version": "2021-04-01"}).status_code == 201
    registry = f"{group}/providers/Microsoft.ContainerRegistry/registries/otherregistry"
    body = {"location": "westus", "sku": {"name": "Standard"}}
    assert http("PUT", registry, body, **{"api-version": API}).status_code == 201
    mine = f"/subscriptions/{OTHER_SUB}/providers/Microsoft.ContainerRegistry/registries"
    assert [r["name"] for r in http("GET", mine, **{"api-version": API}).json()["value"]] == ["otherregistry"]
    first = f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"
    assert "otherregistry" not in [
        r["name"] for r in http("GET", first, **{"api-version": API}).json()["value"]
    ]
    other_tenant = "00000000-0000-0000-0000-0000000000cc"
    emu.control(
        "PUT",
        "/_emulator/subscriptions/00000000-0000-0000-0000-0000000000c3",
        json={"tenantId": other_tenant},
    )
    listed = http("GET", "/subscriptions", **{"api-version": "2022-12-01"}).json()["value"]
    assert len(listed) == 2  # another tenant's subscription is not the caller's
    assert emu.control("PUT", "/_emulator/subscriptions/not-a-guid", json={}).status_code == 400
    emu.reset()
    assert len(http("GET", "/subscriptions", **{"api-version": "2022-12-01"}).json()["value"]) == 1


def test_throttling_is_per_principal_and_per_subscription(emu: Emulator) -> None:
    emu.control("PUT", f"/_emulator/subscriptions/{OTHER_SUB}", json={}).raise_for_status()
    emu.settings(throttling=True)
    http = Http(emu)
    groups = f"/subscriptions/{SUB}/resourcegroups"
    remaining = [
        int(
            http("GET", groups, **{"api-version": "2021-04-01"}).headers[
                "x-ms-ratelimit-remaining-subscription-reads"
            ]
        )
        for _ in range(3)
    ]
    assert remaining == [249, 248, 247]
    while http("GET", groups, **{"api-version": "2021-04-01"}).status_code != 429:
        pass
    other = http("GET", f"/subscriptions/{OTHER_SUB}/resourcegroups", **{"api-version": "2021-04-01"})
    assert other.status_code == 200
    assert other.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"
    write = http(
        "PUT",
        f"/subscriptions/{OTHER_SUB}/resourcegroups/g1",
        {"location": "westus"},
        **{"api-version": "2021-04-01"},
    )
    assert write.headers["x-ms-ratelimit-remaining-subscription-writes"] == "199"
    gone = http("DELETE", f"/subscriptions/{OTHER_SUB}/resourcegroups/g1", **{"api-version": "2021-04-01"})
    assert (
        gone.headers["x-ms-ratelimit-remaining-subscription-deletes"] == "199"
    )  # its own bucket (recording)


def test_resource_events_keep_the_request_method_and_operation(
    emu: Emulator, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    endpoint, received = webhook
    types = ["Microsoft.Resources.ResourceWriteSuccess", "Microsoft.Resources.ResourceDeleteSuccess"]
    emu.control(
        "PUT", "/_emulator/event-subscriptions/res", json={"endpoint": endpoint, "eventTypes": types}
    ).raise_for_status()
    http = Http(emu)
    create_credential_set(http)
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 2}).raise_for_status()
    patch = {
        "properties": {
            "authCredentials": [
                {
                    "name": "Credential1",
                    "usernameSecretIdentifier": "https://demo-kv.vault.azure.net/secrets/dockerhub-password",
                    "passwordSecretIdentifier": "https://demo-kv.vault.azure.net/secrets/dockerhub-password",
                }
            ]
        }
    }
    assert http("PATCH", CS_ID, patch, **{"api-version": API}).status_code == 201
    emu.control("POST", "/_emulator/clock", json={"advanceSeconds": 2}).raise_for_status()
    writes = wait_for_events(received, "Microsoft.Resources.ResourceWriteSuccess", 2)
    assert [e["data"]["httpRequest"]["method"] for e in writes] == ["PUT", "PATCH"]
    assert {e["data"]["operationName"] for e in writes} == {
        "Microsoft.ContainerRegistry/registries/credentialSets/write"
    }


def test_switch_to_rbac_raises_vault_access_policy_changed(
    emu: Emulator, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    """Key Vault's Event Grid schema doc: VaultAccessPolicyChanged also when a vault switches to or from RBAC."""
    endpoint, received = webhook
    kind = "Microsoft.KeyVault.VaultAccessPolicyChanged"
    emu.control(
        "PUT", "/_emulator/event-subscriptions/kv", json={"endpoint": endpoint, "eventTypes": [kind]}
    ).raise_for_status()
    http = Http(emu)
    switch = {"properties": {"enableRbacAuthorization": True}}
    assert http("PATCH", vault_id("demo-kv"), switch, **{"api-version": "2023-07-01"}).status_code == 200
    (event,) = wait_for_events(received, kind, 1)
    assert event["subject"] == "demo-kv"
    body = http("GET", vault_id("demo-kv"), **{"api-version": "2023-07-01"}).json()
    body["properties"]["enableRbacAuthorization"] = False
    assert http("PUT", vault_id("demo-kv"), body, **{"api-version": "2023-07-01"}).status_code == 200
    assert len(wait_for_events(received, kind, 2)) == 2


def test_registry_delete_takes_its_sets_and_identities_and_leaves_grants(
    emu: Emulator, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    endpoint, received = webhook
    kind = "Microsoft.Resources.ResourceDeleteSuccess"
    emu.control(
        "PUT", "/_emulator/event-subscriptions/del", json={"endpoint": endpoint, "eventTypes": [kind]}
    ).raise_for_status()
    http = Http(emu)
    cs = create_credential_set(http)
    principal = cs["identity"]["principalId"]
    from tests.integration.emulator.helpers import grant_policy

    grant_policy(http, "demo-kv", principal)
    deleted = http("DELETE", registry_path(), **{"api-version": API})
    assert deleted.status_code == 202
    assert re.search(r"/locations/westus/operationResults/registries-", deleted.headers["Location"])
    assert http("GET", deleted.headers["Location"]).status_code == 200
    (event,) = wait_for_events(received, kind, 1)
    assert event["data"]["operationName"] == "Microsoft.ContainerRegistry/registries/delete"
    assert event["data"]["httpRequest"]["method"] == "DELETE"
    assert http("GET", CS_ID, **{"api-version": API}).status_code == 404
    policies = http("GET", vault_id("demo-kv"), **{"api-version": "2023-07-01"}).json()["properties"]
    assert principal in [p["objectId"] for p in policies["accessPolicies"]]  # grants stay behind, as in Azure


def test_a_second_emulator_on_a_taken_port_exits_with_a_clear_message(emu: Emulator, tmp_path: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", str(emu.port), "--data-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"port {emu.port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr
