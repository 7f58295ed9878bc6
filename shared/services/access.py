"""Granting a credential set's identity secret ``get`` in each vault's own permission model, and checking it."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from shared.domain.errors import ValidationFailed
from shared.domain.models import CredentialSet, Vault
from shared.domain.roles import SECRET_READER_ROLES, role_guid
from shared.domain.secrets import parse_secret_uri
from shared.logs import event
from shared.services.ports import Roles, Vaults
from shared.services.rollback import Rollback

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class GrantCheck:
    vault: str
    model: str  # "accessPolicy" | "rbac"
    present: bool


class AccessService:
    def __init__(self, *, vaults: Vaults, roles: Roles, dns_suffix: str) -> None:
        self.vaults = vaults
        self.roles = roles
        self.dns_suffix = dns_suffix

    def vault_names(self, credential_set: CredentialSet) -> list[str]:
        names = []
        for uri in (credential_set.username_secret_uri, credential_set.password_secret_uri):
            vault = parse_secret_uri(uri, dns_suffix=self.dns_suffix).vault
            if vault not in names:
                names.append(vault)
        return names

    def _vault(self, name: str) -> Vault:
        vault = self.vaults.find_vault(name)
        if vault is None:
            raise ValidationFailed(f"Key Vault '{name}' was not found in the managed subscriptions")
        return vault

    def has_grant(self, vault: Vault, principal_id: str) -> bool:
        if vault.rbac:
            return any(
                role_guid(a.role_definition_id) in SECRET_READER_ROLES
                for a in self.roles.assignments_for(vault.id, principal_id)
            )
        return vault.policy_grants_get(principal_id)

    def check(self, credential_set: CredentialSet) -> list[GrantCheck]:
        principal = credential_set.principal_id or ""
        checks = []
        for name in self.vault_names(credential_set):
            vault = self.vaults.find_vault(name)
            present = bool(vault and principal and self.has_grant(vault, principal))
            model = "rbac" if vault and vault.rbac else "accessPolicy"
            checks.append(GrantCheck(vault=name, model=model, present=present))
        return checks

    def ensure(self, credential_set: CredentialSet, rollback: Rollback) -> list[str]:
        """Grant where missing (recording undo steps); returns the vaults granted now. Existing grants count."""
        principal = credential_set.principal_id
        if not principal:
            raise ValidationFailed(f"credential set '{credential_set.name}' has no managed identity to grant")
        granted = []
        for name in self.vault_names(credential_set):
            vault = self._vault(name)
            if self.has_grant(vault, principal):
                continue
            if vault.rbac:
                assignment = self.roles.grant_secrets_user(vault.id, principal)
                if assignment is not None:
                    assignment_id = assignment.id
                    rollback.add(
                        f"roleAssignment:{vault.name}", functools.partial(self.roles.delete, assignment_id)
                    )
            else:
                tenant = credential_set.tenant_id or vault.tenant_id
                self.vaults.add_secret_get_policy(vault, tenant_id=tenant, object_id=principal)
                rollback.add(
                    f"accessPolicy:{vault.name}",
                    functools.partial(
                        self.vaults.remove_secret_get_policy, vault, tenant_id=tenant, object_id=principal
                    ),
                )
            event(
                log,
                logging.INFO,
                "SecretGetGranted",
                vault=vault.name,
                principalId=principal,
                model="rbac" if vault.rbac else "accessPolicy",
            )
            granted.append(vault.name)
        return granted

    def verify(self, credential_set: CredentialSet) -> list[str]:
        """The vaults where the grant is still missing after :meth:`ensure` (fresh reads)."""
        return [c.vault for c in self.check(credential_set) if not c.present]

    def revoke(self, credential_set: CredentialSet) -> list[str]:
        """Remove this identity's grants (used when its credential set is deleted); returns the vaults cleaned."""
        principal = credential_set.principal_id
        if not principal:
            return []
        cleaned = []
        for name in self.vault_names(credential_set):
            vault = self.vaults.find_vault(name)
            if vault is None:
                continue
            if vault.rbac:
                for assignment in self.roles.assignments_for(vault.id, principal):
                    if role_guid(assignment.role_definition_id) in SECRET_READER_ROLES and (
                        assignment.scope.lower() == vault.id.lower()
                    ):
                        self.roles.delete(assignment.id)
                        cleaned.append(vault.name)
            elif vault.policy_grants_get(principal):
                tenant = credential_set.tenant_id or vault.tenant_id
                self.vaults.remove_secret_get_policy(vault, tenant_id=tenant, object_id=principal)
                cleaned.append(vault.name)
        return cleaned
