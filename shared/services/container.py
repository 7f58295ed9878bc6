"""Wires settings, cloud profile, gateways and services once per worker process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shared.azure.clients import AzureClients
from shared.azure.flags import EventGridFlagPublisher
from shared.azure.keyvault import VaultGateway
from shared.azure.queues import StorageSweepQueue
from shared.azure.rbac import RoleGateway
from shared.azure.registry import RegistryGateway
from shared.azure.tables import AzureTableStore
from shared.config import Settings, get_settings
from shared.domain.requests import SecretRules
from shared.events.dispatch import EventServices
from shared.services.access import AccessService
from shared.services.access_events import AccessEvents
from shared.services.audit import AuditedRegistries, AuditedRoles, AuditedVaults, Auditor
from shared.services.cache_rules import CacheRuleWrites
from shared.services.credential_sets import CredentialSetWrites
from shared.services.expiry import ExpiryService
from shared.services.flagging import HealthRecorder
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.reads import Reads
from shared.services.resource_events import ResourceEvents
from shared.services.rotation import RotationService
from shared.services.secret_index import IndexingRegistries, SetIndexer
from shared.services.sweep import SweepLimits, SweepService
from shared.services.sweep_check import RegistryCheck
from shared.services.sweep_facts import SweepFacts
from shared.services.sweep_heal import SweepHealer
from shared.services.sweep_index import IndexRefresh
from shared.services.sweep_report import HealthReporter
from shared.services.sweep_scope import SweepScope
from shared.services.validation import SecretChecks, ValidationService
from shared.state.audit import AuditLog
from shared.state.health import TableHealthStore
from shared.state.idempotency import TableIdempotencyStore
from shared.state.leases import TableLeaseStore
from shared.state.memory import MemoryTableStore
from shared.state.secret_index import SecretIndex
from shared.state.sweeps import SweepStore
from shared.state.tables import TableStore


@dataclass(frozen=True, kw_only=True, slots=True)
class Services:
    settings: Settings
    secret_rules: SecretRules
    lookup: RegistryLookup
    reads: Reads
    cache_rules: CacheRuleWrites
    credential_sets: CredentialSetWrites
    validation: ValidationService
    health_store: TableHealthStore
    recorder: HealthRecorder
    audit: AuditLog
    events: EventServices
    sweeps: SweepService
    health_report: HealthReporter


def _table(clients: AzureClients, name: str) -> TableStore:
    """A state table; without storage configured (unit tests, scripts) state lives in this process only."""
    if not clients.has_storage:
        return MemoryTableStore()
    full = f"{clients.settings.state_table_prefix}{name}"
    return AzureTableStore(lambda: clients.table(full), name=full)


def _lease_store(clients: AzureClients) -> TableLeaseStore | None:
    """Leases need storage; without it the locks are per process only."""
    return TableLeaseStore(_table(clients, "leases")) if clients.has_storage else None


def build_services(settings: Settings, clients: AzureClients | None = None) -> Services:
    clients = clients or AzureClients(settings)
    suffix = clients.profile.keyvault_dns_suffix
    audit = AuditLog(_table(clients, "audit"))
    auditor = Auditor(audit)
    index = SecretIndex(_table(clients, "secretindex"), dns_suffix=suffix)
    # Every write is audited, and every credential-set write indexed, whoever makes it (API or event).
    registries = IndexingRegistries(AuditedRegistries(RegistryGateway(clients), auditor), index)
    vaults = AuditedVaults(VaultGateway(clients), auditor)
    locks = ProvisioningLocks(
        _lease_store(clients),
        ttl_seconds=settings.lease_ttl_seconds,
        wait_seconds=settings.lease_wait_seconds,
    )
    access = AccessService(
        vaults=vaults,
        roles=AuditedRoles(RoleGateway(clients), auditor),
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
    health_store = TableHealthStore(_table(clients, "health"))
    publisher = EventGridFlagPublisher(clients)
    recorder = HealthRecorder(
        store=health_store, publisher=publisher, reminder_seconds=settings.reminder_hours * 3600
    )
    indexer = SetIndexer(registries=registries, index=index)
    idempotency = TableIdempotencyStore(_table(clients, "idempotency"))
    events = EventServices(
        rotation=RotationService(
            registries=registries,
            vaults=vaults,
            indexer=indexer,
            index=index,
            health=health,
            locks=locks,
            steps=idempotency,
            recorder=recorder,
            publisher=publisher,
            dns_suffix=suffix,
        ),
        expiry=ExpiryService(vaults=vaults, indexer=indexer, recorder=recorder),
        access=AccessEvents(
            registries=registries,
            access=access,
            indexer=indexer,
            index=index,
            locks=locks,
            recorder=recorder,
            publisher=publisher,
            auto_heal=settings.auto_heal,
        ),
        resources=ResourceEvents(
            lookup=lookup,
            access=access,
            index=index,
            health_store=health_store,
            locks=locks,
            publisher=publisher,
        ),
        idempotency=idempotency,
    )
    check = RegistryCheck(
        registries=registries,
        recorder=recorder,
        warn_seconds=settings.expiry_warning_days * 86400,
        rows=health_store,
        index=IndexRefresh(index=index),
        healer=SweepHealer(access=access, credential_sets=credential_sets, locks=locks, dns_suffix=suffix)
        if settings.auto_heal
        else None,
    )
    sweeps = SweepService(
        registries=registries,
        scope=SweepScope.from_settings(settings),
        facts=lambda: SweepFacts(vaults=vaults, access=access, dns_suffix=suffix),
        check=check,
        store=SweepStore(_table(clients, "sweeps")),
        queue=StorageSweepQueue(clients, settings.sweep_queue) if clients.has_storage else None,
        limits=SweepLimits(
            concurrency=settings.sweep_concurrency,
            read_reserve=settings.sweep_read_reserve,
            fanout_threshold=settings.sweep_fanout_threshold,
        ),
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
        health_store=health_store,
        recorder=recorder,
        audit=audit,
        events=events,
        sweeps=sweeps,
        health_report=HealthReporter(rows=health_store, last_sweep=sweeps.latest),
    )


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    global _services
    with _lock:
        if _services is None:
            _services = build_services(get_settings())
        return _services
