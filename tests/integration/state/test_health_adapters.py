"""The flag recorder's real adapters: health rows in Azurite's Table storage, flags on the emulator's custom topic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from shared.azure.clients import AzureClients
from shared.config import Settings
from shared.domain.flags import HealthRecord
from shared.domain.health import HEALTHY, Reason, Status, Verdict
from shared.services.container import build_services
from shared.services.flagging import HealthRow
from shared.services.sweep_report import HealthQuery, HealthReporter
from tests.fakes.models import docker_rule, registry
from tests.support.azurite import Azurite, start_azurite
from tests.support.emulator import Emulator, start_emulator
from tests.unit.state.test_tables_and_leases import check_batch_semantics

TOPIC = "health"
REG = registry()
RULE = docker_rule(REG)
FAILING = Verdict(status=Status.UNHEALTHY, reason=Reason.SECRET_DISABLED, message="version v1 is disabled")


@pytest.fixture(scope="module")
def services_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Azurite]]:
    tmp = tmp_path_factory.mktemp("health-adapters")
    emulator = start_emulator(Path(tmp), seed=None)
    azurite = start_azurite(Path(tmp))
    try:
        yield emulator, azurite
    finally:
        azurite.stop()
        emulator.stop()


def settings(emulator: Emulator, azurite: Azurite, monkeypatch: pytest.MonkeyPatch, prefix: str) -> Settings:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return Settings.from_env(
        {
            "AZURE_CLOUD": "Local",
            "AZURE_LOCAL_ENDPOINT": emulator.url,
            "AzureWebJobsStorage": azurite.connection_string,
            "STATE_TABLE_PREFIX": prefix,
            "HEALTH_TOPIC_ENDPOINT": f"{emulator.url}/eventgrid/topics/{TOPIC}/api/events",
            "HEALTH_TOPIC_KEY": "local-topic-key",
        }
    )


def topic_events(emulator: Emulator) -> list[dict[str, object]]:
    answer = emulator.control("GET", f"/_emulator/topics/{TOPIC}/events")
    answer.raise_for_status()
    return [record["event"] for record in answer.json()]


def test_a_verdict_is_stored_in_table_storage_and_flagged_on_the_topic_once(
    services_env: tuple[Emulator, Azurite], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, azurite = services_env
    services = build_services(settings(emulator, azurite, monkeypatch, "hadapt1"))
    assert services.recorder.record(REG, RULE, FAILING, cause="test") is not None
    assert services.recorder.record(REG, RULE, FAILING, cause="test") is None

    # A fresh process (new clients, same storage) reads back what the first one stored.
    fresh = build_services(
        settings(emulator, azurite, monkeypatch, "hadapt1"), AzureClients(services.settings)
    )
    row = fresh.health_store.get(RULE.id)
    assert row is not None
    assert (row.record.status, row.record.reason, row.registry, row.name) == (
        Status.UNHEALTHY,
        Reason.SECRET_DISABLED,
        "reg1",
        "ubuntu",
    )
    assert [r.rule_id for r in fresh.health_store.registry_rows(REG.id)] == [RULE.id]
    recovered = fresh.recorder.record(REG, RULE, HEALTHY, cause="test")
    assert recovered is not None

    events = topic_events(emulator)
    assert [(e["type"], e["subject"]) for e in events] == [
        ("ArtifactCache.RuleUnhealthy", RULE.id),
        ("ArtifactCache.RuleRecovered", RULE.id),
    ]
    first = events[0]
    assert first["specversion"] == "1.0" and first["source"] == "/acr-cache-autopilot"
    data = first["data"]
    assert isinstance(data, dict) and data["reason"] == "SecretDisabled" and data["registry"] == "reg1"


def test_secret_warnings_are_remembered_across_processes(
    services_env: tuple[Emulator, Azurite], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, azurite = services_env
    uri = "https://kv.vault.azure.net/secrets/user"
    first = build_services(settings(emulator, azurite, monkeypatch, "hadapt2"))
    assert not first.health_store.secret_warned(uri, "v1")
    first.health_store.mark_secret_warned(uri, "v1")
    first.health_store.mark_secret_warned(uri, "v1")  # a second instance racing: still once
    other = build_services(settings(emulator, azurite, monkeypatch, "hadapt2"))
    assert other.health_store.secret_warned(uri, "v1")
    assert not other.health_store.secret_warned(uri, "v2")


def test_table_batches_on_azurite_keep_the_ports_semantics(
    services_env: tuple[Emulator, Azurite], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, azurite = services_env
    services = build_services(settings(emulator, azurite, monkeypatch, "hadapt3"))
    check_batch_semantics(services.health_store.table)


def test_a_registry_saved_in_batches_pages_failing_first_from_azurite(
    services_env: tuple[Emulator, Azurite], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, azurite = services_env
    services = build_services(settings(emulator, azurite, monkeypatch, "hadapt4"))
    store = services.health_store
    rows = [
        HealthRow(
            rule_id=f"{REG.id}/cacheRules/r{i:03d}",
            subscription_id="s1",
            registry="reg1",
            name=f"r{i:03d}",
            record=HealthRecord(
                status=Status.UNHEALTHY if i % 50 == 7 else Status.HEALTHY,
                reason=Reason.ACCESS_MISSING if i % 50 == 7 else None,
                since=1.0,
            ),
            message="",
            checked_at=2.0,
        )
        for i in range(150)
    ]
    store.save_registry(REG, before=[], after=rows)
    store.save_registry(REG, before=rows, after=rows[:140])  # ten rules deleted since
    page = HealthReporter(rows=store, last_sweep=lambda: None).page(HealthQuery(top=5))
    assert [r.name for r in page.rows] == ["r007", "r057", "r107", "r000", "r001"]
    assert (page.summary.rules, page.summary.unhealthy, page.next_skip) == (140, 3, 5)
    healed = [
        replace(r, record=HealthRecord(status=Status.HEALTHY, reason=None, since=3.0)) for r in rows[:140]
    ]
    store.save_registry(REG, before=rows[:140], after=healed)
    assert store.failing() == [] and store.summaries()[0].healthy == 140
