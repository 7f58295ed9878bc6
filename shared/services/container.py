"""Wires settings, cloud profile, gateways and services once per worker process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shared.azure.clients import AzureClients
from shared.azure.keyvault import VaultGateway
from shared.azure.rbac import RoleGateway
from shared.azure.registry import RegistryGateway
from shared.config import Settings, get_settings
from shared.domain.requests import SecretRules
from shared.services.access import AccessService
from shared.services.locks import ProvisioningLocks
from shared.services.provisioning import ProvisioningService
from shared.services.validation import ValidationService
from shared.state.leases import TableLeaseStore


@dataclass(frozen=True, kw_only=True, slots=True)
class Services:
    settings: Settings
    secret_rules: SecretRules
    provisioning: ProvisioningService
    validation: ValidationService


def _lease_store(clients: AzureClients) -> TableLeaseStore | None:
    """Leases need storage; without it (unit tests, scripts) the locks are per process only."""
    if not clients.has_storage:
        return None
    return TableLeaseStore(lambda: clients.table(f"{clients.settings.state_table_prefix}leases"))


def build_services(settings: Settings, clients: AzureClients | None = None) -> Services:
    clients = clients or AzureClients(settings)
    suffix = clients.profile.keyvault_dns_suffix
    registries = RegistryGateway(clients)
    vaults = VaultGateway(clients)
    access = AccessService(vaults=vaults, roles=RoleGateway(clients), dns_suffix=suffix)
    return Services(
        settings=settings,
        secret_rules=SecretRules(dns_suffix=suffix, allowed_vaults=settings.allowed_vaults),
        provisioning=ProvisioningService(
            registries=registries,
            vaults=vaults,
            access=access,
            health_wait_seconds=settings.health_wait_seconds,
            tenant_id=settings.tenant_id,
            locks=ProvisioningLocks(_lease_store(clients)),
        ),
        validation=ValidationService(registries=registries, vaults=vaults, access=access, dns_suffix=suffix),
    )


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    global _services
    with _lock:
        if _services is None:
            _services = build_services(get_settings())
        return _services
