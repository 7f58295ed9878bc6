"""Service rules: each one rejected with the status and error code the emulator documents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.emulator.helpers import (
    API,
    SUB,
    Http,
    create_credential_set,
    credential_set_body,
    registry_path,
)
from tests.support.emulator import Emulator

CS = f"{registry_path()}/credentialSets/dockerhub"
GHCR_CS = f"{registry_path()}/credentialSets/ghcrset"


def _rule(http: Http, name: str, source: str, target: str, cs: str | None = CS) -> Any:
    props: dict[str, Any] = {"sourceRepository": source, "targetRepository": target}
    if cs is not None:
        props["credentialSetResourceId"] = cs
    return http("PUT", f"{registry_path()}/cacheRules/{name}", {"properties": props}, **{"api-version": API})


@pytest.fixture
def http(emu: Emulator) -> Http:
    client = Http(emu)
    create_credential_set(client)
    create_credential_set(client, "ghcrset", login="ghcr.io")
    return client


def _error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


@pytest.mark.parametrize(
    "name,source,target,cs,expected",
    [
        ("abc", "docker.io/library/a", "a", CS, (400, "InvalidResourceName")),
        ("bad_name", "docker.io/library/a", "a", CS, (400, "InvalidResourceName")),
        ("x" * 51, "docker.io/library/a", "a", CS, (400, "InvalidResourceName")),
        ("rule1", "docker.io/library/nginx", "nginx", None, (400, "EnforceDockerAuthentication")),
        ("rule1", "registry.redhat.io/ubi9/ubi", "ubi", None, (400, "CredentialsRequired")),
        (
            "rule1",
            "mcr.microsoft.com/dotnet/runtime",
            "runtime",
            CS,
            (400, "CredentialSetLoginServerMismatch"),
        ),
        ("rule1", "example.com/some/repo", "repo", None, (400, "UnsupportedUpstream")),
        ("rule1", "docker.io/library/Nginx", "nginx", CS, (400, "InvalidSourceRepository")),
        ("rule1", "docker.io/library/nginx:latest", "nginx", CS, (400, "InvalidSourceRepository")),
        ("rule1", "docker.io/library/nginx", "Nginx", CS, (400, "InvalidTargetRepository")),
        ("rule1", "docker.io/library/*", "library", CS, (400, "InvalidTargetRepository")),
        ("rule1", "docker.io/library/nginx", "nginx", GHCR_CS, (400, "CredentialSetLoginServerMismatch")),
        ("rule1", "docker.io/library/nginx", "nginx", CS + "x", (400, "CredentialSetNotFound")),
    ],
)
def test_cache_rule_rejections(
    http: Http, name: str, source: str, target: str, cs: str | None, expected: Any
) -> None:
    assert _error(_rule(http, name, source, target, cs)) == expected


def test_optional_credentials_upstreams_accept_both(http: Http) -> None:
    assert _rule(http, "ghcr-anon", "ghcr.io/owner/app", "app", None).status_code == 201
    assert _rule(http, "ghcr-auth", "ghcr.io/owner/other", "other", GHCR_CS).status_code == 201
    assert _rule(http, "mcr-anon", "mcr.microsoft.com/dotnet/sdk", "dotnet/sdk", None).status_code == 201


def test_target_already_present(emu: Emulator, http: Http) -> None:
    emu.control(
        "PUT", "/_emulator/registries/demoregistry/repositories", json=["existing"]
    ).raise_for_status()
    assert _error(_rule(http, "rule1", "docker.io/library/a", "existing")) == (
        409,
        "TargetRepositoryAlreadyPresentInRegistry",
    )
    assert _rule(http, "rule2", "docker.io/library/b", "shared").status_code == 201
    assert _error(_rule(http, "rule3", "docker.io/library/c", "shared")) == (
        409,
        "TargetRepositoryAlreadyPresentInRegistry",
    )


def test_wildcards_may_not_nest_but_static_may_sit_under(http: Http) -> None:
    assert _rule(http, "wild1", "docker.io/library/*", "hub/*").status_code == 201
    assert _error(_rule(http, "wild2", "docker.io/library/sub/*", "other/*")) == (
        409,
        "CacheRuleWildcardConflict",
    )
    assert _error(_rule(http, "wild3", "docker.io/other/*", "hub/deeper/*")) == (
        409,
        "CacheRuleWildcardConflict",
    )
    assert _rule(http, "static1", "docker.io/library/nginx", "hub/nginx").status_code == 201


def test_immutable_source_and_target(http: Http) -> None:
    assert _rule(http, "rule1", "docker.io/library/a", "a").status_code == 201
    assert _error(_rule(http, "rule1", "docker.io/library/b", "a")) == (400, "PropertyChangeNotAllowed")
    patch = {"properties": {"targetRepository": "b"}}
    answer = http("PATCH", f"{registry_path()}/cacheRules/rule1", patch, **{"api-version": API})
    assert _error(answer) == (400, "PropertyChangeNotAllowed")
    removal = {"properties": {"credentialSetResourceId": None}}
    answer = http("PATCH", f"{registry_path()}/cacheRules/rule1", removal, **{"api-version": API})
    assert _error(answer) == (400, "EnforceDockerAuthentication")


def test_credential_set_rules(http: Http) -> None:
    path = f"{registry_path()}/credentialSets/dockerhub"
    changed = credential_set_body(login="quay.io")
    assert _error(http("PUT", path, changed, **{"api-version": API})) == (400, "PropertyChangeNotAllowed")
    patch = {"properties": {"loginServer": "quay.io"}}
    assert _error(http("PATCH", path, patch, **{"api-version": API})) == (400, "PropertyChangeNotAllowed")
    bad = credential_set_body(username="https://evil.example.com/secrets/u")
    assert _error(http("PUT", f"{registry_path()}/credentialSets/other", bad, **{"api-version": API})) == (
        400,
        "InvalidSecretIdentifier",
    )
    assert _error(
        http(
            "PUT",
            f"{registry_path()}/credentialSets/elsewhere",
            credential_set_body(login="example.com"),
            **{"api-version": API},
        )
    ) == (400, "UnsupportedUpstream")


@pytest.mark.parametrize("upstream", ["mcr.microsoft.com", "public.ecr.aws", "registry.access.redhat.com"])
def test_anonymous_upstreams_accept_a_credential_set_and_rules_using_it(http: Http, upstream: str) -> None:
    """The 2026 azure-cli recording creates a credential set for mcr.microsoft.com and a rule using it, both
    Succeeded (the other two anonymous upstreams are assumed to behave alike)."""
    path = f"{registry_path()}/credentialSets/anonset"
    created = http("PUT", path, credential_set_body(login=upstream), **{"api-version": API})
    assert created.status_code == 201, created.text
    assert http("GET", created.headers["Azure-AsyncOperation"]).json() == {"status": "Succeeded"}
    rule = _rule(http, "anonrule", f"{upstream}/team/hello-world", "hello-world", path)
    assert rule.status_code == 201, rule.text
    assert rule.json()["properties"]["credentialSetResourceId"] == path


def test_docker_hub_name_without_library_is_accepted_as_given(http: Http) -> None:
    """`docker.io/<name>` means `docker.io/library/<name>` (artifact-cache overview); the rule keeps the source
    as given (assumption), and a later PUT naming the library form is the same rule, not a change."""
    created = _rule(http, "nginxrule", "docker.io/nginx", "nginx")
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["sourceRepository"] == "docker.io/nginx"
    again = _rule(http, "nginxrule", "docker.io/library/nginx", "nginx")
    assert again.status_code == 200, again.text
    assert _error(_rule(http, "nginxrule", "docker.io/library/redis", "nginx")) == (
        400,
        "PropertyChangeNotAllowed",
    )


def test_wildcard_over_existing_repositories(emu: Emulator, http: Http) -> None:
    emu.control(
        "PUT", "/_emulator/registries/demoregistry/repositories", json=["hub/nginx"]
    ).raise_for_status()
    assert _error(_rule(http, "wild1", "docker.io/library/*", "hub/*")) == (
        409,
        "TargetRepositoryPrefixMatchesExistingRegistries",
    )


def test_thousand_rules_per_registry(http: Http) -> None:
    for index in range(1000):
        answer = _rule(http, f"rule-{index:04d}", f"docker.io/library/i{index}", f"i{index}")
        assert answer.status_code == 201, answer.text
    assert _error(_rule(http, "rule-1000", "docker.io/library/last", "last")) == (
        400,
        "CacheRuleQuotaExceeded",
    )


def test_registry_names_and_availability(emu: Emulator) -> None:
    http = Http(emu)
    body = {"location": "westus", "sku": {"name": "Basic"}}
    assert _error(http("PUT", registry_path("bad-name"), body, **{"api-version": API})) == (
        400,
        "InvalidResourceName",
    )
    check = f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/checkNameAvailability"
    taken = http(
        "POST",
        check,
        {"name": "demoregistry", "type": "Microsoft.ContainerRegistry/registries"},
        **{"api-version": API},
    ).json()
    assert taken["nameAvailable"] is False and taken["reason"] == "AlreadyExists"
    free = http(
        "POST",
        check,
        {"name": "freshname", "type": "Microsoft.ContainerRegistry/registries"},
        **{"api-version": API},
    ).json()
    assert free == {"nameAvailable": True}


def test_role_assignment_rules(emu: Emulator) -> None:
    from tests.integration.emulator.helpers import assign_role, vault_id

    http = Http(emu)
    cs = create_credential_set(http)
    body = {
        "properties": {
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/"
            "4633458b-17de-408a-b874-0445c86b69e6",
            "principalId": cs["identity"]["principalId"],
        }
    }
    path = (
        f"{vault_id('demo-kv-rbac')}/providers/Microsoft.Authorization/roleAssignments/"
        "11111111-1111-1111-1111-111111111111"
    )
    assert _error(http("PUT", path, body, **{"api-version": "2022-04-01"})) == (400, "PrincipalNotFound")
    unknown = assign_role(
        http,
        vault_id("demo-kv-rbac"),
        cs["identity"]["principalId"],
        role="0b5fe924-9a61-425c-96af-cfe6e287ca2d",
    )
    assert _error(unknown) == (400, "RoleDefinitionDoesNotExist")


def test_vault_name_and_resource_filter(emu: Emulator) -> None:
    http = Http(emu)
    base = f"/subscriptions/{SUB}/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/"
    body = {"location": "westus", "properties": {"tenantId": "t", "sku": {"family": "A", "name": "standard"}}}
    assert _error(http("PUT", base + "kv", body, **{"api-version": "2023-07-01"})) == (
        400,
        "InvalidResourceName",
    )
    found = http(
        "GET",
        f"/subscriptions/{SUB}/resources",
        **{
            "api-version": "2021-04-01",
            "$filter": "resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'demo-kv'",
        },
    )
    assert [r["name"] for r in found.json()["value"]] == ["demo-kv"]
