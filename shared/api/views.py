"""The JSON views the HTTP API answers with (DESIGN.md: "A rule view carries ..."), from domain results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.domain.models import CacheRule, CredentialHealth, CredentialSet, Registry
from shared.domain.results import (
    CredentialSetState,
    RegistrySummary,
    RuleDeleted,
    RuleState,
    ValidationReport,
)
from shared.state.audit import AuditEntry


def health_view(health: CredentialHealth) -> dict[str, Any]:
    return {"status": health.status, "errorCode": health.error_code, "errorMessage": health.error_message}


def credential_set_view(
    credential_set: CredentialSet, *, used_by: Sequence[str] | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": credential_set.name,
        "loginServer": credential_set.login_server,
        "usernameSecretUri": credential_set.username_secret_uri,
        "passwordSecretUri": credential_set.password_secret_uri,
        "principalId": credential_set.principal_id,
        "health": health_view(credential_set.health),
    }
    if used_by is not None:
        view["usedByCacheRules"] = sorted(used_by)
    return view


def rule_view(registry: Registry, rule: CacheRule, credential_set: CredentialSet | None) -> dict[str, Any]:
    return {
        "name": rule.name,
        "registry": registry.name,
        "id": rule.id,
        "sourceRepository": rule.source_repository,
        "targetRepository": rule.target_repository,
        "provisioningState": rule.provisioning_state,
        "credentialSet": credential_set_view(credential_set) if credential_set else None,
    }


def rule_state_view(state: RuleState) -> dict[str, Any]:
    return rule_view(state.registry, state.rule, state.credential_set)


def set_state_view(state: CredentialSetState) -> dict[str, Any]:
    return credential_set_view(state.credential_set, used_by=state.used_by)


def rule_list_view(states: Sequence[RuleState]) -> dict[str, Any]:
    return {"value": [rule_state_view(s) for s in states], "count": len(states)}


def set_list_view(states: Sequence[CredentialSetState]) -> dict[str, Any]:
    return {"value": [set_state_view(s) for s in states], "count": len(states)}


def validation_view(report: ValidationReport) -> dict[str, Any]:
    failed = report.failure
    return {
        "isValid": failed is None,
        "failure": {"check": failed.name, "code": failed.code, "message": failed.message} if failed else None,
        "checks": [
            {"name": c.name, "status": c.status, "code": c.code, "message": c.message} for c in report.checks
        ],
    }


def registry_list_view(summaries: Sequence[RegistrySummary]) -> dict[str, Any]:
    return {
        "value": [
            {
                "name": s.registry.name,
                "id": s.registry.id,
                "subscriptionId": s.registry.subscription_id,
                "resourceGroup": s.registry.resource_group,
                "loginServer": s.registry.login_server,
                "cacheRules": s.cache_rules,
            }
            for s in summaries
        ],
        "count": len(summaries),
    }


def rule_deleted_view(deleted: RuleDeleted) -> dict[str, Any]:
    return {
        "credentialSet": deleted.credential_set,
        "credentialSetDeleted": deleted.cleaned,
        "credentialSetKeptBecause": deleted.kept_because,
    }


def extension_view(value: Any) -> Any:
    """A problem's extension member: domain results become their views, plain JSON stays as it is."""
    if isinstance(value, RuleState):
        return rule_state_view(value)
    if isinstance(value, CredentialSetState):
        return set_state_view(value)
    if isinstance(value, CredentialSet):
        return credential_set_view(value)
    if isinstance(value, CredentialHealth):
        return health_view(value)
    return value


def audit_view(entries: Sequence[AuditEntry]) -> dict[str, Any]:
    return {
        "value": [
            {
                "time": datetime.fromtimestamp(e.time, tz=UTC).isoformat(),
                "cause": dict(e.cause),
                "action": e.action,
                "resource": e.resource,
                "before": dict(e.before) if e.before is not None else None,
                "after": dict(e.after) if e.after is not None else None,
            }
            for e in entries
        ],
        "count": len(entries),
    }
