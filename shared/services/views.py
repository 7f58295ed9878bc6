"""The JSON views the HTTP API answers with (DESIGN.md: "A rule view carries ...")."""

from __future__ import annotations

from typing import Any

from shared.domain.models import CacheRule, CredentialSet, Registry


def credential_set_view(credential_set: CredentialSet, *, used_by: list[str] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": credential_set.name,
        "loginServer": credential_set.login_server,
        "usernameSecretUri": credential_set.username_secret_uri,
        "passwordSecretUri": credential_set.password_secret_uri,
        "principalId": credential_set.principal_id,
        "health": credential_set.health.to_json(),
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
