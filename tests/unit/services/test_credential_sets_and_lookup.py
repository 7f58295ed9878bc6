"""Credential-set writes, the registry lookup (name, resource ID, subscription) and validate, against fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.domain.errors import (
    CredentialSetConflict,
    CredentialSetInUse,
    RegistryNotFound,
    ValidationFailed,
)
from shared.domain.requests import CredentialSetSpec, parse_cache_rule, parse_credential_set
from tests.fakes.azure import SUB
from tests.unit.services.conftest import World


def _set_spec(
    world: World, *, login: str = "docker.io", user: str = "user", rbac: bool = False
) -> CredentialSetSpec:
    if "demo-kv" not in world.azure.vaults:
        world.azure.add_vault("demo-kv", rbac=rbac)
    body = {
        "loginServer": login,
        "usernameSecretUri": world.azure.add_secret("demo-kv", user),
        "passwordSecretUri": world.azure.add_secret("demo-kv", "pass"),
    }
    return parse_credential_set(body, name="docker-set", rules=world.secret_rules)


def test_put_creates_then_updates_in_place(world: World) -> None:
    created = world.sets.put("demoregistry", _set_spec(world))
    principal = created.value.credential_set.principal_id

    updated = world.sets.put("demoregistry", _set_spec(world, user="user2"))

    assert created.created and not updated.created
    assert updated.value.credential_set.username_secret_uri.endswith("/user2")
    assert updated.value.credential_set.principal_id == principal
    assert updated.value.credential_set.health.healthy
    assert updated.value.used_by == ()


def test_put_with_another_login_server_is_a_conflict(world: World) -> None:
    world.sets.put("demoregistry", _set_spec(world))
    with pytest.raises(CredentialSetConflict):
        world.sets.put("demoregistry", _set_spec(world, login="ghcr.io"))


def test_delete_refuses_while_rules_use_it_then_removes_set_and_grant(world: World) -> None:
    made = world.sets.put("demoregistry", _set_spec(world, rbac=True)).value.credential_set
    rule = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/ubuntu",
            "targetRepository": "ubuntu",
            "credentialSet": made.name,
        },
        name="ubuntu",
        rules=world.secret_rules,
    )
    world.rules.put("demoregistry", rule)

    with pytest.raises(CredentialSetInUse) as caught:
        world.sets.delete("demoregistry", made.name)
    assert caught.value.extensions["cacheRules"] == ["ubuntu"]

    world.rules.delete("demoregistry", "ubuntu")
    world.sets.delete("demoregistry", made.name)
    assert world.azure.sets == {} and world.azure.assignments == {}


def test_lookup_by_name_by_resource_id_and_by_subscription(world: World) -> None:
    other = world.azure.add_registry("otherregistry", subscription_id="sub-2")
    registry = world.lookup.registry("demoregistry")

    assert world.lookup.registry(registry.id) == registry
    assert world.lookup.registry(registry.id.upper() + "/cacheRules/ubuntu") == registry
    assert world.lookup.in_subscription(SUB) == [registry]
    assert world.lookup.in_subscription("SUB-2") == [other]


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        ("no", ValidationFailed),
        ("missingregistry", RegistryNotFound),
        (
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/demoregistry",
            ValidationFailed,
        ),
        (
            "/subscriptions/other/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/demoregistry",
            RegistryNotFound,
        ),
    ],
)
def test_lookup_refuses_bad_names_and_ids_outside_the_managed_registries(
    world: World, ref: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        world.lookup.registry(ref)


def test_validate_reports_a_removed_grant_and_an_expired_secret(world: World) -> None:
    made = world.sets.put("demoregistry", _set_spec(world)).value.credential_set
    rule = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/ubuntu",
            "targetRepository": "ubuntu",
            "credentialSet": made.name,
        },
        name="ubuntu",
        rules=world.secret_rules,
    )
    world.rules.put("demoregistry", rule)
    registry = world.lookup.registry("demoregistry")
    assert world.validation.validate(registry, "ubuntu").is_valid

    world.azure.vaults["demo-kv"] = replace(world.azure.vaults["demo-kv"], access_policies=())
    world.azure.add_secret("demo-kv", "pass", expires_on=10.0)
    report = world.validation.validate(registry, "ubuntu")

    failed = {c.code for c in report.checks if c.status == "Failed"}
    assert not report.is_valid
    assert {"AccessMissing", "SecretExpired", "CredentialUnhealthy"} <= failed


def test_registries_are_listed_by_name_with_their_rule_counts(world: World) -> None:
    world.azure.add_registry("anotherreg")
    world.azure.add_vault("demo-kv")
    user, password = world.azure.add_secret("demo-kv", "user"), world.azure.add_secret("demo-kv", "pass")
    for target in ("ubuntu", "alpine"):
        spec = parse_cache_rule(
            {
                "sourceRepository": f"docker.io/library/{target}",
                "targetRepository": target,
                "credentials": {"usernameSecretUri": user, "passwordSecretUri": password},
            },
            name=target,
            rules=world.secret_rules,
        )
        world.rules.put("demoregistry", spec)

    summaries = world.reads.registry_summaries()

    assert [(s.registry.name, s.cache_rules) for s in summaries] == [("anotherreg", 0), ("demoregistry", 2)]
