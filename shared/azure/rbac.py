"""Role assignments: the grant model of RBAC vaults."""

from __future__ import annotations

import uuid
from typing import Any

from shared.azure.clients import AzureClients
from shared.azure.errors import azure_call
from shared.domain.errors import AzureRejected
from shared.domain.models import RoleAssignment
from shared.domain.roles import KEY_VAULT_SECRETS_USER


class RoleGateway:
    def __init__(self, clients: AzureClients) -> None:
        self.clients = clients

    def _auth(self, scope: str) -> Any:
        sub = scope.strip("/").split("/")[1]
        return self.clients.authorization(sub)

    def assignments_for(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        """Assignments of ``principal_id`` that apply at ``scope`` (at it or above it)."""
        with azure_call(f"list role assignments at {scope}"):
            found = [
                RoleAssignment(
                    id=str(a.id),
                    scope=str(a.scope),
                    principal_id=str(a.principal_id),
                    role_definition_id=str(a.role_definition_id),
                )
                for a in self._auth(scope).role_assignments.list_for_scope(
                    scope, filter=f"principalId eq '{principal_id}'"
                )
            ]
        lowered = scope.lower()
        return [
            a
            for a in found
            if a.principal_id.lower() == principal_id.lower()
            and lowered.startswith(a.scope.lower().rstrip("/"))
        ]

    def grant_secrets_user(self, scope: str, principal_id: str) -> RoleAssignment | None:
        """Assign Key Vault Secrets User; None when an equal assignment already exists (409 RoleAssignmentExists)."""
        from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

        sub = scope.strip("/").split("/")[1]
        role = (
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_SECRETS_USER}"
        )
        params = RoleAssignmentCreateParameters(
            role_definition_id=role, principal_id=principal_id, principal_type="ServicePrincipal"
        )
        try:
            with azure_call(f"assign Key Vault Secrets User at {scope}"):
                created = self._auth(scope).role_assignments.create(scope, str(uuid.uuid4()), params)
        except AzureRejected as exc:
            if exc.code == "RoleAssignmentExists":
                return None
            raise
        return RoleAssignment(
            id=str(created.id),
            scope=scope,
            principal_id=principal_id,
            role_definition_id=str(created.role_definition_id),
        )

    def delete(self, assignment_id: str) -> None:
        with azure_call(f"delete role assignment {assignment_id}"):
            self._auth(assignment_id).role_assignments.delete_by_id(assignment_id)
