"""The event services wired to in-memory fakes (FakeAzure, MemoryTableStore), driven through ``dispatch``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.config import Settings
from shared.domain.flags import Flag
from shared.domain.models import CredentialSet, Registry
from shared.events.dispatch import EventServices, dispatch
from shared.events.envelope import parse_events
from shared.services.container import Adapters, wire
from shared.services.ports import Registries
from shared.services.rollback import Rollback
from shared.state.audit import AuditLog
from shared.state.health import TableHealthStore
from shared.state.memory import MemoryTableStore
from shared.state.secret_index import SecretIndex
from tests.fakes.azure import DNS, FakeAzure, FakeRegistries, FakeRoles, FakeVaults

SUB2 = "00000000-0000-0000-0000-000000000002"
_ids = itertools.count(1)


@dataclass
class Published:
    flags: list[Flag] = field(default_factory=list)
    calls: int = 0

    def publish(self, flags: Sequence[Flag]) -> None:
        self.calls += 1
        self.flags.extend(flags)

    def of(self, type_: str) -> list[Flag]:
        return [f for f in self.flags if f.type.value == type_]


@dataclass
class Events:
    azure: FakeAzure
    registries: Registries
    index: SecretIndex
    health: TableHealthStore
    published: Published
    audit: AuditLog
    services: EventServices
    auto_heal: bool = False

    def deliver(self, *events: dict[str, Any]) -> list[str]:
        return dispatch(parse_events(list(events)), self.services)

    def grant(self, cs: CredentialSet) -> None:
        self.services.resources.access.ensure(cs, Rollback())

    def make_set(
        self, registry: Registry, name: str, username: str, password: str, *, rule: str | None = None
    ) -> CredentialSet:
        made = self.registries.create_credential_set(
            registry, name, login_server="docker.io", username_uri=username, password_uri=password
        )
        if rule:
            self.registries.create_cache_rule(
                registry, rule, source=f"docker.io/library/{rule}", target=rule, credential_set_id=made.id
            )
        self.grant(made)
        return made


def build(azure: FakeAzure, *, auto_heal: bool = False) -> Events:
    """The production wiring (``container.wire``) on fakes: what the tests drive is what the app runs."""
    published = Published()
    settings = Settings.from_env(
        {"HEALTH_WAIT_SECONDS": "0", "REMINDER_HOURS": "0", "AUTO_HEAL": "true" if auto_heal else ""}
    )
    services = wire(
        settings,
        Adapters(
            registries=FakeRegistries(azure),
            vaults=FakeVaults(azure),
            roles=FakeRoles(azure),
            table=lambda _name: MemoryTableStore(),
            leases=None,
            publisher=published,
            queue=None,
            dns_suffix=DNS,
        ),
    )
    return Events(
        azure=azure,
        registries=services.lookup.registries,
        index=services.events.rotation.index,
        health=services.health_store,
        published=published,
        audit=services.audit,
        services=services.events,
        auto_heal=auto_heal,
    )


@pytest.fixture
def azure() -> FakeAzure:
    return FakeAzure()


@pytest.fixture
def events(azure: FakeAzure) -> Events:
    return build(azure)


def keyvault_event(
    kind: str, vault: str, secret: str | None, version: str | None, **data: Any
) -> dict[str, Any]:
    """An Event Grid schema Key Vault event shaped like Microsoft's sample."""
    return {
        "id": f"evt-{next(_ids)}",
        "topic": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{vault}",
        "subject": secret or vault,
        "eventType": f"Microsoft.KeyVault.{kind}",
        "eventTime": "2026-12-01T10:00:00Z",
        "data": {
            "Id": f"https://{vault}{DNS}/secrets/{secret}" + (f"/{version}" if version else ""),
            "VaultName": vault,
            "ObjectType": "Secret",
            "ObjectName": secret,
            "Version": version,
            "NBF": None,
            "EXP": data.pop("EXP", None),
            **data,
        },
        "dataVersion": "1",
        "metadataVersion": "1",
    }


def resource_event(
    kind: str, resource_id: str, operation: str, correlation: str | None = None
) -> dict[str, Any]:
    """A ``Microsoft.Resources.Resource{Write,Delete}Success`` event (CloudEvents schema, as Azure can send it)."""
    return {
        "specversion": "1.0",
        "id": f"evt-{next(_ids)}",
        "source": "/subscriptions/s",
        "subject": resource_id,
        "type": f"Microsoft.Resources.Resource{kind}Success",
        "time": "2026-12-01T10:00:00Z",
        "data": {
            "operationName": operation,
            "resourceUri": resource_id,
            "status": "Succeeded",
            "correlationId": correlation or f"corr-{next(_ids)}",
            "subscriptionId": "s",
            "tenantId": "t",
            "httpRequest": {"method": "DELETE" if kind == "Delete" else "PUT"},
        },
    }


def latest(azure: FakeAzure, vault: str, secret: str) -> str:
    return azure.secrets[(vault.lower(), secret.lower())][0].version
