"""One emulator's whole state: the backends wired together, settings, clock, log, Event Grid.

Handlers run under `lock` (one at a time); latency and fault delays are slept outside it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from emulator.arm.lro import Operations
from emulator.arm.throttling import Throttle
from emulator.backends.access import VaultAccess
from emulator.backends.authorization import AuthorizationBackend
from emulator.backends.containerregistry import ContainerRegistryBackend, CredentialSet
from emulator.backends.health import HealthEvaluator
from emulator.backends.identity import IdentityBackend
from emulator.backends.keyvault_data import KeyVaultDataBackend
from emulator.backends.keyvault_mgmt import KeyVaultMgmtBackend
from emulator.backends.resources import ResourcesBackend
from emulator.backends.upstreams import UpstreamAccounts
from emulator.clock import Clock
from emulator.constants import TENANT_ID
from emulator.events import make_event_grid
from emulator.faults import Faults
from emulator.settings import Settings

NEAR_EXPIRY_SECONDS = 30 * 24 * 3600


class EmulatorState:
    def __init__(self, data_dir: Path, seed: str | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.settings = Settings()
        self.startup_seed = seed
        self.identity = IdentityBackend(data_dir)
        self.resources = ResourcesBackend()
        self.vaults = KeyVaultMgmtBackend()
        self.secrets = KeyVaultDataBackend()
        self.upstreams = UpstreamAccounts()
        self.authorization = AuthorizationBackend(
            self._principal_created, lambda: self.settings.roleAssignmentDelaySeconds
        )
        self.access = VaultAccess(self.authorization, self.clock.now)
        self.health = HealthEvaluator(
            vaults=self.vaults,
            secrets=self.secrets,
            access=self.access,
            upstreams=self.upstreams,
            now=self.clock.now,
            refresh_seconds=lambda: self.settings.healthRefreshSeconds,
        )
        self.registries = ContainerRegistryBackend(
            self._new_identity, self.identity.delete, self.health.evaluate
        )
        self.operations = Operations(self.clock.now, lambda: self.settings)
        self.throttle = Throttle(self.clock.now)
        self.faults = Faults()
        self.requests: list[dict[str, Any]] = []
        self.expiry_events: set[tuple[str, str, str, str]] = set()
        self.events = make_event_grid(self.clock.now)
        self.reset(seed)

    def _principal_created(self, principal_id: str) -> float | None:
        principal = self.identity.principals.get(principal_id)
        return principal.created if principal and principal.kind == "credentialSet" else None

    def _new_identity(self) -> str:
        return self.identity.new_system_identity(self.clock.now()).principal_id

    def reset(self, seed: str | None) -> None:
        from emulator.seed import apply_seed

        with self.lock:
            self.clock.reset()
            self.settings = Settings()
            for part in (
                self.resources,
                self.vaults,
                self.secrets,
                self.upstreams,
                self.authorization,
                self.registries,
                self.operations,
                self.throttle,
                self.faults,
            ):
                part.reset()
            self.identity.reset(self.clock.now())
            self.requests.clear()
            self.expiry_events.clear()
            self.events.reset()
            if seed:
                apply_seed(self, seed)

    def refresh_health(self, cs: CredentialSet) -> None:
        self.health.refresh(cs)

    # events ------------------------------------------------------------------------------------------
    def emit_resource(
        self, resource_id: str, operation: str, principal_id: str | None, *, method: str
    ) -> None:
        """A Microsoft.Resources event for an ARM request that succeeded; `method` is the request's own verb
        (a PATCH stays PATCH in httpRequest.method), DELETE makes it a ResourceDeleteSuccess."""
        event_type = "Microsoft.Resources.ResourceWriteSuccess"
        if method == "DELETE":
            event_type = "Microsoft.Resources.ResourceDeleteSuccess"
        elif operation.endswith("/action"):
            event_type = "Microsoft.Resources.ResourceActionSuccess"
        self.events.emit_resource(
            event_type=event_type,
            subscription_id=resource_id.split("/")[2],
            resource_id=resource_id,
            operation_name=operation,
            principal_id=principal_id or "",
            tenant_id=TENANT_ID,
            http_method=method,
        )

    def emit_keyvault(
        self,
        event_type: str,
        vault_name: str,
        object_name: str,
        version: str | None,
        nbf: int | None,
        exp: int | None,
    ) -> None:
        vault = self.vaults.by_name(vault_name)
        if vault is None:
            return
        self.events.emit_keyvault(
            event_type=f"Microsoft.KeyVault.{event_type}",
            subscription_id=vault.subscription,
            resource_group=vault.group,
            vault=vault.name,
            object_type="Secret" if object_name else "Vault",
            object_name=object_name,
            version=version,
            nbf=nbf,
            exp=exp,
        )

    def check_secret_expiry(self) -> None:
        """Emit SecretNearExpiry (30 days before) and SecretExpired once per secret version."""
        with self.lock:
            now = self.clock.now()
            for secret in list(self.secrets.secrets.values()):
                for version in secret.versions:
                    if version.exp is None:
                        continue
                    for kind, due in (
                        ("SecretNearExpiry", version.exp - NEAR_EXPIRY_SECONDS),
                        ("SecretExpired", version.exp),
                    ):
                        key = (secret.vault, secret.name.lower(), version.version, kind)
                        if now >= due and key not in self.expiry_events:
                            self.expiry_events.add(key)
                            self.emit_keyvault(
                                kind, secret.vault, secret.name, version.version, version.nbf, version.exp
                            )
