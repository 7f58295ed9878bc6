"""Rule writes against fakes: create, reuse, grant in both vault models, conflicts, and rollback at each step."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.errors import (
    AzureRejected,
    CacheRuleConflict,
    CredentialSetConflict,
    ProvisioningFailed,
    ReferenceConflict,
)
from shared.domain.requests import CacheRuleSpec, parse_cache_rule, parse_credential_set
from shared.domain.results import RuleState
from tests.unit.services.conftest import World


def _spec(world: World, *, rbac: bool = False, name: str = "ubuntu", **body: Any) -> CacheRuleSpec:
    if "demo-kv" not in world.azure.vaults:
        world.azure.add_vault("demo-kv", rbac=rbac)
    user, password = world.azure.add_secret("demo-kv", "user"), world.azure.add_secret("demo-kv", "pass")
    request: dict[str, Any] = {
        "sourceRepository": "docker.io/library/ubuntu",
        "targetRepository": "ubuntu",
        "credentials": {"usernameSecretUri": user, "passwordSecretUri": password},
    }
    request.update(body)
    return parse_cache_rule(request, name=name, rules=world.secret_rules)


@pytest.mark.parametrize("rbac", [False, True], ids=["access-policy", "rbac"])
def test_create_provisions_set_grant_and_rule_in_the_vaults_model(world: World, rbac: bool) -> None:
    written = world.rules.put("demoregistry", _spec(world, rbac=rbac))

    assert written.created
    state = written.value
    assert isinstance(state, RuleState)
    assert state.rule.name == "ubuntu" and state.rule.target_repository == "ubuntu"
    assert state.credential_set is not None and state.credential_set.health.healthy
    grant = "create roleAssignment demo-kv" if rbac else "add accessPolicy demo-kv"
    assert world.azure.writes == [
        f"create credentialSet {state.credential_set.name}",
        grant,
        "create cacheRule ubuntu",
    ]
    assert bool(world.azure.assignments) is rbac
    assert bool(world.azure.vaults["demo-kv"].access_policies) is not rbac


def test_the_same_put_again_finds_it_as_asked_and_writes_nothing(world: World) -> None:
    spec = _spec(world)
    world.rules.put("demoregistry", spec)
    before = list(world.azure.writes)

    again = world.rules.put("demoregistry", spec)

    assert not again.created
    assert world.azure.writes == before


def test_a_second_rule_with_the_same_credentials_reuses_the_set(world: World) -> None:
    first = world.rules.put("demoregistry", _spec(world)).value
    assert first.credential_set is not None
    creds = {
        "usernameSecretUri": first.credential_set.username_secret_uri,
        "passwordSecretUri": first.credential_set.password_secret_uri,
    }
    spec = parse_cache_rule(
        {"sourceRepository": "docker.io/library/alpine", "targetRepository": "alpine", "credentials": creds},
        name="alpine",
        rules=world.secret_rules,
    )

    second = world.rules.put("demoregistry", spec).value

    assert second.credential_set is not None and second.credential_set.id == first.credential_set.id
    assert [w for w in world.azure.writes if w.startswith("create credentialSet")] == [
        f"create credentialSet {first.credential_set.name}"
    ]


def test_a_rule_that_exists_differently_is_a_conflict_carrying_the_existing_state(world: World) -> None:
    made = world.rules.put("demoregistry", _spec(world)).value.credential_set
    assert made is not None
    other = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/debian",
            "targetRepository": "ubuntu",
            "credentialSet": made.name,
        },
        name="ubuntu",
        rules=world.secret_rules,
    )

    with pytest.raises(CacheRuleConflict) as caught:
        world.rules.put("demoregistry", other)

    existing = caught.value.extensions["existing"]
    assert isinstance(existing, RuleState) and existing.rule.source_repository == "docker.io/library/ubuntu"


def test_a_named_set_with_other_credentials_is_refused_before_any_write(world: World) -> None:
    world.rules.put("demoregistry", _spec(world))
    made = next(iter(world.azure.sets.values()))
    writes = list(world.azure.writes)
    other_user = world.azure.add_secret("demo-kv", "other-user")
    spec = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/alpine",
            "targetRepository": "alpine",
            "credentials": {
                "usernameSecretUri": other_user,
                "passwordSecretUri": made.password_secret_uri,
                "credentialSetName": made.name,
            },
        },
        name="alpine",
        rules=world.secret_rules,
    )

    with pytest.raises(CredentialSetConflict):
        world.rules.put("demoregistry", spec)
    assert world.azure.writes == writes


def test_a_vault_outside_the_managed_subscriptions_is_a_reference_conflict(world: World) -> None:
    """The URIs are well-formed for this cloud: the vault's absence, not the request, stands in the way (409)."""
    world.azure.add_vault("demo-kv")
    spec = parse_cache_rule(
        {
            "sourceRepository": "docker.io/library/ubuntu",
            "targetRepository": "ubuntu",
            "credentials": {
                "usernameSecretUri": "https://elsewhere.vault.azure.net/secrets/u",
                "passwordSecretUri": "https://elsewhere.vault.azure.net/secrets/p",
            },
        },
        name="ubuntu",
        rules=world.secret_rules,
    )

    with pytest.raises(ReferenceConflict) as caught:
        world.rules.put("demoregistry", spec)
    assert {e.field for e in caught.value.errors} == {
        "credentials.usernameSecretUri",
        "credentials.passwordSecretUri",
    }
    assert world.azure.writes == []


@pytest.mark.parametrize(
    ("operation", "step", "undone"),
    [
        ("create_credential_set", "credentialSet", []),
        ("add_secret_get_policy", "grant", ["credentialSet:"]),
        ("create_cache_rule", "cacheRule", ["accessPolicy:demo-kv", "credentialSet:"]),
    ],
)
def test_a_failing_step_undoes_what_came_before(
    world: World, operation: str, step: str, undone: list[str]
) -> None:
    spec = _spec(world)
    world.azure.fail(operation)

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    failure = caught.value
    assert failure.extensions["failedStep"] == step
    assert [
        w.split(":")[0] + ":" if w.startswith("credentialSet:") else w
        for w in failure.extensions["rolledBack"]
    ] == undone
    assert failure.extensions["notRolledBack"] == []
    assert failure.retryable, "Azure answered 500: a retry may succeed"
    assert world.azure.sets == {} and world.azure.rules == {}
    assert world.azure.vaults["demo-kv"].access_policies == ()


def test_a_grant_that_never_shows_fails_verification_and_is_undone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(world, rbac=True)
    monkeypatch.setattr(world.azure, "may_get", lambda vault, principal: False)
    monkeypatch.setattr(type(world.rules.access), "has_grant", lambda self, vault, principal: False)

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    assert caught.value.extensions["failedStep"] == "verifyGrant"
    assert world.azure.assignments == {} and world.azure.sets == {}


def test_a_rule_left_failed_by_azure_is_deleted_with_the_rest(world: World) -> None:
    spec = _spec(world)
    world.azure.rule_state = "Failed"

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    assert caught.value.extensions["rolledBack"][0] == "cacheRule:ubuntu"
    assert world.azure.rules == {} and world.azure.sets == {}


def test_an_azure_refusal_at_write_time_is_a_client_failure_with_its_code(world: World) -> None:
    spec = _spec(world)
    world.azure.fail(
        "create_cache_rule",
        AzureRejected("taken", http_status=409, code="TargetRepositoryAlreadyPresentInRegistry"),
    )

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", spec)

    assert not caught.value.retryable
    assert caught.value.extensions["azureErrorCode"] == "TargetRepositoryAlreadyPresentInRegistry"


def test_patch_grants_the_new_set_before_pointing_the_rule_at_it(world: World) -> None:
    world.rules.put("demoregistry", _spec(world))
    user, password = world.azure.add_secret("demo-kv", "u2"), world.azure.add_secret("demo-kv", "p2")

    world.sets.put(
        "demoregistry",
        parse_credential_set(
            {"loginServer": "docker.io", "usernameSecretUri": user, "passwordSecretUri": password},
            name="second-set",
            rules=world.secret_rules,
        ),
    )

    state = world.rules.patch("demoregistry", "ubuntu", "second-set")

    assert state.rule.credential_set_name == "second-set"
    assert state.credential_set is not None and state.credential_set.health.healthy


def test_patch_refuses_to_drop_credentials_an_upstream_requires(world: World) -> None:
    world.rules.put("demoregistry", _spec(world))

    with pytest.raises(CacheRuleConflict) as caught:
        world.rules.patch("demoregistry", "ubuntu", None)
    assert [e.field for e in caught.value.errors] == ["credentialSet"]
