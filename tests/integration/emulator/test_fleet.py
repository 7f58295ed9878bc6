"""POST /_emulator/fleet: a fleet seeded in one call, listed through ARM pages like any other."""

from __future__ import annotations

from tests.integration.emulator.helpers import API, SUB, Http, acr_client
from tests.support.emulator import Emulator

GROUP = "fleet-rg"


def _fleet(emu: Emulator, **body: object) -> dict[str, int]:
    answer = emu.control("POST", "/_emulator/fleet", json={"resourceGroup": GROUP, **body})
    assert answer.status_code == 200, answer.text
    result: dict[str, int] = answer.json()
    return result


def test_fleet_rules_health_and_paging(emu: Emulator) -> None:
    emu.control("DELETE", "/_emulator/requests").raise_for_status()
    result = _fleet(emu, registries=3, rulesPerRegistry=25, prefix="bench", brokenRegistries=1)
    assert result == {"registries": 3, "rules": 75, "unhealthyRules": 25}
    assert emu.requests_log() == []  # seeded without ARM requests
    assert emu.control("GET", "/_emulator/deliveries").json() == []  # and without events
    emu.settings(pageSize=10)
    client = acr_client(emu)
    rules = list(client.cache_rules.list(GROUP, "bench0002"))
    assert len(rules) == 25
    assert {r.credential_set_resource_id.rsplit("/", 1)[1] for r in rules} == {"creds"}
    http = Http(emu)
    first = http(
        "GET",
        f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.ContainerRegistry/registries/bench0000/cacheRules",
        **{"api-version": API},
    ).json()
    assert len(first["value"]) == 10 and "nextLink" in first
    broken = client.credential_sets.get(GROUP, "bench0000", "creds").auth_credentials[0].credential_health
    healthy = client.credential_sets.get(GROUP, "bench0001", "creds").auth_credentials[0].credential_health
    assert (broken.status, broken.error_code) == ("Unhealthy", "Forbidden")
    assert healthy.status == "Healthy"
    assert [r.name for r in client.registries.list_by_resource_group(GROUP)] == [
        "bench0000",
        "bench0001",
        "bench0002",
    ]


def test_bad_fleet_requests_change_nothing(emu: Emulator) -> None:
    for body in (
        {"registries": 2, "rulesPerRegistry": 1001},
        {"registries": 2, "rulesPerRegistry": 1, "brokenRegistries": 3},
        {"registries": 2, "rulesPerRegistry": 1, "prefix": "Bad-Prefix"},
        {"registries": 2, "rulesPerRegistry": 1, "subscriptionId": "00000000-0000-0000-0000-0000000000ff"},
    ):
        answer = emu.control("POST", "/_emulator/fleet", json={"resourceGroup": GROUP, **body})
        assert answer.status_code in (400, 404), answer.text
    _fleet(emu, registries=1, rulesPerRegistry=1)
    again = emu.control(
        "POST", "/_emulator/fleet", json={"resourceGroup": GROUP, "registries": 2, "rulesPerRegistry": 1}
    )
    assert again.status_code == 409
    assert [r.name for r in acr_client(emu).registries.list_by_resource_group(GROUP)] == ["fleet0000"]


def test_fleet_at_benchmark_scale(emu: Emulator) -> None:
    """500 registries x 100 rules, the sweep benchmark's fleet, in one call."""
    result = _fleet(emu, registries=500, rulesPerRegistry=100, brokenRegistries=5)
    assert result == {"registries": 500, "rules": 50_000, "unhealthyRules": 500}
    assert len(list(acr_client(emu).cache_rules.list(GROUP, "fleet0499"))) == 100
