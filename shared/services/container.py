"""Wires settings, cloud profile, gateways and services once per worker process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shared.azure.clients import AzureClients
from shared.azure.keyvault import VaultGateway
from shared.azure.rbac import RoleGateway
from shared.azure.registry import RegistryGateway
from shared.azure.tables import AzureTableStore
from shared.config import Settings, get_settings
from shared.domain.requests import SecretRules
from shared.services.access import AccessService
from shared.services.cache_rules import CacheRuleWrites
from shared.services.credential_sets import CredentialSetWrites
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.reads import Reads
from shared.services.validation import SecretChecks, ValidationService
from shared.state.leases import TableLeaseStore


@dataclass(frozen=True, kw_only=True, slots=True)
class Services:
    settings: Settings
    secret_rules: SecretRules
    lookup: RegistryLookup
    reads: Reads
    cache_rules: CacheRuleWrites
    credential_sets: CredentialSetWrites
    validation: ValidationService


def _lease_store(clients: AzureClients) -> TableLeaseStore | None:
    """Leases need storage; without it (unit tests, scripts) the locks are per process only."""
    if not clients.has_storage:
        return None
    name = f"{clients.settings.state_table_prefix}leases"
    return TableLeaseStore(AzureTableStore(lambda: clients.table(name), name=name))


def build_services(settings: Settings, clients: AzureClients | None = None) -> Services:
    clients = clients or AzureClients(settings)
    suffix = clients.profile.keyvault_dns_suffix
    registries = RegistryGateway(clients)
    vaults = VaultGateway(clients)
    locks = ProvisioningLocks(
        _lease_store(clients),
        ttl_seconds=settings.lease_ttl_seconds,
        wait_seconds=settings.lease_wait_seconds,
    )
    access = AccessService(
        vaults=vaults,
        roles=RoleGateway(clients),
        dns_suffix=suffix,
        allowed_vaults=settings.allowed_vaults,
        tenant_id=settings.tenant_id,
        fence=locks.fence,
    )
    secrets = SecretChecks(vaults=vaults, dns_suffix=suffix)
    lookup = RegistryLookup(registries=registries)
    health = HealthWaiter(registries=registries, wait_seconds=settings.health_wait_seconds)
    credential_sets = CredentialSetWrites(
        lookup=lookup, access=access, secrets=secrets, health=health, locks=locks
    )
    return Services(
        settings=settings,
        secret_rules=SecretRules(dns_suffix=suffix, allowed_vaults=settings.allowed_vaults),
        lookup=lookup,
        reads=Reads(lookup=lookup),
        cache_rules=CacheRuleWrites(
            lookup=lookup, credential_sets=credential_sets, access=access, health=health, locks=locks
        ),
        credential_sets=credential_sets,
        validation=ValidationService(
            registries=registries, secrets=secrets, access=access, dns_suffix=suffix
        ),
    )


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    global _services
    with _lock:
        if _services is None:
            _services = build_services(get_settings())
        return _services
