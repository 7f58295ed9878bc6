"""``validate``: would a pull through this cache rule work? Like ECR's ValidatePullThroughCacheRule.

Reads metadata only (never a secret value) and reports every check it ran, so a failure says what to fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.domain.errors import FieldError, ReferenceConflict, ValidationFailed
from shared.domain.health import SecretState, Status, Verdict, judge_secret
from shared.domain.models import CredentialSet, Registry, SecretUri
from shared.domain.repositories import normalise_source
from shared.domain.results import FAILED, PASSED, SKIPPED, Check, ValidationReport
from shared.domain.secrets import SecretUriError, parse_secret_uri
from shared.domain.upstreams import CredentialPolicy, credential_policy
from shared.services.access import AccessService
from shared.services.ports import Registries, Vaults


class SecretChecks:
    """Metadata-only reads of the secrets a credential set names, judged by ``shared.domain.health``.

    ``validate`` reports them; writes call :meth:`require_usable` before their first write, so both refuse the
    same secrets for the same reasons.
    """

    def __init__(
        self,
        *,
        vaults: Vaults,
        dns_suffix: str,
        warn_seconds: float = 30 * 86400,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.vaults = vaults
        self.dns_suffix = dns_suffix
        self.warn_seconds = warn_seconds
        self.now = now

    def verdict(self, uri: SecretUri) -> Verdict:
        state = SecretState(
            uri=uri.uri,
            pinned_version=uri.version,
            versions=tuple(self.vaults.secret_versions(uri.vault, uri.name)),
        )
        return judge_secret(state, now=self.now(), warn_seconds=self.warn_seconds)

    def require_usable(self, *uris: tuple[str, SecretUri | str | None]) -> None:
        """Each ``(field, secret URI)`` exists (the pinned version too), is enabled and unexpired; else a 409
        ``ReferenceConflict``: the URI is well-formed, the secret's state is what stands in the way."""
        errors = []
        for field, uri in uris:
            if uri is None:
                continue
            parsed = uri if isinstance(uri, SecretUri) else parse_secret_uri(uri, dns_suffix=self.dns_suffix)
            verdict = self.verdict(parsed)
            if verdict.failing:
                errors.append(FieldError(field=field, message=f"{verdict.reason}: {verdict.message}"))
        if errors:
            raise ReferenceConflict(
                "The secrets cannot be used: the credentials would not work", errors=errors
            )


class ValidationService:
    def __init__(
        self, *, registries: Registries, secrets: SecretChecks, access: AccessService, dns_suffix: str
    ) -> None:
        self.registries = registries
        self.secrets = secrets
        self.access = access
        self.dns_suffix = dns_suffix

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
        vaults = self._vault_check(credential_set)
        checks.append(vaults)
        if vaults.status == FAILED:  # the app neither reads nor judges secrets in a vault it may not use
            return ValidationReport(checks=tuple(checks))
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
            verdict = self.secrets.verdict(parsed)
            if verdict.status is Status.HEALTHY:
                checks.append(
                    Check(name=label, status=PASSED, message=f"{uri}: enabled and within its validity")
                )
            else:
                checks.append(
                    Check(
                        name=label,
                        status=FAILED if verdict.failing else PASSED,
                        code=str(verdict.reason),
                        message=verdict.message,
                    )
                )
        return checks

    def _vault_check(self, credential_set: CredentialSet) -> Check:
        """The same gate as every write (``AccessService.check_vaults``), reported as a check."""
        try:
            self.access.check_set_vaults(credential_set, field="credentialSet")
        except (ValidationFailed, ReferenceConflict) as refused:
            return Check(
                name="vaultsAllowed",
                status=FAILED,
                code="VaultNotAllowed",
                message="; ".join(e.message for e in refused.errors),
            )
        return Check(
            name="vaultsAllowed", status=PASSED, message=", ".join(self.access.vault_names(credential_set))
        )

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
