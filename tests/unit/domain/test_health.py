"""One verdict per rule from facts: the failure an operator should fix first, warnings only when nothing fails."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.domain.health import (
    HEALTHY,
    Reason,
    RuleFacts,
    SecretState,
    Status,
    judge_rule,
    judge_secret,
)
from shared.domain.models import CacheRule, CredentialHealth, CredentialSet, SecretMetadata

NOW = 1_800_000_000.0
DAY = 86400.0
WARN = 30 * DAY
REG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/reg1"
USER = "https://kv.vault.azure.net/secrets/user"
PASS = "https://kv.vault.azure.net/secrets/pass"


def version(
    v: str, *, enabled: bool = True, exp: float | None = None, created: float = NOW - DAY
) -> SecretMetadata:
    return SecretMetadata(
        vault="kv",
        name="user",
        version=v,
        enabled=enabled,
        not_before=None,
        expires_on=exp,
        created_on=created,
    )


def rule(*, credential_set: str | None = "creds", state: str | None = "Succeeded") -> CacheRule:
    return CacheRule(
        id=f"{REG}/cacheRules/ubuntu",
        name="ubuntu",
        source_repository="docker.io/library/ubuntu",
        target_repository="ubuntu",
        credential_set_id=f"{REG}/credentialSets/{credential_set}" if credential_set else None,
        provisioning_state=state,
    )


def creds(
    *, status: str = "Healthy", code: str | None = None, state: str | None = "Succeeded"
) -> CredentialSet:
    return CredentialSet(
        id=f"{REG}/credentialSets/creds",
        name="creds",
        login_server="docker.io",
        username_secret_uri=USER,
        password_secret_uri=PASS,
        principal_id="p-1",
        tenant_id="t",
        health=CredentialHealth(status=status, error_code=code, error_message="msg" if code else None),
        provisioning_state=state,
    )


def secrets(
    *, user: tuple[SecretMetadata, ...] = (version("a" * 32),), pinned: str | None = None
) -> list[SecretState]:
    return [
        SecretState(uri=USER, pinned_version=pinned, versions=user),
        SecretState(uri=PASS, pinned_version=None, versions=(version("b" * 32),)),
    ]


def facts(**changes: object) -> RuleFacts:
    base = RuleFacts(rule=rule(), credentials_required=True, credential_set=creds(), secrets=secrets())
    return replace(base, **changes)  # type: ignore[arg-type]


def verdict(f: RuleFacts):  # type: ignore[no-untyped-def]
    return judge_rule(f, now=NOW, warn_seconds=WARN)


def test_a_rule_whose_facts_all_hold_is_healthy() -> None:
    assert verdict(facts()) == HEALTHY


@pytest.mark.parametrize(
    ("f", "reason"),
    [
        (facts(rule=rule(state="Failed")), Reason.PROVISIONING_FAILED),
        (facts(credential_set=creds(state="Failed")), Reason.PROVISIONING_FAILED),
        (facts(credential_set=None), Reason.CREDENTIAL_SET_MISSING),
        (facts(rule=rule(credential_set=None), credential_set=None), Reason.CREDENTIAL_SET_MISSING),
        (facts(secrets=secrets(user=())), Reason.SECRET_MISSING),
        (facts(secrets=secrets(pinned="c" * 32)), Reason.SECRET_MISSING),
        (facts(secrets=secrets(user=(version("a" * 32, enabled=False),))), Reason.SECRET_DISABLED),
        (facts(secrets=secrets(user=(version("a" * 32, exp=NOW - 1),))), Reason.SECRET_EXPIRED),
        (facts(vaults_without_grant=("kv",)), Reason.ACCESS_MISSING),
        (facts(credential_set=creds(status="Unhealthy", code="Forbidden")), Reason.CREDENTIAL_UNHEALTHY),
    ],
)
def test_each_failure_has_its_contract_reason(f: RuleFacts, reason: Reason) -> None:
    result = verdict(f)
    assert (result.status, result.reason) == (Status.UNHEALTHY, reason)
    assert result.failing


def test_a_rule_without_credentials_on_an_optional_upstream_is_healthy() -> None:
    assert (
        verdict(facts(rule=rule(credential_set=None), credential_set=None, credentials_required=False))
        == HEALTHY
    )


def test_the_service_verdict_names_its_own_error() -> None:
    result = verdict(facts(credential_set=creds(status="Unhealthy", code="Forbidden")))
    assert "Forbidden" in result.message and "Unhealthy" in result.message


def test_a_failing_secret_outranks_a_missing_grant_and_the_service_verdict() -> None:
    f = facts(
        secrets=secrets(user=(version("a" * 32, enabled=False),)),
        vaults_without_grant=("kv",),
        credential_set=creds(status="Unhealthy", code="Forbidden"),
    )
    assert verdict(f).reason is Reason.SECRET_DISABLED


def test_a_missing_grant_outranks_the_service_verdict_it_explains() -> None:
    f = facts(vaults_without_grant=("kv",), credential_set=creds(status="Unhealthy", code="Forbidden"))
    assert verdict(f).reason is Reason.ACCESS_MISSING


def test_an_expiring_secret_is_a_warning_with_its_expiry_unless_something_fails() -> None:
    soon = NOW + 3 * DAY
    f = facts(secrets=secrets(user=(version("a" * 32, exp=soon),)))
    result = verdict(f)
    assert (result.status, result.reason, result.expires_on, result.secret_uri) == (
        Status.WARNING,
        Reason.SECRET_EXPIRING,
        soon,
        USER,
    )
    assert not result.failing
    assert verdict(replace(f, vaults_without_grant=("kv",))).reason is Reason.ACCESS_MISSING


def test_the_nearest_expiry_is_the_warning() -> None:
    f = facts(
        secrets=[
            SecretState(uri=USER, pinned_version=None, versions=(version("a" * 32, exp=NOW + 20 * DAY),)),
            SecretState(uri=PASS, pinned_version=None, versions=(version("b" * 32, exp=NOW + 2 * DAY),)),
        ]
    )
    assert verdict(f).secret_uri == PASS


def test_expiry_beyond_the_warning_window_is_healthy() -> None:
    assert verdict(facts(secrets=secrets(user=(version("a" * 32, exp=NOW + WARN + 1),)))) == HEALTHY


def test_a_versionless_uri_follows_the_newest_version_and_a_pinned_one_stays() -> None:
    newest_disabled = (version("n" * 32, enabled=False), version("o" * 32))
    assert (
        judge_secret(
            SecretState(uri=USER, pinned_version=None, versions=newest_disabled), now=NOW, warn_seconds=WARN
        ).reason
        is Reason.SECRET_DISABLED
    )
    assert (
        judge_secret(
            SecretState(uri=USER, pinned_version="O" * 32, versions=newest_disabled),
            now=NOW,
            warn_seconds=WARN,
        )
        == HEALTHY
    )


def test_a_rule_still_being_created_is_not_a_provisioning_failure() -> None:
    assert verdict(facts(rule=rule(state="Creating"))) == HEALTHY
