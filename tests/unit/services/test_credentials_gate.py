"""Issue 7, items 2-4 and DELETE ?cleanup: the vault gate on every path, secrets checked before the first write,
the service's definite verdict ending the wait, Failed sets never reused, and cleanup of the app's own sets."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from shared.api.problems import status_of
from shared.domain.errors import (
    CredentialSetConflict,
    CredentialsRefused,
    ProvisioningFailed,
    ReferenceConflict,
    ValidationFailed,
)
from shared.domain.models import CacheRule
from shared.domain.requests import (
    CacheRuleSpec,
    parse_cache_rule,
    parse_credential_set,
    parse_credential_set_patch,
)
from tests.fakes.azure import FakeRegistries
from tests.unit.services.conftest import World, make_world


def _secrets(world: World, vault: str = "demo-kv", *, rbac: bool = False) -> dict[str, str]:
    if vault not in world.azure.vaults:
        world.azure.add_vault(vault, rbac=rbac)
    return {
        "usernameSecretUri": world.azure.add_secret(vault, "user"),
        "passwordSecretUri": world.azure.add_secret(vault, "pass"),
    }


def _rule(world: World, name: str = "ubuntu", **body: Any) -> CacheRuleSpec:
    request: dict[str, Any] = {"sourceRepository": f"docker.io/library/{name}", "targetRepository": name}
    request.update(body)
    return parse_cache_rule(request, name=name, rules=world.secret_rules)


def _named_set(world: World, name: str, vault: str) -> None:
    spec = parse_credential_set(
        {"loginServer": "docker.io", **_secrets(world, vault)}, name=name, rules=world.secret_rules
    )
    world.sets.put("demoregistry", spec)


# --- item 2: ALLOWED_VAULTS and the tenant on every path ----------------------------------------------------


@pytest.fixture
def fenced() -> World:
    """ALLOWED_VAULTS=demo-kv, and a set 'outside' (made by hand) whose secrets are in vault other-kv."""
    world = make_world(allowed_vaults=frozenset({"demo-kv"}))
    secrets = _secrets(world, "other-kv")
    FakeRegistries(world.azure).create_credential_set(
        world.azure.registries["demoregistry"],
        "outside",
        login_server="docker.io",
        username_uri=secrets["usernameSecretUri"],
        password_uri=secrets["passwordSecretUri"],
    )
    world.azure.writes.clear()
    return world


def _rule_on(world: World, set_name: str) -> None:
    """A rule already using ``set_name`` (made outside the app)."""
    registry = world.azure.registries["demoregistry"]
    world.azure.rules[("demoregistry", "ubuntu")] = CacheRule(
        id=f"{registry.id}/cacheRules/ubuntu",
        name="ubuntu",
        source_repository="docker.io/library/ubuntu",
        target_repository="ubuntu",
        credential_set_id=f"{registry.id}/credentialSets/{set_name}",
        provisioning_state="Succeeded",
    )


def test_a_rule_naming_a_set_in_a_vault_outside_the_list_is_refused_before_any_write(fenced: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        fenced.rules.put("demoregistry", _rule(fenced, credentialSet="outside"))

    assert "ALLOWED_VAULTS" in caught.value.errors[0].message
    assert fenced.azure.writes == []


def test_patching_a_rule_onto_such_a_set_is_refused(fenced: World) -> None:
    fenced.rules.put("demoregistry", _rule(fenced, credentials=_secrets(fenced)))
    fenced.azure.writes.clear()

    with pytest.raises(ValidationFailed):
        fenced.rules.patch("demoregistry", "ubuntu", "outside")

    assert fenced.azure.writes == []


def test_a_set_patch_keeping_a_secret_outside_the_list_is_refused(fenced: World) -> None:
    inside = _secrets(fenced)
    patch = parse_credential_set_patch(
        {"usernameSecretUri": inside["usernameSecretUri"]}, rules=fenced.secret_rules
    )

    with pytest.raises(ValidationFailed) as caught:
        fenced.sets.patch("demoregistry", "outside", patch)

    assert [e.field for e in caught.value.errors] == ["passwordSecretUri"]
    assert fenced.azure.writes == []


def test_validate_reports_the_vault_and_reads_no_secret_there(fenced: World) -> None:
    _rule_on(fenced, "outside")
    fenced.azure.secrets.clear()  # a read of them would report SecretMissing instead

    report = fenced.validation.validate(fenced.azure.registries["demoregistry"], "ubuntu")

    assert report.failure is not None and report.failure.code == "VaultNotAllowed"


def test_a_repeated_put_heals_no_grant_in_a_vault_outside_the_list(fenced: World) -> None:
    _rule_on(fenced, "outside")

    with pytest.raises(ValidationFailed):
        fenced.rules.put("demoregistry", _rule(fenced, credentialSet="outside"))

    assert fenced.azure.writes == []


def test_a_vault_in_another_tenant_is_refused_for_a_named_set(world: World) -> None:
    _named_set(world, "foreign", "foreign-kv")
    world.azure.vaults["foreign-kv"] = replace(world.azure.vaults["foreign-kv"], tenant_id="another-tenant")
    world.azure.writes.clear()

    with pytest.raises(ReferenceConflict) as caught:
        world.rules.put("demoregistry", _rule(world, credentialSet="foreign"))

    assert "tenant" in caught.value.errors[0].message and world.azure.writes == []


# --- item 3: secrets before the first write, the service's verdict after the grant ---------------------------


@pytest.mark.parametrize("broken", ["missing", "version", "disabled", "expired"])
def test_unusable_secrets_are_refused_before_any_write(world: World, broken: str) -> None:
    secrets = _secrets(world)
    if broken == "missing":
        secrets["passwordSecretUri"] = secrets["passwordSecretUri"].replace("/pass", "/nope")
    elif broken == "version":
        secrets["passwordSecretUri"] += "/" + "0" * 32
    else:
        world.azure.add_secret(
            "demo-kv", "pass", enabled=broken != "disabled", expires_on=500.0 if broken == "expired" else None
        )

    with pytest.raises(ReferenceConflict) as caught:
        world.rules.put("demoregistry", _rule(world, credentials=secrets))

    assert [e.field for e in caught.value.errors] == ["credentials.passwordSecretUri"]
    expected = {"missing": "SecretMissing", "version": "SecretMissing", "disabled": "SecretDisabled"}
    assert caught.value.errors[0].message.startswith(expected.get(broken, "SecretExpired"))
    assert world.azure.writes == []


def test_an_upstream_refusing_the_login_undoes_everything_and_says_why(world: World) -> None:
    world.azure.refused_logins.add("docker.io")

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", _rule(world, credentials=_secrets(world)))

    cause = caught.value.cause
    assert isinstance(cause, CredentialsRefused) and cause.code == "UpstreamAuthenticationFailed"
    assert status_of(caught.value) == 400
    assert caught.value.extensions["failedStep"] == "credentialHealth"
    assert world.azure.rules == {} and world.azure.sets == {}
    assert world.azure.vaults["demo-kv"].access_policies == ()


def test_a_missing_grant_on_an_access_policy_vault_is_not_waited_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.azure, "may_get", lambda vault, principal: False)

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", _rule(world, credentials=_secrets(world)))

    assert isinstance(caught.value.cause, CredentialsRefused) and world.azure.rules == {}


def test_a_role_assignment_still_propagating_gets_its_rule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = _secrets(world, rbac=True)
    world.azure.rbac_pending = True
    monkeypatch.setattr(type(world.rules.access), "verify", lambda self, credential_set: [])

    written = world.rules.put("demoregistry", _rule(world, credentials=secrets))

    assert written.created and ("demoregistry", "ubuntu") in world.azure.rules


# --- item 4: Failed sets -------------------------------------------------------------------------------------


def test_a_set_whose_provisioning_failed_is_deleted_on_rollback(world: World) -> None:
    world.azure.set_state = "Failed"

    with pytest.raises(ProvisioningFailed) as caught:
        world.rules.put("demoregistry", _rule(world, credentials=_secrets(world)))

    assert world.azure.sets == {}
    assert [r.split(":")[0] for r in caught.value.extensions["rolledBack"]] == ["credentialSet"]


def test_a_failed_set_left_behind_is_never_reused_but_replaced(world: World) -> None:
    secrets = _secrets(world)
    world.azure.set_state = "Failed"
    world.azure.fail("delete_credential_set")  # the earlier request could not clean up
    with pytest.raises(ProvisioningFailed):
        world.rules.put("demoregistry", _rule(world, credentials=secrets))
    (left,) = world.azure.sets.values()
    world.azure.set_state = "Succeeded"

    state = world.rules.put("demoregistry", _rule(world, credentials=secrets)).value

    assert state.credential_set is not None and state.credential_set.principal_id != left.principal_id
    assert state.credential_set.provisioning_state == "Succeeded"


def test_a_failed_set_a_user_named_is_a_conflict_not_reused(world: World) -> None:
    secrets = _secrets(world)
    world.azure.set_state = "Failed"
    world.azure.fail("delete_credential_set")
    with pytest.raises(ProvisioningFailed):
        world.rules.put("demoregistry", _rule(world, credentials={**secrets, "credentialSetName": "mine1"}))
    world.azure.set_state = "Succeeded"

    with pytest.raises(CredentialSetConflict):
        world.rules.put("demoregistry", _rule(world, credentials={**secrets, "credentialSetName": "mine1"}))


# --- DELETE ?cleanup=true --------------------------------------------------------------------------------------


def test_cleanup_removes_the_apps_own_unused_set_and_its_grant(world: World) -> None:
    world.rules.put("demoregistry", _rule(world, credentials=_secrets(world)))

    deleted = world.rules.delete("demoregistry", "ubuntu", cleanup=True)

    assert deleted.cleaned and deleted.kept_because is None
    assert world.azure.sets == {} and world.azure.vaults["demo-kv"].access_policies == ()


def test_cleanup_keeps_a_set_another_rule_uses_or_a_user_named(world: World) -> None:
    secrets = _secrets(world)
    world.rules.put("demoregistry", _rule(world, credentials=secrets))
    world.rules.put("demoregistry", _rule(world, "alpine", credentials=secrets))
    world.rules.put(
        "demoregistry", _rule(world, "debian", credentials={**secrets, "credentialSetName": "mine1"})
    )

    shared = world.rules.delete("demoregistry", "ubuntu", cleanup=True)
    named = world.rules.delete("demoregistry", "debian", cleanup=True)
    plain = world.rules.delete("demoregistry", "alpine")

    assert not shared.cleaned and "alpine" in (shared.kept_because or "")
    assert not named.cleaned and "not made by this app" in (named.kept_because or "")
    assert not plain.cleaned and len(world.azure.sets) == 2


def test_every_delete_patch_and_grant_removal_logs_a_structured_event(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = _secrets(world)
    world.rules.put("demoregistry", _rule(world, credentials=secrets))
    _named_set(world, "second-set", "demo-kv")
    with caplog.at_level(logging.INFO):
        world.rules.patch("demoregistry", "ubuntu", "second-set")
        world.rules.delete("demoregistry", "ubuntu", cleanup=True)
        world.sets.delete("demoregistry", "second-set")

    events = {r.__dict__.get("event"): r.__dict__ for r in caplog.records}
    assert events["CacheRuleUpdated"]["credentialSet"] == "second-set"
    assert events["CacheRuleDeleted"]["cacheRule"] == "ubuntu"
    assert events["CredentialSetKept"]["credentialSet"] == "second-set", "a set a user named stays on cleanup"
    assert events["CredentialSetDeleted"]["why"] == "DELETE"
    assert events["GrantRemoved"]["why"] == "credential set deleted"
    assert events["GrantRemoved"]["principalId"] == events["CredentialSetDeleted"]["principalId"]
