"""The cache rule API end to end: devhost -> function_app.py -> real SDKs -> emulator (+ Azurite)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    KV,
    KV_RBAC,
    REGISTRY,
    REPO_ROOT,
    SUBSCRIPTION,
    TENANT,
    Stack,
    app_env,
    credentials,
    docker_rule,
    put,
)
from tests.support.devhost import Devhost, start_devhost

KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


@pytest.fixture(scope="module")
def second_instance(stack: Stack) -> Iterator[Devhost]:
    """Another instance of the same app (same settings, storage and Azure), as after a scale-out."""
    with start_devhost(REPO_ROOT, env=app_env(stack.emulator, stack.azurite)) as devhost:
        yield devhost


def _paths(stack: Stack, method: str, fragment: str) -> list[str]:
    return [r["path"] for r in stack.arm_writes() if r["method"] == method and fragment in r["path"]]


def test_docker_hub_rule_with_credentials_in_one_call_access_policy_vault(clean: Stack) -> None:
    response = put(clean.rules_url("ubuntu"), docker_rule("ubuntu"))

    assert response.status_code == 201, response.text
    view = response.json()
    assert view["name"] == "ubuntu"
    assert view["registry"] == REGISTRY
    assert view["sourceRepository"] == "docker.io/library/ubuntu"
    assert view["targetRepository"] == "ubuntu"
    assert view["provisioningState"] == "Succeeded"
    credential_set = view["credentialSet"]
    assert credential_set["loginServer"] == "docker.io"
    assert credential_set["usernameSecretUri"] == f"{KV}/secrets/dockerhub-username"
    assert credential_set["principalId"]
    assert credential_set["health"]["status"] == "Healthy", credential_set
    assert response.headers["Location"].endswith(f"/registries/{REGISTRY}/cache-rules/ubuntu")
    # Order of writes: credential set, access policy, then the rule (never the rule before its grant).
    writes = [(r["method"], r["path"].split("?")[0]) for r in clean.arm_writes()]
    kinds = [
        "credentialSet" if "/credentialSets/" in p else "policy" if "/accessPolicies/" in p else "rule"
        for _, p in writes
        if "/credentialSets/" in p or "/accessPolicies/" in p or "/cacheRules/" in p
    ]
    assert kinds == ["credentialSet", "policy", "rule"], writes
    assert not _paths(clean, "PUT", "roleAssignments")


def test_same_against_rbac_vault_assigns_secrets_user(clean: Stack) -> None:
    response = put(clean.rules_url("nginx"), docker_rule("nginx", vault=KV_RBAC, source="nginx"))

    assert response.status_code == 201, response.text
    view = response.json()
    assert view["sourceRepository"] == "docker.io/library/nginx"
    assert view["credentialSet"]["health"]["status"] == "Healthy", view
    assert len(_paths(clean, "PUT", "/providers/Microsoft.Authorization/roleAssignments/")) == 1
    assert not _paths(clean, "PUT", "/accessPolicies/")
    principal = view["credentialSet"]["principalId"]
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv-rbac"
    assignments = clean.arm(
        "GET",
        f"{scope}/providers/Microsoft.Authorization/roleAssignments",
        params={"api-version": "2022-04-01", "$filter": f"principalId eq '{principal}'"},
    )["value"]
    assert [a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1] for a in assignments] == [KV_SECRETS_USER]
    assert assignments[0]["properties"]["principalType"] == "ServicePrincipal"


def test_repeated_put_is_200_and_writes_nothing(clean: Stack) -> None:
    assert put(clean.rules_url("ubuntu"), docker_rule()).status_code == 201
    writes_before = len(clean.arm_writes())

    again = put(clean.rules_url("ubuntu"), docker_rule())

    assert again.status_code == 200, again.text
    assert again.json()["credentialSet"]["name"]
    assert len(clean.arm_writes()) == writes_before


def test_put_existing_rule_differently_is_409(clean: Stack) -> None:
    assert put(clean.rules_url("ubuntu"), docker_rule()).status_code == 201
    writes_before = len(clean.arm_writes())
    body = docker_rule()
    body["targetRepository"] = "ubuntu-other"

    response = put(clean.rules_url("ubuntu"), body)

    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "targetRepository" in response.json()["detail"]
    assert len(clean.arm_writes()) == writes_before


def test_second_rule_reuses_the_credential_set(clean: Stack) -> None:
    first = put(clean.rules_url("ubuntu"), docker_rule("ubuntu")).json()
    second = put(clean.rules_url("alpine"), docker_rule("alpine"))

    assert second.status_code == 201, second.text
    assert second.json()["credentialSet"]["name"] == first["credentialSet"]["name"]
    assert len(_paths(clean, "PUT", "/credentialSets/")) == 1


def test_post_derives_the_name_from_the_target(clean: Stack) -> None:
    body = docker_rule("bitnami/redis", source="docker.io/bitnami/redis")

    response = requests.post(clean.rules_url(), json=body, timeout=60)

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "bitnami-redis"
    assert response.headers["Location"].endswith("/cache-rules/bitnami-redis")
    assert requests.get(clean.rules_url("bitnami-redis"), timeout=30).status_code == 200


def test_rule_without_credentials_for_an_anonymous_upstream(clean: Stack) -> None:
    response = put(
        clean.rules_url("dotnet-runtime"),
        {"sourceRepository": "mcr.microsoft.com/dotnet/runtime", "targetRepository": "dotnet/runtime"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["credentialSet"] is None
    assert not _paths(clean, "PUT", "/credentialSets/")


def test_show_and_list_carry_credential_health(clean: Stack) -> None:
    put(clean.rules_url("ubuntu"), docker_rule("ubuntu"))
    put(
        clean.rules_url("dotnet-sdk"),
        {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "dotnet/sdk"},
    )

    shown = requests.get(clean.rules_url("ubuntu"), timeout=30)
    listed = requests.get(clean.rules_url(), timeout=30)

    assert shown.status_code == 200
    assert shown.json()["credentialSet"]["health"]["status"] == "Healthy"
    body = listed.json()
    assert body["count"] == 2
    by_name = {v["name"]: v for v in body["value"]}
    assert by_name["ubuntu"]["credentialSet"]["health"]["status"] == "Healthy"
    assert by_name["dotnet-sdk"]["credentialSet"] is None


def test_patch_credential_set_and_remove_it(clean: Stack) -> None:
    # A set is made only when its secrets log in to its upstream: declare the demo account at ghcr.io too.
    clean.emulator.control(
        "PUT", "/_emulator/upstreams/ghcr.io/accounts/demo-user", json={"password": "demo-password"}
    ).raise_for_status()
    ghcr_set = put(
        clean.sets_url("ghcr-creds"),
        {"loginServer": "ghcr.io", **credentials()},
    )
    assert ghcr_set.status_code == 201, ghcr_set.text
    assert (
        put(
            clean.rules_url("ghcr-app"),
            {"sourceRepository": "ghcr.io/org/app", "targetRepository": "org/app"},
        ).status_code
        == 201
    )

    attached = requests.patch(clean.rules_url("ghcr-app"), json={"credentialSet": "ghcr-creds"}, timeout=60)
    assert attached.status_code == 200, attached.text
    assert attached.json()["credentialSet"]["name"] == "ghcr-creds"

    removed = requests.patch(clean.rules_url("ghcr-app"), json={"credentialSet": None}, timeout=60)
    assert removed.status_code == 200, removed.text
    assert removed.json()["credentialSet"] is None
    assert requests.get(clean.rules_url("ghcr-app"), timeout=30).json()["credentialSet"] is None


def test_patch_cannot_remove_required_docker_hub_credentials(clean: Stack) -> None:
    put(clean.rules_url("ubuntu"), docker_rule())
    writes_before = len(clean.arm_writes())

    response = requests.patch(clean.rules_url("ubuntu"), json={"credentialSet": None}, timeout=60)

    assert response.status_code == 409, response.text  # well-formed; the rule's upstream stands in the way
    assert response.json()["type"].endswith("#cache-rule-conflict")
    assert response.json()["errors"][0]["field"] == "credentialSet"
    assert len(clean.arm_writes()) == writes_before


def test_a_rule_naming_a_credential_set_that_does_not_exist_is_409_and_writes_nothing(clean: Stack) -> None:
    body = {
        "sourceRepository": "docker.io/library/ubuntu",
        "targetRepository": "ubuntu",
        "credentialSet": "no-such-set",
    }

    answer = put(clean.rules_url("ubuntu"), body)

    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("#unusable-reference")
    assert answer.json()["errors"] == [
        {"field": "credentialSet", "message": "credential set 'no-such-set' does not exist"}
    ]
    assert clean.arm_writes() == []


def test_delete_rule_then_404(clean: Stack) -> None:
    put(clean.rules_url("ubuntu"), docker_rule())

    deleted = requests.delete(clean.rules_url("ubuntu"), timeout=60)

    assert deleted.status_code == 204
    assert requests.get(clean.rules_url("ubuntu"), timeout=30).status_code == 404
    assert requests.delete(clean.rules_url("ubuntu"), timeout=30).status_code == 404


def test_credential_set_crud_and_in_use_protection(clean: Stack) -> None:
    created = put(clean.sets_url("dockerhub"), {"loginServer": "docker.io", **credentials()})
    assert created.status_code == 201, created.text
    assert created.json()["health"]["status"] == "Healthy"
    assert put(clean.sets_url("dockerhub"), {"loginServer": "docker.io", **credentials()}).status_code == 200

    rule = put(
        clean.rules_url("ubuntu"),
        {
            "sourceRepository": "docker.io/library/ubuntu",
            "targetRepository": "ubuntu",
            "credentialSet": "dockerhub",
        },
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["credentialSet"]["name"] == "dockerhub"

    shown = requests.get(clean.sets_url("dockerhub"), timeout=30).json()
    assert shown["usedByCacheRules"] == ["ubuntu"]
    listed = requests.get(clean.sets_url(), timeout=30).json()
    assert [v["name"] for v in listed["value"]] == ["dockerhub"]

    patched = requests.patch(
        clean.sets_url("dockerhub"),
        json={"passwordSecretUri": f"{KV_RBAC}/secrets/dockerhub-password"},
        timeout=60,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["passwordSecretUri"] == f"{KV_RBAC}/secrets/dockerhub-password"
    assert _paths(clean, "PUT", "roleAssignments"), "the new vault's grant is made on PATCH"

    in_use = requests.delete(clean.sets_url("dockerhub"), timeout=30)
    assert in_use.status_code == 409
    assert in_use.json()["cacheRules"] == ["ubuntu"]
    assert "ubuntu" in in_use.json()["detail"]

    assert requests.delete(clean.rules_url("ubuntu"), timeout=60).status_code == 204
    assert requests.delete(clean.sets_url("dockerhub"), timeout=60).status_code == 204
    assert requests.get(clean.sets_url("dockerhub"), timeout=30).status_code == 404


def test_credential_set_login_server_is_immutable(clean: Stack) -> None:
    put(clean.sets_url("dockerhub"), {"loginServer": "docker.io", **credentials()})
    writes_before = len(clean.arm_writes())

    replaced = put(clean.sets_url("dockerhub"), {"loginServer": "quay.io", **credentials()})
    patched = requests.patch(
        clean.sets_url("dockerhub"), json={"loginServer": "quay.io", **credentials()}, timeout=30
    )
    only_login = requests.patch(clean.sets_url("dockerhub"), json={"loginServer": "quay.io"}, timeout=30)

    assert replaced.status_code == 409
    assert patched.status_code == 409, patched.text
    assert patched.json()["type"].endswith("#credential-set-conflict")
    assert patched.json()["errors"][0]["field"] == "loginServer"
    assert only_login.status_code == 400  # no secret to point at: the body itself is invalid
    assert len(clean.arm_writes()) == writes_before


def test_unknown_registry_is_404(clean: Stack) -> None:
    response = put(f"{clean.api}/registries/nosuchregistry/cache-rules/ubuntu", docker_rule())

    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert clean.arm_writes() == []


def test_validate_reports_every_check(clean: Stack) -> None:
    put(clean.rules_url("ubuntu"), docker_rule())

    result = requests.post(clean.rules_url("ubuntu") + "/validate", timeout=30)

    assert result.status_code == 200
    body = result.json()
    assert body["isValid"] is True, body
    assert body["failure"] is None
    names = [c["name"] for c in body["checks"]]
    assert names == [
        "ruleExists",
        "credentialSetExists",
        "vaultsAllowed",
        "usernameSecret",
        "passwordSecret",
        "grant",
        "credentialHealth",
    ]
    assert all(c["status"] == "Passed" for c in body["checks"])


def test_validate_finds_a_disabled_secret_and_a_missing_grant(clean: Stack) -> None:
    view = put(clean.rules_url("ubuntu"), docker_rule()).json()
    principal = view["credentialSet"]["principalId"]
    secrets = clean.secret_client("demo-kv")
    secrets.update_secret_properties("dockerhub-password", enabled=False)

    disabled = requests.post(clean.rules_url("ubuntu") + "/validate", timeout=30).json()

    assert disabled["isValid"] is False
    assert disabled["failure"]["check"] == "passwordSecret", disabled
    assert disabled["failure"]["code"] == "SecretDisabled"

    secrets.update_secret_properties("dockerhub-password", enabled=True)
    clean.arm(
        "PUT",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv/accessPolicies/remove",
        params={"api-version": "2026-02-01"},
        json={
            "properties": {
                "accessPolicies": [
                    {
                        "tenantId": view["credentialSet"].get("tenantId")
                        or "00000000-0000-0000-0000-0000000000aa",
                        "objectId": principal,
                        "permissions": {"secrets": ["get"]},
                    }
                ]
            }
        },
    )
    no_grant = requests.post(clean.rules_url("ubuntu") + "/validate", timeout=30).json()
    assert no_grant["isValid"] is False
    assert no_grant["failure"]["check"] == "grant"
    assert no_grant["failure"]["code"] == "AccessMissing"


def test_validate_unknown_rule(clean: Stack) -> None:
    body = requests.post(clean.rules_url("missing-rule") + "/validate", timeout=30).json()

    assert body["isValid"] is False
    assert body["failure"]["code"] == "CacheRuleMissing"


def test_ten_identical_puts_at_once_leave_one_rule_and_one_credential_set(clean: Stack) -> None:
    def send(_: int) -> requests.Response:
        return put(clean.rules_url("ubuntu"), docker_rule())

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 201}, [r.text for r in responses if r.status_code not in (200, 201)]
    assert statuses.count(201) == 1
    assert requests.get(clean.rules_url(), timeout=30).json()["count"] == 1
    assert len(requests.get(clean.sets_url(), timeout=30).json()["value"]) == 1
    assert len({r.json()["credentialSet"]["principalId"] for r in responses}) == 1


def test_rule_create_failure_rolls_back_the_credential_set_and_grant(clean: Stack) -> None:
    clean.emulator.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PUT", "pathRegex": "/cacheRules/ubuntu", "status": 500, "count": 100}],
    )
    try:
        response = put(clean.rules_url("ubuntu"), docker_rule())
    finally:
        clean.emulator.control("PUT", "/_emulator/faults", json=[])

    assert response.status_code in (502, 503), response.text
    problem = response.json()
    assert problem["failedStep"] == "cacheRule"
    assert "cacheRule:ubuntu" not in problem["rolledBack"], (
        "nothing was created, so nothing is reported undone"
    )
    assert any(step.startswith("credentialSet:") for step in problem["rolledBack"])
    assert any(step.startswith("accessPolicy:") for step in problem["rolledBack"])
    assert requests.get(clean.sets_url(), timeout=30).json()["value"] == []
    assert requests.get(clean.rules_url(), timeout=30).json()["count"] == 0
    vault = clean.arm(
        "GET",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv",
        params={"api-version": "2026-02-01"},
    )
    principals = {p["objectId"] for p in vault["properties"]["accessPolicies"]}
    assert principals == {"00000000-0000-0000-0000-0000000000a1"}, "only the seeded app policy remains"


def test_openapi_document_is_served(clean: Stack) -> None:
    response = requests.get(f"{clean.api}/openapi.json", timeout=30)

    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/registries/{registry}/cache-rules/{name}" in document["paths"]


def test_identical_puts_across_two_instances_converge(clean: Stack, second_instance: Devhost) -> None:
    """Scaled out, instances share only Azure and storage: the lease in Table storage serialises them."""
    urls = [clean.rules_url("ubuntu"), f"{second_instance.url}/api/registries/{REGISTRY}/cache-rules/ubuntu"]

    def send(i: int) -> requests.Response:
        return put(urls[i % 2], docker_rule())

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(send, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], [r.text for r in responses if r.status_code not in (200, 201)]
    assert len(_paths(clean, "PUT", "/credentialSets/")) == 1
    assert len(_paths(clean, "PUT", "/cacheRules/")) == 1


def test_throttling_and_transient_errors_are_retried(clean: Stack) -> None:
    clean.emulator.control(
        "PUT",
        "/_emulator/faults",
        json=[
            {"method": "PUT", "pathRegex": "/credentialSets/", "status": 429, "retryAfter": 1, "count": 1},
            {"method": "PUT", "pathRegex": "/cacheRules/ubuntu", "status": 503, "count": 1},
        ],
    )
    try:
        response = put(clean.rules_url("ubuntu"), docker_rule())
    finally:
        clean.emulator.control("PUT", "/_emulator/faults", json=[])

    assert response.status_code == 201, response.text
    statuses = [r["status"] for r in clean.emulator.requests_log() if r["method"] == "PUT"]
    assert 429 in statuses and 503 in statuses
    assert response.json()["credentialSet"]["health"]["status"] == "Healthy"


def test_failed_rule_operation_rolls_back(clean: Stack) -> None:
    clean.emulator.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PUT", "pathRegex": "/cacheRules/ubuntu", "lroResult": "Failed", "count": 1}],
    )
    try:
        response = put(clean.rules_url("ubuntu"), docker_rule())
    finally:
        clean.emulator.control("PUT", "/_emulator/faults", json=[])

    assert response.status_code >= 400, response.text
    problem = response.json()
    assert problem["failedStep"] == "cacheRule"
    assert "cacheRule:ubuntu" in problem["rolledBack"]
    assert requests.get(clean.sets_url(), timeout=30).json()["value"] == []
    assert requests.get(clean.rules_url("ubuntu"), timeout=30).status_code == 404


def test_put_as_asked_restores_a_removed_grant(clean: Stack) -> None:
    view = put(clean.rules_url("ubuntu"), docker_rule()).json()
    principal = view["credentialSet"]["principalId"]
    vault_path = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv"
    )
    clean.arm(
        "PUT",
        f"{vault_path}/accessPolicies/remove",
        params={"api-version": "2026-02-01"},
        json={
            "properties": {
                "accessPolicies": [
                    {"tenantId": TENANT, "objectId": principal, "permissions": {"secrets": ["get"]}}
                ]
            }
        },
    )
    assert (
        requests.get(clean.rules_url("ubuntu"), timeout=30).json()["credentialSet"]["health"]["status"]
        == "Unhealthy"
    )

    again = put(clean.rules_url("ubuntu"), docker_rule())

    assert again.status_code == 200, again.text
    assert again.json()["credentialSet"]["health"]["status"] == "Healthy"
    policies = clean.arm("GET", vault_path, params={"api-version": "2026-02-01"})["properties"][
        "accessPolicies"
    ]
    assert principal in {p["objectId"] for p in policies}


def test_an_existing_broader_secret_role_counts_as_the_grant(clean: Stack) -> None:
    body = {"loginServer": "docker.io", **credentials(KV_RBAC)}
    made = put(clean.sets_url("dockerhub"), body).json()
    principal = made["principalId"]
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/demo-kv-rbac"
    listing = f"{scope}/providers/Microsoft.Authorization/roleAssignments"
    (assigned,) = clean.arm(
        "GET", listing, params={"api-version": "2022-04-01", "$filter": f"principalId eq '{principal}'"}
    )["value"]
    clean.arm("DELETE", assigned["id"], params={"api-version": "2022-04-01"})
    officer = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
    clean.arm(
        "PUT",
        f"{listing}/7d0c2b4e-8a43-4c83-9c43-3a0f3b0c2f11",
        params={"api-version": "2022-04-01"},
        json={
            "properties": {
                "roleDefinitionId": officer,
                "principalId": principal,
                "principalType": "ServicePrincipal",
            }
        },
    )
    writes_before = len(_paths(clean, "PUT", "roleAssignments"))

    again = put(clean.sets_url("dockerhub"), body)

    assert again.status_code == 200, again.text
    assert again.json()["health"]["status"] == "Healthy"
    assert len(_paths(clean, "PUT", "roleAssignments")) == writes_before, "Secrets Officer already grants get"


def test_create_waits_a_bounded_time_for_rbac_propagation(clean: Stack) -> None:
    try:
        clean.emulator.settings(roleAssignmentDelaySeconds=2)
        quick = put(clean.rules_url("nginx"), docker_rule("nginx", vault=KV_RBAC))
        assert quick.status_code == 201, quick.text
        assert quick.json()["credentialSet"]["health"]["status"] == "Healthy", (
            "waited for the grant to take effect"
        )

        clean.emulator.settings(roleAssignmentDelaySeconds=600)
        still = requests.get(clean.rules_url("nginx"), timeout=30).json()["credentialSet"]["health"]["status"]
        assert still == "Healthy", "a grant that has taken effect stays in effect"
        body = docker_rule("redis", vault=KV_RBAC)
        body["credentials"]["credentialSetName"] = "redis-creds"  # a new identity, so a new role assignment
        slow = put(clean.rules_url("redis"), body)
        assert slow.status_code == 201, slow.text
        assert slow.json()["credentialSet"]["name"] == "redis-creds"
        health = slow.json()["credentialSet"]["health"]
        assert health["status"] == "Unhealthy", "the wait is bounded (HEALTH_WAIT_SECONDS), not until healthy"

        clean.emulator.control("POST", "/_emulator/clock", json={"advanceSeconds": 600}).raise_for_status()
        later = requests.get(clean.rules_url("redis"), timeout=30).json()
        assert later["credentialSet"]["health"]["status"] == "Healthy"
    finally:
        clean.emulator.settings(roleAssignmentDelaySeconds=0)


def test_logs_hold_events_but_no_secret_or_token(clean: Stack) -> None:
    put(clean.rules_url("ubuntu"), docker_rule())
    put(clean.rules_url("ubuntu2"), {"sourceRepository": "ubuntu:22.04", "targetRepository": "ubuntu2"})

    logs = clean.devhost.logs()

    assert "CacheRuleCreated {" in logs and "RequestRefused {" in logs
    for forbidden in ("demo-password", "demo-user", "Bearer ", "eyJ", "access_token"):
        assert forbidden not in logs, f"{forbidden!r} leaked into the function logs"
