"""Microsoft.Authorization: built-in role definitions and role assignments at any scope.

An assignment becomes effective `roleAssignmentDelaySeconds` (as set when it is made) of emulator clock after it is created
(Azure documents that propagation can take minutes). Errors: duplicate principal+role+scope ->
RoleAssignmentExists (409); same name with other content -> RoleAssignmentUpdateNotPermitted (409);
unknown role -> RoleDefinitionDoesNotExist (400); a just-created managed identity without
principalType -> PrincipalNotFound (400, Azure's replication-delay failure that principalType avoids).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.http import ServiceError

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
SECRET_READ_ROLES = {KEY_VAULT_SECRETS_USER, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_ADMINISTRATOR}
SECRET_WRITE_ROLES = {KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_ADMINISTRATOR}
# Seconds within which a new managed identity is not yet replicated (assigning it needs principalType).
PRINCIPAL_REPLICATION_SECONDS = 60

BUILTIN_ROLES: dict[str, tuple[str, str]] = {
    KEY_VAULT_SECRETS_USER: ("Key Vault Secrets User", "Read secret contents."),
    KEY_VAULT_SECRETS_OFFICER: (
        "Key Vault Secrets Officer",
        "Perform any action on the secrets of a key vault.",
    ),
    KEY_VAULT_ADMINISTRATOR: ("Key Vault Administrator", "Perform all data plane operations on a key vault."),
    "21090545-7ca7-4776-b22c-e363652d74d2": (
        "Key Vault Reader",
        "Read metadata of key vaults and its objects.",
    ),
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", "Grants full access to manage all resources."),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": ("Contributor", "Grants full access to manage all resources."),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", "View all resources."),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": ("User Access Administrator", "Manage user access."),
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": ("AcrPull", "acr pull"),
    "8311e382-0749-4cb8-b61a-304f252e45ec": ("AcrPush", "acr push"),
}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DEF_ID = re.compile(
    r"(?:/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/(?P<id>[^/]+)", re.I
)


def normalise_scope(scope: str) -> str:
    return "/" + scope.strip("/")


def scope_covers(outer: str, inner: str) -> bool:
    """True when `outer` is `inner` or one of its parents (role assignments inherit downwards)."""
    outer, inner = normalise_scope(outer).lower(), normalise_scope(inner).lower()
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


def role_definition_json(role_id: str, scope: str = "") -> dict[str, Any]:
    name, description = BUILTIN_ROLES[role_id]
    return {
        "id": f"{scope}/providers/{DEFINITION_TYPE}/{role_id}",
        "name": role_id,
        "type": DEFINITION_TYPE,
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [],
        },
    }


@dataclass
class RoleAssignment:
    name: str
    scope: str
    role_id: str
    principal_id: str
    principal_type: str
    created: float
    effective_at: float  # propagation is decided once, when the assignment is made

    @property
    def id(self) -> str:
        return f"{'' if self.scope == '/' else self.scope}/providers/{ASSIGNMENT_TYPE}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "properties": {
                "roleDefinitionId": f"/providers/{DEFINITION_TYPE}/{self.role_id}",
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope,
            },
            "id": self.id,
            "type": ASSIGNMENT_TYPE,
            "name": self.name,
        }


class AuthorizationBackend:
    def __init__(self, principal_created: Callable[[str], float | None], delay: Callable[[], float]) -> None:
        self._principal_created = principal_created
        self._delay = delay
        self.assignments: dict[str, RoleAssignment] = {}

    def reset(self) -> None:
        self.assignments = {}

    def role_definition(self, role_id: str) -> str:
        if role_id.lower() not in BUILTIN_ROLES:
            raise ServiceError(
                404,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{role_id}' does not exist.",
            )
        return role_id.lower()

    def find_definitions(self, role_name: str | None) -> list[str]:
        return [
            rid
            for rid, (name, _) in BUILTIN_ROLES.items()
            if role_name is None or name.lower() == role_name.lower()
        ]

    def create(self, scope: str, name: str, body: dict[str, Any], now: float) -> tuple[RoleAssignment, bool]:
        if not _GUID.fullmatch(name):
            raise ServiceError(
                400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid (GUID)."
            )
        props = body.get("properties") or {}
        definition = _DEF_ID.fullmatch(str(props.get("roleDefinitionId") or ""))
        if not definition or definition["id"].lower() not in BUILTIN_ROLES:
            raise ServiceError(
                400,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{props.get('roleDefinitionId')}' does not exist.",
            )
        principal_id = str(props.get("principalId") or "")
        if not _GUID.fullmatch(principal_id):
            raise ServiceError(
                400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment."
            )
        principal_type = props.get("principalType")
        created = self._principal_created(principal_id.lower())
        if principal_type is None and created is not None and now - created < PRINCIPAL_REPLICATION_SECONDS:
            raise ServiceError(
                400,
                "PrincipalNotFound",
                f"Principal {principal_id.replace('-', '')} does not exist in the directory "
                f"00000000-0000-0000-0000-0000000000aa. Check that you have the correct principal ID. If you are "
                f"creating this principal and then immediately assigning a role, set principalType.",
            )
        scope = normalise_scope(scope)
        role_id = definition["id"].lower()
        existing = self.assignments.get(name.lower())
        if existing is not None:
            same = (existing.scope.lower(), existing.role_id, existing.principal_id) == (
                scope.lower(),
                role_id,
                principal_id.lower(),
            )
            if same:
                return existing, False
            raise ServiceError(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        for other in self.assignments.values():
            if (other.scope.lower(), other.role_id, other.principal_id) == (
                scope.lower(),
                role_id,
                principal_id.lower(),
            ):
                raise ServiceError(409, "RoleAssignmentExists", "The role assignment already exists.")
        assignment = RoleAssignment(
            name.lower(),
            scope,
            role_id,
            principal_id.lower(),
            str(principal_type or "ServicePrincipal"),
            now,
            now + self._delay(),
        )
        self.assignments[name.lower()] = assignment
        return assignment, True

    def get(self, scope: str, name: str) -> RoleAssignment:
        found = self.assignments.get(name.lower())
        if found is None or found.scope.lower() != normalise_scope(scope).lower():
            raise ServiceError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return found

    def delete(self, scope: str, name: str) -> RoleAssignment | None:
        found = self.assignments.get(name.lower())
        if found is None or found.scope.lower() != normalise_scope(scope).lower():
            return None
        return self.assignments.pop(name.lower())

    def list_for_scope(self, scope: str, filter_text: str | None) -> list[RoleAssignment]:
        """Assignments at, above and below `scope`; `atScope()` keeps at/above, `principalId eq` one principal."""
        principal = None
        at_scope = False
        if filter_text:
            at_scope = "atscope()" in filter_text.lower()
            found = re.search(r"principalId\s+eq\s+'([^']+)'", filter_text, re.I)
            principal = found.group(1).lower() if found else None
        result = []
        for assignment in sorted(self.assignments.values(), key=lambda a: (a.created, a.name)):
            above = scope_covers(assignment.scope, scope)
            below = scope_covers(scope, assignment.scope)
            if not (above or (below and not at_scope)):
                continue
            if principal and assignment.principal_id != principal:
                continue
            result.append(assignment)
        return result

    def effective_roles(self, principal_id: str, scope: str, now: float) -> set[str]:
        return {
            a.role_id
            for a in self.assignments.values()
            if a.principal_id == principal_id.lower()
            and scope_covers(a.scope, scope)
            and now >= a.effective_at
        }


def new_assignment_name() -> str:
    return str(uuid.uuid4())
