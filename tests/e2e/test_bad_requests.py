"""Every bad request gets a clear 4xx problem and changes nothing (the emulator's request log shows no write)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.conftest import KV, Stack, credentials, docker_rule

CN_KV = "https://demo-kv.vault.azure.cn"
RULE = "registries/demoregistry/cache-rules/ubuntu"
SET = "registries/demoregistry/credential-sets/dockerhub"


@dataclass(frozen=True)
class Bad:
    id: str
    method: str
    route: str
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    status: int = 400
    expect: str = ""  # text that the problem (detail or an error message) must contain
    field: str | None = None


def rule(**changes: Any) -> dict[str, Any]:
    body = docker_rule()
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def creds(**changes: Any) -> dict[str, Any]:
    return {**credentials(), **changes}


_DROP = object()

CASES = [
    Bad("malformed-json", "PUT", RULE, raw=b'{"sourceRepository": ', expect="not valid JSON"),
    Bad("json-array", "PUT", RULE, body=[docker_rule()], expect="JSON object"),
    Bad("json-string", "PUT", RULE, body="ubuntu", expect="JSON object"),
    Bad("empty-body", "PUT", RULE, raw=b"", expect="needs a JSON body"),
    Bad("nan-constant", "PUT", RULE, raw=b'{"sourceRepository": NaN}', expect="not valid JSON"),
    Bad("not-json-content-type", "PUT", RULE, raw=b"source=ubuntu", content_type="text/plain", status=415),
    Bad("oversized-body", "PUT", RULE, body=rule(padding="x" * 70_000), status=413, expect="at most"),
    Bad(
        "missing-source",
        "PUT",
        RULE,
        body=rule(sourceRepository=_DROP),
        field="sourceRepository",
        expect="required",
    ),
    Bad(
        "missing-target",
        "PUT",
        RULE,
        body=rule(targetRepository=_DROP),
        field="targetRepository",
        expect="required",
    ),
    Bad(
        "source-wrong-type",
        "PUT",
        RULE,
        body=rule(sourceRepository=42),
        field="sourceRepository",
        expect="string",
    ),
    Bad(
        "target-null", "PUT", RULE, body=rule(targetRepository=None), field="targetRepository", expect="null"
    ),
    Bad("unknown-field", "PUT", RULE, body=rule(tag="latest"), field="tag", expect="unknown field"),
    Bad(
        "tag-in-source",
        "PUT",
        RULE,
        body=rule(sourceRepository="docker.io/library/ubuntu:22.04"),
        field="sourceRepository",
        expect="write 'docker.io/library/ubuntu'",
    ),
    Bad(
        "digest-in-source",
        "PUT",
        RULE,
        body=rule(sourceRepository="ubuntu@sha256:" + "a" * 64),
        field="sourceRepository",
        expect="digest",
    ),
    Bad(
        "tag-in-target",
        "PUT",
        RULE,
        body=rule(targetRepository="ubuntu:latest"),
        field="targetRepository",
        expect="tag",
    ),
    Bad(
        "host-in-target",
        "PUT",
        RULE,
        body=rule(targetRepository="docker.io/ubuntu"),
        field="targetRepository",
        expect="host",
    ),
    Bad(
        "wildcard-mid-path",
        "PUT",
        RULE,
        body=rule(sourceRepository="docker.io/library/*/x"),
        field="sourceRepository",
        expect="last path segment",
    ),
    Bad(
        "wildcard-source-static-target",
        "PUT",
        RULE,
        body=rule(sourceRepository="docker.io/library/*"),
        field="targetRepository",
        expect="wildcard",
    ),
    Bad(
        "unsupported-upstream",
        "PUT",
        RULE,
        body=rule(sourceRepository="registry.example.com/team/app", credentials=_DROP),
        field="sourceRepository",
        expect="not supported",
    ),
    Bad(
        "docker-hub-without-credentials",
        "PUT",
        RULE,
        body=rule(credentials=_DROP),
        field="credentials",
        expect="requires credentials",
    ),
    Bad(
        "mcr-with-credentials",
        "PUT",
        RULE,
        body=rule(sourceRepository="mcr.microsoft.com/dotnet/sdk"),
        field="credentials",
        expect="does not accept",
    ),
    Bad(
        "credential-set-and-credentials",
        "PUT",
        RULE,
        body=rule(credentialSet="dockerhub"),
        field="credentials",
        expect="not both",
    ),
    Bad(
        "credentials-wrong-type",
        "PUT",
        RULE,
        body=rule(credentials="user:pass"),
        field="credentials",
        expect="JSON object",
    ),
    Bad(
        "credentials-unknown-field",
        "PUT",
        RULE,
        body=rule(credentials=creds(password="hunter2")),
        field="credentials.password",
        expect="unknown field",
    ),
    Bad(
        "credentials-missing-password",
        "PUT",
        RULE,
        body=rule(credentials={"usernameSecretUri": f"{KV}/secrets/u"}),
        field="credentials.passwordSecretUri",
        expect="required",
    ),
    Bad(
        "http-secret-uri",
        "PUT",
        RULE,
        body=rule(
            credentials=creds(usernameSecretUri="http://demo-kv.vault.azure.net/secrets/dockerhub-username")
        ),
        field="credentials.usernameSecretUri",
        expect="https",
    ),
    Bad(
        "foreign-cloud-vault",
        "PUT",
        RULE,
        body=rule(credentials=creds(passwordSecretUri=f"{CN_KV}/secrets/dockerhub-password")),
        field="credentials.passwordSecretUri",
        expect="Key Vault of this cloud",
    ),
    Bad(
        "not-a-vault-host",
        "PUT",
        RULE,
        body=rule(credentials=creds(usernameSecretUri="https://evil.example.com/secrets/x")),
        field="credentials.usernameSecretUri",
        expect="Key Vault of this cloud",
    ),
    Bad(
        "secret-uri-with-query",
        "PUT",
        RULE,
        body=rule(credentials=creds(usernameSecretUri=f"{KV}/secrets/dockerhub-username?x=1")),
        field="credentials.usernameSecretUri",
        expect="query",
    ),
    Bad(
        "secret-uri-bad-version",
        "PUT",
        RULE,
        body=rule(credentials=creds(usernameSecretUri=f"{KV}/secrets/dockerhub-username/latest")),
        field="credentials.usernameSecretUri",
        expect="version",
    ),
    Bad(
        "secret-uri-not-a-secret",
        "PUT",
        RULE,
        body=rule(credentials=creds(usernameSecretUri=f"{KV}/keys/dockerhub-username")),
        field="credentials.usernameSecretUri",
        expect="/secrets/",
    ),
    Bad(
        "login-server-mismatch",
        "PUT",
        RULE,
        body=rule(credentials=creds(loginServer="quay.io")),
        field="credentials.loginServer",
        expect="docker.io",
    ),
    Bad(
        "bad-credential-set-name",
        "PUT",
        RULE,
        body=rule(credentials=creds(credentialSetName="bad_name")),
        field="credentials.credentialSetName",
        expect="letters, digits",
    ),
    Bad(
        "vault-outside-managed-subscriptions",
        "PUT",
        RULE,
        body=rule(credentials=creds(usernameSecretUri="https://othertenantkv.vault.azure.net/secrets/u")),
        field="credentials.usernameSecretUri",
        expect="not found",
        status=409,  # well-formed: the vault's or set's state is the conflict
    ),
    Bad(
        "vault-in-another-tenant",
        "PUT",
        RULE,
        body=rule(
            credentials=creds(
                usernameSecretUri="https://foreign-kv.vault.azure.net/secrets/dockerhub-username"
            )
        ),
        field="credentials.usernameSecretUri",
        expect="tenant",
        status=409,  # well-formed: the vault's or set's state is the conflict
    ),
    Bad(
        "unknown-credential-set",
        "PUT",
        RULE,
        body={"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentialSet": "nosuchset"},
        field="credentialSet",
        expect="does not exist",
        status=409,  # well-formed: the vault's or set's state is the conflict
    ),
    Bad(
        "rule-name-too-short",
        "PUT",
        "registries/demoregistry/cache-rules/abc",
        body=docker_rule(),
        field="name",
        expect="5-50",
    ),
    Bad(
        "rule-name-bad-chars",
        "PUT",
        "registries/demoregistry/cache-rules/ubuntu_rule",
        body=docker_rule(),
        field="name",
        expect="letters, digits",
    ),
    Bad(
        "registry-name-invalid",
        "PUT",
        "registries/demo-registry/cache-rules/ubuntu",
        body=docker_rule(),
        field="registry",
        expect="letters and digits",
    ),
    Bad(
        "post-bad-name",
        "POST",
        "registries/demoregistry/cache-rules",
        body={**docker_rule(), "name": "x"},
        field="name",
        expect="5-50",
    ),
    Bad(
        "patch-unknown-field",
        "PATCH",
        RULE,
        body={"credentialSet": None, "targetRepository": "x"},
        field="targetRepository",
        expect="unknown field",
    ),
    Bad("patch-missing-field", "PATCH", RULE, body={}, field="credentialSet", expect="required"),
    Bad(
        "credential-set-missing-login-server",
        "PUT",
        SET,
        body=credentials(),
        field="loginServer",
        expect="required",
    ),
    Bad(
        "credential-set-anonymous-upstream",
        "PUT",
        SET,
        body={"loginServer": "mcr.microsoft.com", **credentials()},
        field="loginServer",
        expect="does not accept",
    ),
    Bad("credential-set-patch-empty", "PATCH", SET, body={}, expect="usernameSecretUri"),
]


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> Stack:
    stack.reset()
    # A vault that exists but in another tenant: a credential set's identity could never be granted there.
    stack.arm(
        "PUT",
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/foreign-kv",
        params={"api-version": "2026-02-01"},
        json={
            "location": "westus",
            "properties": {
                "tenantId": "99999999-9999-9999-9999-999999999999",
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
            },
        },
    )
    return stack


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_request_is_refused_cleanly(seeded: Stack, case: Bad) -> None:
    writes_before = len(seeded.arm_writes())
    data = case.raw if case.raw is not None else None
    kwargs: dict[str, Any] = {"data": data} if data is not None else {"json": case.body}
    response = requests.request(
        case.method,
        f"{seeded.api}/{case.route}",
        headers={"Content-Type": case.content_type},
        timeout=30,
        **kwargs,
    )

    assert response.status_code == case.status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == case.status
    assert problem["type"].startswith("https://")
    assert problem["title"]
    texts = [problem.get("detail", "")] + [e["message"] for e in problem.get("errors", [])]
    assert any(case.expect in t for t in texts), problem
    if case.field is not None:
        assert case.field in [e["field"] for e in problem.get("errors", [])], problem
    assert len(seeded.arm_writes()) == writes_before, "a refused request must write nothing"


def test_conflicting_target_is_409_before_any_write(seeded: Stack) -> None:
    seeded.reset()
    first = requests.put(f"{seeded.api}/{RULE}", json=docker_rule(), timeout=60)
    assert first.status_code == 201, first.text
    writes_before = len(seeded.arm_writes())

    clash = requests.put(
        f"{seeded.api}/registries/demoregistry/cache-rules/ubuntu-again", json=docker_rule(), timeout=60
    )

    assert clash.status_code == 409
    assert clash.json()["conflictingRule"] == "ubuntu"
    assert len(seeded.arm_writes()) == writes_before


def test_nested_wildcards_are_409(seeded: Stack) -> None:
    seeded.reset()
    wide = {
        "sourceRepository": "docker.io/library/*",
        "targetRepository": "hub/*",
        "credentials": credentials(),
    }
    assert (
        requests.put(
            f"{seeded.api}/registries/demoregistry/cache-rules/hub-all", json=wide, timeout=60
        ).status_code
        == 201
    )
    writes_before = len(seeded.arm_writes())
    nested = {
        "sourceRepository": "docker.io/bitnami/*",
        "targetRepository": "hub/bitnami/*",
        "credentials": credentials(),
    }

    response = requests.put(
        f"{seeded.api}/registries/demoregistry/cache-rules/hub-bitnami", json=nested, timeout=60
    )

    assert response.status_code == 409
    assert "nest" in response.json()["detail"]
    assert len(seeded.arm_writes()) == writes_before


def _refused_without_writes(stack: Stack, method: str, route: str, body: Any, status: int) -> dict[str, Any]:
    writes_before = len(stack.arm_writes())
    response = requests.request(method, f"{stack.api}/{route}", json=body, timeout=60)
    assert response.status_code == status, response.text
    assert len(stack.arm_writes()) == writes_before
    problem: dict[str, Any] = response.json()
    return problem


def test_named_credential_set_with_other_credentials_is_409(seeded: Stack) -> None:
    seeded.reset()
    other = {"loginServer": "docker.io", **credentials("https://demo-kv-rbac.vault.azure.net")}
    assert requests.put(f"{seeded.api}/{SET}", json=other, timeout=60).status_code == 201

    problem = _refused_without_writes(
        seeded, "PUT", RULE, rule(credentials=creds(credentialSetName="dockerhub")), 409
    )

    assert problem["existing"]["name"] == "dockerhub"


def test_credential_set_for_another_upstream_is_409(seeded: Stack) -> None:
    seeded.reset()
    seeded.emulator.control(
        "PUT", "/_emulator/upstreams/ghcr.io/accounts/demo-user", json={"password": "demo-password"}
    ).raise_for_status()
    ghcr = {"loginServer": "ghcr.io", **credentials()}
    assert (
        requests.put(
            f"{seeded.api}/registries/demoregistry/credential-sets/ghcr-creds", json=ghcr, timeout=60
        ).status_code
        == 201
    )

    problem = _refused_without_writes(
        seeded,
        "PUT",
        RULE,
        {"sourceRepository": "ubuntu", "targetRepository": "ubuntu", "credentialSet": "ghcr-creds"},
        409,  # a well-formed body: the named set's upstream is the conflict
    )

    assert problem["type"].endswith("#unusable-reference")
    assert "ghcr.io" in problem["errors"][0]["message"]


def test_patch_credentials_onto_an_anonymous_upstream_is_409(seeded: Stack) -> None:
    seeded.reset()
    mcr = {"sourceRepository": "mcr.microsoft.com/dotnet/sdk", "targetRepository": "dotnet/sdk"}
    assert (
        requests.put(
            f"{seeded.api}/registries/demoregistry/cache-rules/dotnet-sdk", json=mcr, timeout=60
        ).status_code
        == 201
    )
    assert (
        requests.put(
            f"{seeded.api}/{SET}", json={"loginServer": "docker.io", **credentials()}, timeout=60
        ).status_code
        == 201
    )

    problem = _refused_without_writes(
        seeded, "PATCH", "registries/demoregistry/cache-rules/dotnet-sdk", {"credentialSet": "dockerhub"}, 409
    )

    assert problem["type"].endswith("#cache-rule-conflict")
    assert "does not accept credentials" in problem["errors"][0]["message"]


def test_unknown_registries_cannot_spend_the_arm_read_budget(seeded: Stack) -> None:
    seeded.reset()
    for i in range(20):
        response = requests.get(f"{seeded.api}/registries/nosuchreg{i:03d}/cache-rules", timeout=30)
        assert response.status_code == 404

    lists = [
        r
        for r in seeded.emulator.requests_log()
        if r["method"] == "GET"
        and r["path"].split("?")[0].endswith("/Microsoft.ContainerRegistry/registries")
    ]
    assert len(lists) <= 1, lists
