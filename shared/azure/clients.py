"""Builds every SDK client from one cloud profile, with bounded retries that honour ``Retry-After``.

SDK modules are imported inside the builders so a function pays only for the clients it uses.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.azure.cloud import CloudProfile, cloud_profile
from shared.azure.errors import azure_call
from shared.config import Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.data.tables import TableClient
    from azure.eventgrid import EventGridPublisherClient
    from azure.keyvault.secrets import SecretClient
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient


class AzureClients:
    """Thread-safe, lazily built clients shared by every invocation of a worker process."""

    def __init__(self, settings: Settings, *, credential: TokenCredential | None = None) -> None:
        self.settings = settings
        self.profile: CloudProfile = cloud_profile(settings)
        self._credential = credential
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    @cached_property
    def credential(self) -> TokenCredential:
        if self._credential is not None:
            return self._credential
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(
            authority=self.profile.authority_host, exclude_interactive_browser_credential=True
        )

    def _options(self) -> dict[str, Any]:
        return {
            "retry_total": self.settings.arm_retry_total,
            "retry_backoff_max": self.settings.arm_retry_backoff_max,
        }

    def _metered(self) -> dict[str, Any]:
        """ARM and Key Vault clients report each attempt to the current sweep's meter (its cost and ARM budget)."""
        from shared.azure.meter_policy import MeterPolicy

        return {**self._options(), "per_retry_policies": [MeterPolicy()]}

    def _cached(self, kind: str, key: str, build: Any) -> Any:
        with self._lock:
            client = self._cache.get((kind, key))
            if client is None:
                client = self._cache[(kind, key)] = build()
            return client

    def _arm_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.profile.arm_endpoint,
            "credential_scopes": [self.profile.arm_scope],
            **self._metered(),
        }

    def registries(self, subscription_id: str) -> ContainerRegistryManagementClient:
        def build() -> ContainerRegistryManagementClient:
            from azure.mgmt.containerregistry import ContainerRegistryManagementClient

            return ContainerRegistryManagementClient(self.credential, subscription_id, **self._arm_kwargs())

        client: ContainerRegistryManagementClient = self._cached("acr", subscription_id, build)
        return client

    def vaults(self, subscription_id: str) -> KeyVaultManagementClient:
        def build() -> KeyVaultManagementClient:
            from azure.mgmt.keyvault import KeyVaultManagementClient

            return KeyVaultManagementClient(self.credential, subscription_id, **self._arm_kwargs())

        client: KeyVaultManagementClient = self._cached("kv", subscription_id, build)
        return client

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        def build() -> AuthorizationManagementClient:
            from azure.mgmt.authorization import AuthorizationManagementClient

            return AuthorizationManagementClient(self.credential, subscription_id, **self._arm_kwargs())

        client: AuthorizationManagementClient = self._cached("auth", subscription_id, build)
        return client

    def secrets(self, vault: str) -> SecretClient:
        def build() -> SecretClient:
            from azure.keyvault.secrets import SecretClient

            return SecretClient(
                self.profile.vault_url(vault),
                self.credential,
                # The emulator's challenge names the public audience while it listens on loopback.
                verify_challenge_resource=not self.profile.is_local,
                **self._metered(),
            )

        client: SecretClient = self._cached("secrets", vault.lower(), build)
        return client

    def storage_options(self) -> dict[str, Any]:
        """Retry and metering options for Storage clients built elsewhere (the sweep queue)."""
        return self._options()

    @property
    def has_storage(self) -> bool:
        return bool(self.settings.storage_connection or self.settings.storage_account)

    def table(self, name: str) -> TableClient:
        """A Table storage client (created once, with its table) from the connection string or the identity."""

        def build() -> TableClient:
            from azure.data.tables import TableServiceClient

            if self.settings.storage_connection:
                service = TableServiceClient.from_connection_string(
                    self.settings.storage_connection, **self._options()
                )
            else:
                endpoint = f"https://{self.settings.storage_account}.table.{self.profile.storage_suffix}"
                service = TableServiceClient(endpoint, credential=self.credential, **self._options())
            with azure_call(f"create table {name}"):
                return service.create_table_if_not_exists(name)

        client: TableClient = self._cached("table", name, build)
        return client

    def health_topic(self) -> EventGridPublisherClient | None:
        endpoint = self.settings.health_topic_endpoint
        if not endpoint:
            return None

        def build() -> EventGridPublisherClient:
            from azure.core.credentials import AzureKeyCredential
            from azure.eventgrid import EventGridPublisherClient

            key = self.settings.health_topic_key
            credential: Any = AzureKeyCredential(key) if key else self.credential
            return EventGridPublisherClient(endpoint, credential, **self._options())

        client: EventGridPublisherClient = self._cached("topic", endpoint, build)
        return client
