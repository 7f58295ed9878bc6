"""Who may use a vault's secrets: access policies on policy vaults, effective roles on RBAC vaults."""

from __future__ import annotations

from collections.abc import Callable

from emulator.backends.authorization import SECRET_READ_ROLES, SECRET_WRITE_ROLES, AuthorizationBackend
from emulator.backends.keyvault_mgmt import Vault

# Data-plane operation -> (access-policy permission, roles that allow it on an RBAC vault).
OPERATIONS: dict[str, tuple[str, set[str]]] = {
    "get": ("get", SECRET_READ_ROLES),
    "list": ("list", SECRET_READ_ROLES),
    "set": ("set", SECRET_WRITE_ROLES),
    "delete": ("delete", SECRET_WRITE_ROLES),
    "update": ("set", SECRET_WRITE_ROLES),
}


class VaultAccess:
    def __init__(self, authorization: AuthorizationBackend, now: Callable[[], float]) -> None:
        self._authorization = authorization
        self._now = now

    def allowed(self, principal_id: str, vault: Vault, operation: str) -> bool:
        permission, roles = OPERATIONS[operation]
        if not vault.rbac:
            return vault.grants_secret(principal_id, permission)
        effective = self._authorization.effective_roles(principal_id, vault.id, self._now())
        return bool(effective & roles)
