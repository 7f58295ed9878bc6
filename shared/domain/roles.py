"""Built-in role IDs that matter to artifact cache grants on RBAC vaults."""

from __future__ import annotations

KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
# Built-in roles whose data actions include reading secrets.
SECRET_READER_ROLES = frozenset(
    {
        KEY_VAULT_SECRETS_USER,
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",  # Key Vault Secrets Officer
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",  # Key Vault Administrator
    }
)


def role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
