"""What a create reads: each thing once (the vault, the secrets, the registry's sets and rules), and conflicts
found before anything is written."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from shared.domain.errors import CacheRuleConflict, CredentialSetConflict
from shared.domain.models import CredentialSet
from shared.domain.names import credential_set_name_for
from shared.domain.requests import CacheRuleSpec, parse_cache_rule
from tests.unit.services.conftest import World

READS = ("list_cache_rules", "get_credential_set", "list_credential_sets", "find_vault", "secret_versions")


@pytest.fixture
def reads(world: World, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of the read ports, by name, from here on (not the fake ARM's own reads inside a rule PUT)."""
    counted: Counter[str] = Counter()
    inside_put: list[bool] = []
    registries: Any = world.lookup.registries
    create = registries.create_cache_rule

    def put_rule(*args: Any, **kwargs: Any) -> Any:
        inside_put.append(True)
        try:
            return create(*args, **kwargs)
        finally:
            inside_put.pop()

    monkeypatch.setattr(registries, "create_cache_rule", put_rule)
    vaults = world.rules.access.vaults  # also the secrets checks' port
    ports = {"find_vault": vaults, "secret_versions": vaults}
    for name in READS:
        port: Any = ports.get(name, world.lookup.registries)
        inner = getattr(port, name)

        def counting(*args: Any, _inner: Any = inner, _name: str = name, **kwargs: Any) -> Any:
            if not inside_put:
                counted[_name] += 1
            return _inner(*args, **kwargs)

        monkeypatch.setattr(port, name, counting)
    return counted


def _creds(world: World, vault: str = "demo-kv", *, rbac: bool = False, user: str = "user") -> dict[str, str]:
    if vault not in world.azure.vaults:
        world.azure.add_vault(vault, rbac=rbac)
    return {
        "usernameSecretUri": world.azure.add_secret(vault, user),
        "passwordSecretUri": world.azure.add_secret(vault, "pass"),
    }


def _outside_set(world: World, name: str, creds: dict[str, str], *, principal: str) -> None:
    """A Succeeded Docker Hub set in demoregistry that someone else made (the app's fake ARM, not its ports)."""
    registry = world.azure.registries["demoregistry"]
    world.azure.sets[("demoregistry", name.lower())] = CredentialSet(
        id=f"{registry.id}/credentialSets/{name}",
        name=name,
        login_server="docker.io",
        username_secret_uri=creds["usernameSecretUri"],
        password_secret_uri=creds["passwordSecretUri"],
        principal_id=principal,
        tenant_id=None,
        provisioning_state="Succeeded",
    )


def _rule(world: World, name: str, target: str, creds: dict[str, str], source: str = "") -> CacheRuleSpec:
    body = {
        "sourceRepository": source or f"docker.io/library/{target}",
        "targetRepository": target,
        "credentials": creds,
    }
    return parse_cache_rule(body, name=name, rules=world.secret_rules)


@pytest.mark.parametrize("rbac", [False, True], ids=["access-policy", "rbac"])
def test_a_create_with_a_new_set_reads_the_vault_once_and_lists_the_rules_once(
    world: World, reads: Counter[str], rbac: bool
) -> None:
    world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", _creds(world, rbac=rbac)))

    # The sets listed (to reuse), the set's name under its lease, then the health verdict after the grant.
    assert reads == {
        "find_vault": 1,
        "secret_versions": 2,
        "list_credential_sets": 1,
        "get_credential_set": 2,
        "list_cache_rules": 1,
    }


def test_a_create_reusing_a_healthy_granted_set_lists_the_sets_and_rules_once_and_reads_no_set(
    world: World, reads: Counter[str]
) -> None:
    creds = _creds(world)
    world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", creds))
    reads.clear()

    state = world.rules.put("demoregistry", _rule(world, "alpine", "alpine", creds)).value

    assert state.credential_set is not None and state.credential_set.health.healthy
    assert reads == {"find_vault": 1, "secret_versions": 2, "list_credential_sets": 1, "list_cache_rules": 1}
    assert world.azure.writes[-1] == "create cacheRule alpine"


def test_a_set_of_another_name_holding_the_same_credentials_is_reused(world: World) -> None:
    """Any set whose login server and secret URIs match is reused, not only the app's own derived name."""
    creds = _creds(world)
    _outside_set(world, "team-dockerhub", creds, principal="p-team")

    state = world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", creds)).value

    assert state.credential_set is not None and state.credential_set.name == "team-dockerhub"
    assert not any(w.startswith("create credentialSet") for w in world.azure.writes)


def test_a_target_clash_on_a_reused_set_is_the_apps_conflict_with_no_write_attempted(
    world: World,
) -> None:
    creds = _creds(world)
    world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", creds))
    writes = list(world.azure.writes)

    with pytest.raises(CacheRuleConflict) as caught:
        world.rules.put("demoregistry", _rule(world, "ubuntu2", "ubuntu", creds))

    assert caught.value.extensions["conflictingRule"] == "ubuntu"
    assert world.azure.writes == writes


def test_a_target_clash_is_found_before_a_new_set_is_made(world: World, reads: Counter[str]) -> None:
    world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", _creds(world)))
    writes = list(world.azure.writes)
    reads.clear()

    with pytest.raises(CacheRuleConflict):
        world.rules.put("demoregistry", _rule(world, "ubuntu2", "ubuntu", _creds(world, user="other")))

    assert world.azure.writes == writes and reads["list_cache_rules"] == 1


def test_nested_wildcards_are_checked_up_front_as_arm_is_not_known_to_refuse_them(world: World) -> None:
    creds = _creds(world)
    world.rules.put("demoregistry", _rule(world, "hub-all", "hub/*", creds, source="docker.io/library/*"))
    writes = list(world.azure.writes)

    with pytest.raises(CacheRuleConflict) as caught:  # the fake ARM would accept it: the app's check refuses
        world.rules.put(
            "demoregistry", _rule(world, "hub-bitnami", "hub/bitnami/*", creds, source="docker.io/bitnami/*")
        )

    assert "nest" in caught.value.detail and world.azure.writes == writes


def test_a_set_at_the_apps_name_with_other_credentials_is_a_conflict_not_used(world: World) -> None:
    creds = _creds(world)
    name = credential_set_name_for("docker.io", creds["usernameSecretUri"], creds["passwordSecretUri"])
    _outside_set(world, name, _creds(world, user="someone"), principal="p-someone")

    with pytest.raises(CredentialSetConflict):
        world.rules.put("demoregistry", _rule(world, "ubuntu", "ubuntu", creds))

    assert world.azure.writes == []
