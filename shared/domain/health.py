"""Will a pull through this cache rule work? One verdict from facts already read, with no I/O.

The sweep, the event handlers and ``validate`` gather the same facts (the rule, its credential set with the service's
own health verdict, the secrets' metadata, the grants) in different ways; the judgement is made here once, so a rule
is never Healthy to one of them and Unhealthy to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.domain.models import CacheRule, CredentialSet, SecretMetadata


class Status(StrEnum):
    HEALTHY = "Healthy"
    WARNING = "Warning"
    UNHEALTHY = "Unhealthy"


class Reason(StrEnum):
    """Why a rule is not Healthy; the values are the contract's ``data.reason`` of a flag."""

    CREDENTIAL_UNHEALTHY = "CredentialUnhealthy"
    SECRET_MISSING = "SecretMissing"  # noqa: S105 (a name, not a password)
    SECRET_DISABLED = "SecretDisabled"  # noqa: S105 (a name, not a password)
    SECRET_EXPIRED = "SecretExpired"  # noqa: S105 (a name, not a password)
    SECRET_EXPIRING = "SecretExpiring"  # noqa: S105 (a name, not a password)
    ACCESS_MISSING = "AccessMissing"
    CREDENTIAL_SET_MISSING = "CredentialSetMissing"
    PROVISIONING_FAILED = "ProvisioningFailed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    status: Status
    reason: Reason | None
    message: str
    expires_on: float | None = None  # when the secret behind a SecretExpiring/SecretExpired verdict expires
    secret_uri: str | None = None  # the secret the verdict is about, when it is about one

    @property
    def failing(self) -> bool:
        return self.status is Status.UNHEALTHY


HEALTHY = Verdict(status=Status.HEALTHY, reason=None, message="a pull through this rule should work")


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretState:
    """What was read of one secret URI: the metadata of every version, newest first (never a value)."""

    uri: str
    pinned_version: str | None
    versions: tuple[SecretMetadata, ...]

    @property
    def current(self) -> SecretMetadata | None:
        """The version the registry reads: the pinned one, or the newest for a versionless URI."""
        if self.pinned_version is None:
            return self.versions[0] if self.versions else None
        pinned = self.pinned_version.lower()
        return next((v for v in self.versions if v.version.lower() == pinned), None)


def judge_secret(state: SecretState, *, now: float, warn_seconds: float) -> Verdict:
    current = state.current
    if current is None:
        missing = f"version {state.pinned_version}" if state.versions else "the secret"
        return _unhealthy(Reason.SECRET_MISSING, f"{state.uri}: {missing} does not exist", state.uri)
    if not current.enabled:
        return _unhealthy(
            Reason.SECRET_DISABLED, f"{state.uri}: version {current.version} is disabled", state.uri
        )
    expires = current.expires_on
    if expires is not None and expires <= now:
        return Verdict(
            status=Status.UNHEALTHY,
            reason=Reason.SECRET_EXPIRED,
            message=f"{state.uri}: version {current.version} has expired",
            expires_on=expires,
            secret_uri=state.uri,
        )
    if expires is not None and expires - now <= warn_seconds:
        days = (expires - now) / 86400
        return Verdict(
            status=Status.WARNING,
            reason=Reason.SECRET_EXPIRING,
            message=f"{state.uri}: version {current.version} expires in {days:.1f} days",
            expires_on=expires,
            secret_uri=state.uri,
        )
    return HEALTHY


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleFacts:
    """Everything a verdict on one rule depends on.

    ``credential_set`` is None both when the rule names none and when the set it names is gone (a dangling rule);
    ``rule.credential_set_name`` tells the two apart. ``vaults_without_grant`` lists the vaults where the set's identity
    lacks secret ``get``.
    """

    rule: CacheRule
    credentials_required: bool
    credential_set: CredentialSet | None = None
    secrets: Sequence[SecretState] = ()
    vaults_without_grant: Sequence[str] = ()


def judge_rule(facts: RuleFacts, *, now: float, warn_seconds: float) -> Verdict:
    """The first failure in the order an operator should fix them: the rule, the set, the secrets, access, service."""
    rule = facts.rule
    if rule.provisioning_state not in (None, "Succeeded", "Creating", "Updating"):
        return _unhealthy(Reason.PROVISIONING_FAILED, f"provisioningState is {rule.provisioning_state}")
    credential_set = facts.credential_set
    if credential_set is None:
        if rule.credential_set_name is not None:
            return _unhealthy(
                Reason.CREDENTIAL_SET_MISSING, f"credential set '{rule.credential_set_name}' does not exist"
            )
        if facts.credentials_required:
            return _unhealthy(
                Reason.CREDENTIAL_SET_MISSING, "the upstream requires credentials and the rule has none"
            )
        return HEALTHY
    if credential_set.provisioning_state not in (None, "Succeeded", "Creating", "Updating"):
        return _unhealthy(
            Reason.PROVISIONING_FAILED,
            f"credential set '{credential_set.name}' provisioningState is {credential_set.provisioning_state}",
        )
    secret_verdicts = [judge_secret(s, now=now, warn_seconds=warn_seconds) for s in facts.secrets]
    failing = next((v for v in secret_verdicts if v.failing), None)
    if failing is not None:
        return failing
    if facts.vaults_without_grant:
        vaults = ", ".join(facts.vaults_without_grant)
        return _unhealthy(
            Reason.ACCESS_MISSING,
            f"identity {credential_set.principal_id} of credential set '{credential_set.name}' "
            f"may not get secrets in vault(s) {vaults}",
        )
    health = credential_set.health
    if health.status not in ("Healthy", "Unknown"):
        detail = ": ".join(p for p in (health.error_code, health.error_message) if p)
        return _unhealthy(
            Reason.CREDENTIAL_UNHEALTHY,
            f"the registry reports credential set '{credential_set.name}' {health.status}"
            + (f" ({detail})" if detail else ""),
        )
    warnings = [v for v in secret_verdicts if v.status is Status.WARNING]
    if warnings:
        return min(warnings, key=lambda v: v.expires_on or 0.0)
    return HEALTHY


def _unhealthy(reason: Reason, message: str, secret_uri: str | None = None) -> Verdict:
    return Verdict(status=Status.UNHEALTHY, reason=reason, message=message, secret_uri=secret_uri)
