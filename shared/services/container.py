"""Wires settings, cloud profile, gateways and services once per worker process."""

from __future__ import annotations

import threading
from collections.abc import Callable
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
from shared.services.flagging import FlagPublisher, HealthRecorder
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.ports import Registries, Roles, Vaults
from shared.services.reads import Reads
from shared.services.resource_events import ResourceEvents
from shared.services.rotation import RotationService
from shared.services.secret_index import IndexingRegistries, SetIndexer
from shared.services.sweep import SweepLimits, SweepQueue, SweepService
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
from shared.state.leases import LeaseStore, TableLeaseStore
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


@dataclass(frozen=True, kw_only=True, slots=True)
class Adapters:
    """What the services are wired onto: Azure in production, in-memory fakes in unit tests (same wiring)."""

    registries: Registries
    vaults: Vaults
    roles: Roles
    table: Callable[[str], TableStore]  # a state table by its short name ("leases", "health", ...)
    leases: LeaseStore | None  # None: locks are per process only
    publisher: FlagPublisher
    queue: SweepQueue | None  # None: sweeps never fan out
    dns_suffix: str


def azure_adapters(settings: Settings, clients: AzureClients) -> Adapters:
    def table(name: str) -> TableStore:
        if not clients.has_storage:  # unit tests, scripts: state lives in this process only
            return MemoryTableStore()
        full = f"{settings.state_table_prefix}{name}"
        return AzureTableStore(lambda: clients.table(full), name=full)

    return Adapters(
        registries=RegistryGateway(clients),
        vaults=VaultGateway(clients),
        roles=RoleGateway(clients),
        table=table,
        leases=TableLeaseStore(table("leases")) if clients.has_storage else None,
        publisher=EventGridFlagPublisher(clients),
        queue=StorageSweepQueue(clients, settings.sweep_queue) if clients.has_storage else None,
        dns_suffix=clients.profile.keyvault_dns_suffix,
    )


def build_services(settings: Settings, clients: AzureClients | None = None) -> Services:
    return wire(settings, azure_adapters(settings, clients or AzureClients(settings)))


def wire(settings: Settings, adapters: Adapters) -> Services:
    suffix = adapters.dns_suffix
    _table = adapters.table
    audit = AuditLog(_table("audit"))
    auditor = Auditor(audit)
    index = SecretIndex(_table("secretindex"), dns_suffix=suffix)
    # Every write is audited, and every credential-set write indexed, whoever makes it (API or event).
    registries = IndexingRegistries(AuditedRegistries(adapters.registries, auditor), index)
    vaults = AuditedVaults(adapters.vaults, auditor)
    locks = ProvisioningLocks(
        adapters.leases,
        ttl_seconds=settings.lease_ttl_seconds,
        wait_seconds=settings.lease_wait_seconds,
    )
    access = AccessService(
        vaults=vaults,
        roles=AuditedRoles(adapters.roles, auditor),
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
    health_store = TableHealthStore(_table("health"))
    publisher = adapters.publisher
    recorder = HealthRecorder(
        store=health_store, publisher=publisher, reminder_seconds=settings.reminder_hours * 3600
    )
    indexer = SetIndexer(registries=registries, index=index)
    idempotency = TableIdempotencyStore(
        _table("idempotency"), in_progress_seconds=settings.event_claim_seconds
    )
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
        store=SweepStore(_table("sweeps")),
        queue=adapters.queue,
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
