"""A fleet on the in-memory fakes, wired into a real SweepService (memory tables), with every port call counted."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.domain.flags import Flag, FlagType
from shared.domain.models import CredentialHealth, CredentialSet, Registry
from shared.services.access import AccessService
from shared.services.credential_sets import CredentialSetWrites
from shared.services.flagging import HealthRecorder
from shared.services.health import HealthWaiter
from shared.services.locks import ProvisioningLocks
from shared.services.lookup import RegistryLookup
from shared.services.sweep import SweepLimits, SweepService
from shared.services.sweep_check import RegistryCheck
from shared.services.sweep_facts import SweepFacts
from shared.services.sweep_heal import SweepHealer
from shared.services.sweep_scope import SweepScope
from shared.services.validation import SecretChecks
from shared.state.health import TableHealthStore
from shared.state.memory import MemoryTableStore
from shared.state.sweeps import SweepStore
from tests.fakes.azure import DNS, FakeAzure, FakeRegistries, FakeRoles, FakeVaults

DOCKER = "docker.io/library/{}"


class Counted:
    """Forwards every call to ``target`` and counts it by method name (the stand-in for Azure requests)."""

    def __init__(self, target: Any, calls: Counter[str]) -> None:
        self._target = target
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return attribute(*args, **kwargs)

        return call


class Registries(FakeRegistries):
    """The fake, plus a service-side health verdict a test can force (an upstream that refuses the login)."""

    def __init__(self, azure: FakeAzure) -> None:
        super().__init__(azure)
        self.forced: dict[str, CredentialHealth] = {}

    def list_credential_sets(self, registry: Registry) -> list[CredentialSet]:
        return [
            replace(s, health=self.forced.get(s.id, s.health)) for s in super().list_credential_sets(registry)
        ]


class Publisher:
    """The health topic: what went out, the size of each publish call, and a refusal a test can arrange."""

    def __init__(self) -> None:
        self.flags: list[Flag] = []
        self.calls: list[int] = []  # flags per publish call
        self.refuse: Callable[[Sequence[Flag]], Exception | None] = lambda _: None

    def publish(self, flags: Sequence[Flag]) -> None:
        refused = self.refuse(flags)
        if refused is not None:
            raise refused
        self.calls.append(len(flags))
        self.flags.extend(flags)

    def of(self, kind: FlagType) -> list[Flag]:
        return [f for f in self.flags if f.type is kind]


class Queue:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, messages: Sequence[str]) -> None:
        self.messages.extend(messages)


@dataclass
class World:
    azure: FakeAzure = field(default_factory=FakeAzure)
    calls: Counter[str] = field(default_factory=Counter)
    publisher: Publisher = field(default_factory=Publisher)
    queue: Queue = field(default_factory=Queue)
    health_table: MemoryTableStore = field(default_factory=MemoryTableStore)
    sweep_table: MemoryTableStore = field(default_factory=MemoryTableStore)
    sleeps: list[float] = field(default_factory=list)
    now: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.registries = Registries(self.azure)
        self.counted_registries: Any = Counted(self.registries, self.calls)
        self.vaults: Any = Counted(FakeVaults(self.azure), self.calls)
        self.roles: Any = Counted(FakeRoles(self.azure), self.calls)
        self.access = AccessService(vaults=self.vaults, roles=self.roles, dns_suffix=DNS)
        self.health = TableHealthStore(self.health_table)

    # arranging
    def credential_set(
        self, registry: Registry, name: str, vault: str, *, grant: bool = True, prefix: str = ""
    ) -> CredentialSet:
        user = self.azure.add_secret(vault, f"{prefix}{registry.name}-user")
        password = self.azure.add_secret(vault, f"{prefix}{registry.name}-password")
        made = self.registries.create_credential_set(
            registry, name, login_server="docker.io", username_uri=user, password_uri=password
        )
        if grant:
            from shared.services.rollback import Rollback

            self.access.ensure(made, Rollback())
        return made

    def rule(self, registry: Registry, name: str, credential_set: CredentialSet | None) -> None:
        self.registries.create_cache_rule(
            registry,
            name,
            source=DOCKER.format(name),
            target=name,
            credential_set_id=credential_set.id if credential_set else None,
        )

    # the system under test
    def credential_set_writes(self) -> CredentialSetWrites:
        """The API's credential-set service over the same fakes (what AUTO_HEAL re-applies through)."""
        return CredentialSetWrites(
            lookup=RegistryLookup(registries=self.counted_registries),
            access=self.access,
            secrets=SecretChecks(vaults=self.vaults, dns_suffix=DNS),
            health=HealthWaiter(registries=self.counted_registries, wait_seconds=0.0, sleep=lambda _: None),
            locks=ProvisioningLocks(None),
        )

    def service(
        self,
        *,
        fanout_threshold: int = 1000,
        auto_heal: bool = False,
        scope: SweepScope | None = None,
        read_reserve: int = 0,
    ) -> SweepService:
        recorder = HealthRecorder(
            store=self.health, publisher=self.publisher, reminder_seconds=24 * 3600, clock=lambda: self.now
        )
        healer = (
            SweepHealer(
                access=self.access,
                credential_sets=self.credential_set_writes(),
                locks=ProvisioningLocks(None),
                dns_suffix=DNS,
            )
            if auto_heal
            else None
        )
        check = RegistryCheck(
            registries=self.counted_registries,
            recorder=recorder,
            warn_seconds=30 * 86400,
            rows=self.health,
            healer=healer,
            clock=lambda: self.now,
        )
        return SweepService(
            registries=self.counted_registries,
            scope=scope or SweepScope(),
            facts=lambda: SweepFacts(vaults=self.vaults, access=self.access, dns_suffix=DNS),
            check=check,
            store=SweepStore(self.sweep_table),
            queue=self.queue,
            limits=SweepLimits(concurrency=3, read_reserve=read_reserve, fanout_threshold=fanout_threshold),
            clock=lambda: self.now,
            sleep=self.sleeps.append,
        )

    def reasons(self) -> dict[str, str | None]:
        """Each rule's stored reason, by rule name."""
        return {r.name: (r.record.reason.value if r.record.reason else None) for r in self.health.rows()}
