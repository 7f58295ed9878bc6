"""Read-only value types the services pass around; built from ARM JSON in ``shared.azure``."""

from __future__ import annotations

from dataclasses import dataclass, field

HEALTHY = "Healthy"
UNHEALTHY = "Unhealthy"


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretUri:
    """A Key Vault secret identifier; ``version`` None means "follow the latest version"."""

    vault: str
    name: str
    version: str | None
    dns_suffix: str

    @property
    def uri(self) -> str:
        base = f"https://{self.vault}{self.dns_suffix}/secrets/{self.name}"
        return f"{base}/{self.version}" if self.version else base

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True, kw_only=True, slots=True)
class Registry:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    login_server: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialHealth:
    status: str
    error_code: str | None = None
    error_message: str | None = None

    @property
    def healthy(self) -> bool:
        return self.status == HEALTHY


UNKNOWN_HEALTH = CredentialHealth(status="Unknown")


@dataclass(frozen=True, kw_only=True, slots=True)
class CredentialSet:
    id: str
    name: str
    login_server: str
    username_secret_uri: str
    password_secret_uri: str
    principal_id: str | None
    tenant_id: str | None
    health: CredentialHealth = UNKNOWN_HEALTH
    provisioning_state: str | None = None

    def same_credentials(self, login_server: str, username_uri: str, password_uri: str) -> bool:
        return (
            self.login_server.lower() == login_server.lower()
            and self.username_secret_uri.lower() == username_uri.lower()
            and self.password_secret_uri.lower() == password_uri.lower()
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CacheRule:
    id: str
    name: str
    source_repository: str
    target_repository: str
    credential_set_id: str | None
    provisioning_state: str | None = None

    @property
    def credential_set_name(self) -> str | None:
        return self.credential_set_id.rstrip("/").rsplit("/", 1)[-1] if self.credential_set_id else None


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPolicy:
    tenant_id: str
    object_id: str
    secret_permissions: tuple[str, ...]

    @property
    def grants_secret_get(self) -> bool:
        return any(p.lower() in ("get", "all") for p in self.secret_permissions)


@dataclass(frozen=True, kw_only=True, slots=True)
class Vault:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    tenant_id: str
    rbac: bool
    access_policies: tuple[AccessPolicy, ...] = field(default=())

    def policy_grants_get(self, principal_id: str) -> bool:
        return any(
            p.object_id.lower() == principal_id.lower() and p.grants_secret_get for p in self.access_policies
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleAssignment:
    id: str
    scope: str
    principal_id: str
    role_definition_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretMetadata:
    """What the app may know of a secret: attributes only, never the value."""

    vault: str
    name: str
    version: str
    enabled: bool
    not_before: float | None
    expires_on: float | None
    created_on: float | None
