"""Services wired to in-memory fakes of their ports (no I/O, no sleeping)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.domain.requests import SecretRules
from shared.services.access import AccessService
from shared.services.cache_rules import CacheRuleWrites
from shared.services.credential_sets import CredentialSetWrites
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.reads import Reads
from shared.services.validation import SecretChecks, ValidationService
from tests.fakes.azure import DNS, TENANT, FakeAzure, FakeRegistries, FakeRoles, FakeVaults


@dataclass
class World:
    azure: FakeAzure
    lookup: RegistryLookup
    reads: Reads
    rules: CacheRuleWrites
    sets: CredentialSetWrites
    validation: ValidationService
    secret_rules: SecretRules


def make_world(
    *, allowed_vaults: frozenset[str] = frozenset(), locks: ProvisioningLocks | None = None
) -> World:
    """Services over fresh fakes; ``allowed_vaults`` is the deployment's ALLOWED_VAULTS, ``locks`` may carry a
    lease store."""
    azure = FakeAzure()
    azure.add_registry("demoregistry")
    registries, vaults = FakeRegistries(azure), FakeVaults(azure)
    locks = locks or ProvisioningLocks(None)
    access = AccessService(
        vaults=vaults,
        roles=FakeRoles(azure),
        dns_suffix=DNS,
        allowed_vaults=allowed_vaults,
        tenant_id=TENANT,
        fence=locks.fence,
    )
    secrets = SecretChecks(vaults=vaults, dns_suffix=DNS, now=lambda: 1000.0)
    lookup = RegistryLookup(registries=registries)
    health = HealthWaiter(registries=registries, wait_seconds=0.0, sleep=lambda _: None)
    sets = CredentialSetWrites(lookup=lookup, access=access, secrets=secrets, health=health, locks=locks)
    return World(
        azure=azure,
        lookup=lookup,
        reads=Reads(lookup=lookup),
        rules=CacheRuleWrites(lookup=lookup, credential_sets=sets, access=access, health=health, locks=locks),
        sets=sets,
        validation=ValidationService(registries=registries, secrets=secrets, access=access, dns_suffix=DNS),
        secret_rules=SecretRules(dns_suffix=DNS),
    )


@pytest.fixture
def world() -> World:
    return make_world()
