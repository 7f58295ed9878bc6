"""``validate``: would a pull through this cache rule work? Like ECR's ValidatePullThroughCacheRule.

Reads metadata only (never a secret value) and reports every check it ran, so a failure says what to fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.domain.models import CredentialSet, Registry, SecretMetadata
from shared.domain.repositories import normalise_source
from shared.domain.results import FAILED, PASSED, SKIPPED, Check, ValidationReport
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.domain.upstreams import CredentialPolicy, credential_policy
from shared.services.access import AccessService
from shared.services.ports import Registries, Vaults


def secret_problem(versions: list[SecretMetadata], pinned: str | None, now: float) -> tuple[str, str] | None:
    """(code, message) when the secret the URI resolves to is unusable; versionless means the newest version."""
    if not versions:
        return "SecretMissing", "the secret does not exist"
    current = (
        next((v for v in versions if v.version.lower() == pinned.lower()), None) if pinned else versions[0]
    )
    if current is None:
        return "SecretMissing", f"version {pinned} does not exist"
    if not current.enabled:
        return "SecretDisabled", f"version {current.version} is disabled"
    if current.expires_on is not None and current.expires_on <= now:
        return "SecretExpired", f"version {current.version} expired"
    if current.not_before is not None and current.not_before > now:
        return "SecretNotYetValid", f"version {current.version} is not valid yet"
    return None


class ValidationService:
    def __init__(
        self,
        *,
        registries: Registries,
        vaults: Vaults,
        access: AccessService,
        dns_suffix: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.registries = registries
        self.vaults = vaults
        self.access = access
        self.dns_suffix = dns_suffix
        self.now = now

    def validate(self, registry: Registry, rule_name: str) -> ValidationReport:
        checks: list[Check] = []
        rule = self.registries.get_cache_rule(registry, rule_name)
        if rule is None:
            checks.append(
                Check(name="ruleExists", status=FAILED, code="CacheRuleMissing", message="no such cache rule")
            )
            return ValidationReport(checks=tuple(checks))
        checks.append(
            Check(
                name="ruleExists",
                status=PASSED,
                message=f"{rule.source_repository} -> {rule.target_repository}",
            )
        )
        if rule.provisioning_state not in (None, "Succeeded"):
            checks.append(
                Check(
                    name="ruleProvisioned",
                    status=FAILED,
                    code="ProvisioningFailed",
                    message=f"provisioningState is {rule.provisioning_state}",
                )
            )
        policy = credential_policy(normalise_source(rule.source_repository).login_server)
        if rule.credential_set_name is None:
            if policy is CredentialPolicy.REQUIRED:
                checks.append(
                    Check(
                        name="credentialSetExists",
                        status=FAILED,
                        code="CredentialSetMissing",
                        message="the upstream requires credentials and the rule has no credential set",
                    )
                )
            else:
                checks.append(
                    Check(name="credentialSetExists", status=SKIPPED, message="the rule uses no credentials")
                )
            return ValidationReport(checks=tuple(checks))
        credential_set = self.registries.get_credential_set(registry, rule.credential_set_name)
        if credential_set is None:
            checks.append(
                Check(
                    name="credentialSetExists",
                    status=FAILED,
                    code="CredentialSetMissing",
                    message=f"credential set '{rule.credential_set_name}' does not exist",
                )
            )
            return ValidationReport(checks=tuple(checks))
        checks.append(Check(name="credentialSetExists", status=PASSED, message=credential_set.name))
        checks.extend(self._secret_checks(credential_set))
        checks.extend(self._grant_checks(credential_set))
        health = credential_set.health
        checks.append(
            Check(
                name="credentialHealth",
                status=PASSED if health.healthy else FAILED,
                code=None if health.healthy else "CredentialUnhealthy",
                message=health.status
                + (
                    f": {health.error_code}: {health.error_message}"
                    if health.error_code or health.error_message
                    else ""
                ),
            )
        )
        return ValidationReport(checks=tuple(checks))

    def _secret_checks(self, credential_set: CredentialSet) -> list[Check]:
        checks = []
        for label, uri in (
            ("usernameSecret", credential_set.username_secret_uri),
            ("passwordSecret", credential_set.password_secret_uri),
        ):
            try:
                parsed = parse_secret_uri(uri, dns_suffix=self.dns_suffix)
            except SecretUriError as exc:
                checks.append(Check(name=label, status=FAILED, code="SecretMissing", message=f"{uri}: {exc}"))
                continue
            problem = secret_problem(
                self.vaults.secret_versions(parsed.vault, parsed.name), parsed.version, self.now()
            )
            if problem:
                checks.append(
                    Check(name=label, status=FAILED, code=problem[0], message=f"{uri}: {problem[1]}")
                )
            else:
                checks.append(
                    Check(name=label, status=PASSED, message=f"{uri}: enabled and within its validity")
                )
        return checks

    def _grant_checks(self, credential_set: CredentialSet) -> list[Check]:
        return [
            Check(
                name="grant",
                status=PASSED if grant.present else FAILED,
                code=None if grant.present else "AccessMissing",
                message=f"vault '{grant.vault}' ({grant.model}): "
                + (
                    "identity may get secrets"
                    if grant.present
                    else f"identity {credential_set.principal_id} has no secret get"
                ),
            )
            for grant in self.access.check(credential_set)
        ]
