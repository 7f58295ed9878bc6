"""Every Azure change the app makes is recorded with its cause: the ports are wrapped, so no write escapes it.

The cause is set once per unit of work (:func:`caused_by`: an HTTP request, an event) and read by the wrappers;
the identifiers before a change come from what the same unit of work last read of that resource (no extra call).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from shared.domain.models import CacheRule, CredentialSet, Registry, RoleAssignment, SecretMetadata, Vault
from shared.logs import event
from shared.services.ports import Registries, RegistriesDecorator, Roles, Vaults
from shared.state.audit import AuditEntry, AuditLog, Identifiers

log = logging.getLogger(__name__)

_cause: ContextVar[Identifiers | None] = ContextVar("audit_cause", default=None)
_seen: ContextVar[dict[str, Identifiers] | None] = ContextVar("audit_seen", default=None)


@contextmanager
def caused_by(cause: Identifiers) -> Iterator[None]:
    cause_token = _cause.set(dict(cause))
    seen_token = _seen.set({})
    try:
        yield
    finally:
        _cause.reset(cause_token)
        _seen.reset(seen_token)


def http_cause(method: str, path: str, principal_header: str | None) -> Identifiers:
    """The HTTP caller: its Entra ID object ID and name from the (platform-vouched) client principal, if any."""
    claims: dict[str, str] = {}
    if principal_header:
        try:
            principal: Any = json.loads(base64.b64decode(principal_header, validate=False))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            principal = None
        for claim in principal.get("claims") or [] if isinstance(principal, dict) else []:
            if isinstance(claim, dict) and isinstance(claim.get("typ"), str):
                claims.setdefault(str(claim["typ"]), str(claim.get("val")))
    return {
        "kind": "http",
        "request": f"{method} {path}",
        "principalId": claims.get("http://schemas.microsoft.com/identity/claims/objectidentifier")
        or claims.get("oid"),
        "principalName": claims.get("name") or claims.get("preferred_username"),
    }


def _set_ids(cs: CredentialSet) -> Identifiers:
    return {
        "principalId": cs.principal_id,
        "usernameSecretUri": cs.username_secret_uri,
        "passwordSecretUri": cs.password_secret_uri,
    }


def _rule_ids(rule: CacheRule) -> Identifiers:
    return {
        "sourceRepository": rule.source_repository,
        "targetRepository": rule.target_repository,
        "credentialSetId": rule.credential_set_id,
    }


class Auditor:
    def __init__(self, log_: AuditLog, *, clock: Callable[[], float] = time.time) -> None:
        self.log = log_
        self.clock = clock

    def saw(self, resource_id: str, ids: Identifiers) -> None:
        seen = _seen.get()
        if seen is not None:
            seen[resource_id.lower()] = ids

    def record(self, action: str, resource: str, after: Identifiers | None) -> None:
        """Append one entry; a failure to write it is logged, never raised (the change itself happened)."""
        seen = _seen.get()
        before = seen.get(resource.lower()) if seen is not None else None
        entry = AuditEntry(
            time=self.clock(),
            cause=_cause.get() or {"kind": "unknown"},
            action=action,
            resource=resource,
            before=before,
            after=after,
        )
        if seen is not None and after is not None:
            seen[resource.lower()] = after
        try:
            self.log.append(entry)
        except Exception:  # the audit table being down must not undo or hide a change already made
            event(log, logging.ERROR, "AuditNotWritten", exc_info=True, action=action, resource=resource)


class AuditedRegistries(RegistriesDecorator):
    def __init__(self, inner: Registries, auditor: Auditor) -> None:
        super().__init__(inner)
        self.auditor = auditor

    def get_cache_rule(self, registry: Registry, name: str) -> CacheRule | None:
        found = self.inner.get_cache_rule(registry, name)
        if found is not None:
            self.auditor.saw(found.id, _rule_ids(found))
        return found

    def create_cache_rule(
        self, registry: Registry, name: str, *, source: str, target: str, credential_set_id: str | None
    ) -> CacheRule:
        made = self.inner.create_cache_rule(
            registry, name, source=source, target=target, credential_set_id=credential_set_id
        )
        self.auditor.record("cacheRule.create", made.id, _rule_ids(made))
        return made

    def set_cache_rule_credential_set(
        self, registry: Registry, name: str, credential_set_id: str | None
    ) -> CacheRule:
        updated = self.inner.set_cache_rule_credential_set(registry, name, credential_set_id)
        self.auditor.record("cacheRule.update", updated.id, _rule_ids(updated))
        return updated

    def delete_cache_rule(self, registry: Registry, name: str) -> None:
        self.inner.delete_cache_rule(registry, name)
        self.auditor.record("cacheRule.delete", f"{registry.id}/cacheRules/{name}", None)

    def get_credential_set(self, registry: Registry, name: str) -> CredentialSet | None:
        found = self.inner.get_credential_set(registry, name)
        if found is not None:
            self.auditor.saw(found.id, _set_ids(found))
        return found

    def create_credential_set(
        self, registry: Registry, name: str, *, login_server: str, username_uri: str, password_uri: str
    ) -> CredentialSet:
        made = self.inner.create_credential_set(
            registry, name, login_server=login_server, username_uri=username_uri, password_uri=password_uri
        )
        self.auditor.record("credentialSet.create", made.id, _set_ids(made))
        return made

    def update_credential_set(
        self, registry: Registry, name: str, *, username_uri: str, password_uri: str
    ) -> CredentialSet:
        updated = self.inner.update_credential_set(
            registry, name, username_uri=username_uri, password_uri=password_uri
        )
        self.auditor.record("credentialSet.update", updated.id, _set_ids(updated))
        return updated

    def delete_credential_set(self, registry: Registry, name: str) -> None:
        self.inner.delete_credential_set(registry, name)
        self.auditor.record("credentialSet.delete", f"{registry.id}/credentialSets/{name}", None)


class AuditedVaults:
    def __init__(self, inner: Vaults, auditor: Auditor) -> None:
        self.inner = inner
        self.auditor = auditor

    def find_vault(self, name: str) -> Vault | None:
        return self.inner.find_vault(name)

    def get_vault(self, subscription_id: str, resource_group: str, name: str) -> Vault | None:
        return self.inner.get_vault(subscription_id, resource_group, name)

    def add_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self.inner.add_secret_get_policy(vault, tenant_id=tenant_id, object_id=object_id)
        self.auditor.record(
            "accessPolicy.add", vault.id, {"objectId": object_id, "tenantId": tenant_id, "secrets": "get"}
        )

    def remove_secret_get_policy(self, vault: Vault, *, tenant_id: str, object_id: str) -> None:
        self.inner.remove_secret_get_policy(vault, tenant_id=tenant_id, object_id=object_id)
        self.auditor.record("accessPolicy.remove", vault.id, {"objectId": object_id, "tenantId": tenant_id})

    def secret_versions(self, vault: str, name: str) -> list[SecretMetadata]:
        return self.inner.secret_versions(vault, name)


class AuditedRoles:
    def __init__(self, inner: Roles, auditor: Auditor) -> None:
        self.inner = inner
        self.auditor = auditor

    def assignments_for(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        found = self.inner.assignments_for(scope, principal_id)
        for assignment in found:
            self.auditor.saw(assignment.id, _assignment_ids(assignment))
        return found

    def grant_secrets_user(self, scope: str, principal_id: str) -> RoleAssignment | None:
        made = self.inner.grant_secrets_user(scope, principal_id)
        if made is not None:
            self.auditor.record("roleAssignment.create", made.id, _assignment_ids(made))
        return made

    def delete(self, assignment_id: str) -> None:
        self.inner.delete(assignment_id)
        self.auditor.record("roleAssignment.delete", assignment_id, None)


def _assignment_ids(assignment: RoleAssignment) -> Mapping[str, str | None]:
    return {
        "scope": assignment.scope,
        "principalId": assignment.principal_id,
        "roleDefinitionId": assignment.role_definition_id,
    }
