"""The health sweep end to end: devhost + emulator + Azurite, a seeded fleet over two subscriptions.

13 registries (two fleets of 6 over two subscriptions, and the demo registry), an access-policy and an RBAC vault,
one rule of each failure kind beside healthy ones. Exactly the failing rules are flagged, with their reasons, on
the health topic and in ``GET /api/health``; a second sweep raises nothing; a fix raises ``RuleRecovered``; a
registry the app may not read is reported while the others complete; the fan-out path (queue trigger in the
devhost) gives the in-process result; a registry of 1,000 rules costs the requests one of 10 costs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import KV, KV_RBAC, REGISTRY, SUBSCRIPTION, app_env
from tests.support.azurite import Azurite, start_azurite
from tests.support.devhost import Devhost, start_devhost
from tests.support.emulator import Emulator, start_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
SUB2 = "00000000-0000-0000-0000-000000000002"
TOPIC = "health"
DEMO_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.ContainerRegistry"
WAIT_SECONDS = 60
DEMO_LOGIN = ("demo-user", "demo-password")  # the demo seed's docker.io account
# the rules of the demo registry and what the sweep must say of them
DEMO_EXPECTED = {
    "healthy": None,
    "rbac-ok": None,
    "disabled": "SecretDisabled",
    "expired": "SecretExpired",
    "expiring": "SecretExpiring",
    "missing": "SecretMissing",
    "upstream": "CredentialUnhealthy",
    "dangling": "CredentialSetMissing",
    "failed": "ProvisioningFailed",
}


@dataclass
class Fleet:
    emulator: Emulator
    azurite: Azurite
    inproc: Devhost
    fanout: Devhost

    def control(self, method: str, path: str, json: Any = None) -> Any:
        answer = self.emulator.control(method, path, json=json)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def arm(self, method: str, path: str, json: Any = None) -> requests.Response:
        return self.emulator.arm_request(method, path, params={"api-version": "2025-11-01"}, json=json)

    def secrets(self, vault: str) -> Any:
        return self.emulator.secret_client(vault)

    def topic_events(self) -> list[dict[str, Any]]:
        """The CloudEvents published to the health topic, in order."""
        stored: list[dict[str, Any]] = self.control("GET", f"/_emulator/topics/{TOPIC}/events")
        return [s["event"] for s in stored]

    def sweep(self, host: Devhost | None = None) -> dict[str, Any]:
        answer = requests.post(f"{(host or self.inproc).url}/api/sweeps", timeout=300)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def health(self, **params: str) -> dict[str, Any]:
        answer = requests.get(f"{self.inproc.url}/api/health", params=params, timeout=60)
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document


def _secret_pair(fleet: Fleet, kind: str, username: str, password: str) -> None:
    for suffix, value in (("user", username), ("password", password)):
        fleet.control("PUT", f"/_emulator/secrets/demo-kv/{kind}-{suffix}", {"value": value})


def _rule(
    fleet: Fleet, name: str, vault: str = KV, secrets: str | None = None, set_name: str | None = None
) -> None:
    prefix = secrets or "dockerhub"
    body = {
        "sourceRepository": f"docker.io/library/{name}",
        "targetRepository": name,
        "credentials": {
            "usernameSecretUri": f"{vault}/secrets/{prefix}-{'user' if secrets else 'username'}",
            "passwordSecretUri": f"{vault}/secrets/{prefix}-password",
            "credentialSetName": set_name or f"{name}-set",
        },
    }
    answer = requests.put(
        f"{fleet.inproc.url}/api/registries/{REGISTRY}/cache-rules/{name}", json=body, timeout=60
    )
    assert answer.status_code == 201, answer.text


def _until_gone(fleet: Fleet, path: str) -> None:
    """A delete is a long-running operation: the resource goes when it ends."""
    deadline = time.monotonic() + WAIT_SECONDS
    while fleet.arm("GET", path).status_code != 404:
        assert time.monotonic() < deadline, f"{path} still there"
        time.sleep(0.2)


def _until_settled(fleet: Fleet, operation_url: str) -> None:
    """Poll a write's Azure-AsyncOperation until it ends (the resource's provisioningState follows it)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = fleet.emulator.arm_request("GET", operation_url).json()["status"]
        if status in ("Succeeded", "Failed", "Canceled"):  # ARM's terminal states; anything else is running
            return
        assert time.monotonic() < deadline, f"{operation_url} still {status}"
        time.sleep(0.2)


def _seed(fleet: Fleet) -> None:
    fleet.control("PUT", f"/_emulator/subscriptions/{SUB2}", {"displayName": "second"})
    # One list page holds a whole registry's rules (at most 1,000): how ARM pages is the service's choice; what
    # is the app's is that it makes a fixed number of lists per registry and nothing per rule.
    fleet.control("PUT", "/_emulator/settings", {"pageSize": 5000})
    for prefix, subscription, broken in (("fleeta", SUBSCRIPTION, 1), ("fleetb", SUB2, 0)):
        fleet.control(
            "POST",
            "/_emulator/fleet",
            {
                "resourceGroup": f"{prefix}-rg",
                "registries": 6,
                "rulesPerRegistry": 2,
                "prefix": prefix,
                "subscriptionId": subscription,
                "brokenRegistries": broken,
            },
        )
    _rule(fleet, "healthy")
    _rule(fleet, "rbac-ok", vault=KV_RBAC)
    for kind in ("disabled", "expired", "expiring", "missing"):
        _secret_pair(fleet, kind, *DEMO_LOGIN)
        _rule(fleet, kind, secrets=kind)
    fleet.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/upstream-user", {"password": "upstream-pass"}
    )
    _secret_pair(fleet, "upstream", "upstream-user", "upstream-pass")
    _rule(fleet, "upstream", secrets="upstream")
    _rule(fleet, "dangling")
    now = int(time.time())
    fleet.control("PUT", "/_emulator/secrets/demo-kv/disabled-user", {"value": "demo-user", "enabled": False})
    fleet.control("PUT", "/_emulator/secrets/demo-kv/expired-user", {"value": "demo-user", "exp": now - 60})
    fleet.control(
        "PUT",
        "/_emulator/secrets/demo-kv/expiring-password",
        {"value": "demo-password", "exp": now + 5 * 86400},
    )
    fleet.secrets("demo-kv").begin_delete_secret("missing-password").result()
    fleet.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/upstream-user", {"password": "rotated-upstream"}
    )
    deleted = fleet.arm("DELETE", f"{DEMO_RG}/registries/{REGISTRY}/credentialSets/dangling-set")
    assert deleted.status_code in (200, 202, 204), deleted.text
    _until_gone(fleet, f"{DEMO_RG}/registries/{REGISTRY}/credentialSets/dangling-set")
    fleet.control(
        "PUT",
        "/_emulator/faults",
        [{"method": "PUT", "pathRegex": "cacheRules/failed", "lroResult": "Failed", "count": 1}],
    )
    made = fleet.arm(
        "PUT",
        f"{DEMO_RG}/registries/{REGISTRY}/cacheRules/failed",
        {
            "properties": {
                "sourceRepository": "mcr.microsoft.com/dotnet/runtime",
                "targetRepository": "failed",
            }
        },
    )
    assert made.status_code == 201, made.text
    _until_settled(fleet, made.headers["Azure-AsyncOperation"])
    fleet.control("PUT", "/_emulator/faults", [])


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("sweep")
    with start_azurite(tmp) as azurite, start_emulator(tmp / "emulator", seed="demo") as emulator:
        env = app_env(
            emulator,
            azurite,
            AZURE_SUBSCRIPTION_IDS=f"{SUBSCRIPTION},{SUB2}",
            HEALTH_TOPIC_ENDPOINT=f"{emulator.url}/eventgrid/topics/{TOPIC}/api/events",
            HEALTH_TOPIC_KEY="local-topic-key",
            SWEEP_FANOUT_THRESHOLD="1000",
        )
        with (
            start_devhost(REPO_ROOT, env=env) as inproc,
            start_devhost(REPO_ROOT, env={**env, "SWEEP_FANOUT_THRESHOLD": "0"}) as fanout,
        ):
            seeded = Fleet(emulator=emulator, azurite=azurite, inproc=inproc, fanout=fanout)
            _seed(seeded)
            yield seeded


def _failing(document: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    return {(r["registry"], r["name"]): r["reason"] for r in document["rules"] if r["status"] != "Healthy"}


def _expected_failing() -> dict[tuple[str, str], str | None]:
    demo = {(REGISTRY, name): reason for name, reason in DEMO_EXPECTED.items() if reason}
    broken = {("fleeta0000", f"rule-{i:04d}"): "AccessMissing" for i in range(2)}
    return {**demo, **broken}


EXPIRY_REASONS = ("SecretExpiring", "SecretExpired")


def test_a_sweep_flags_exactly_the_failing_rules_with_their_reasons(fleet: Fleet) -> None:
    result = fleet.sweep()
    assert result["status"] == "Completed" and result["failures"] == []
    assert (result["registries"], result["rules"]) == (13, 24 + len(DEMO_EXPECTED))
    health = fleet.health()
    assert _failing(health) == _expected_failing()
    assert health["summary"]["rules"] == result["rules"]
    assert health["lastSweep"]["id"] == result["id"]
    assert [r["status"] for r in health["rules"][:8]] == ["Unhealthy"] * 8  # failing first
    flagged = {
        e["subject"]: e["data"]["reason"]
        for e in fleet.topic_events()
        if e["type"] == "ArtifactCache.RuleUnhealthy"
    }
    expected = {k: v for k, v in _expected_failing().items() if v != "SecretExpiring"}
    assert sorted(flagged.values()) == sorted(expected.values())
    assert {s.rsplit("/", 1)[-1] for s in flagged} == {name for _, name in expected}
    warned = [e for e in fleet.topic_events() if e["type"] == "ArtifactCache.SecretExpiring"]
    assert {e["data"]["secretUri"] for e in warned} == {
        f"{KV}/secrets/expiring-password",
        f"{KV}/secrets/expired-user",
    }
    # The health view says when the secret expires (the dashboard's expiry chart reads it, not the message).
    expiring = {r["reason"]: r["expiresOn"] for r in health["rules"] if r["reason"] in EXPIRY_REASONS}
    expires = {e["data"]["secretUri"].rsplit("/", 1)[-1]: e["data"]["expiresOn"] for e in warned}
    assert datetime.fromisoformat(expiring["SecretExpiring"]).timestamp() == expires["expiring-password"]
    assert datetime.fromisoformat(expiring["SecretExpired"]).timestamp() == expires["expired-user"]
    assert {r["expiresOn"] for r in health["rules"] if r["reason"] not in EXPIRY_REASONS} == {None}
    assert "SweepCompleted" in fleet.inproc.logs()


def test_a_second_sweep_raises_nothing_new(fleet: Fleet) -> None:
    fleet.sweep()
    before = len(fleet.topic_events())
    again = fleet.sweep()
    assert (again["flagsRaised"], again["flagsCleared"]) == (0, 0)
    assert len(fleet.topic_events()) == before


def test_fixing_a_rule_raises_rule_recovered(fleet: Fleet) -> None:
    fleet.sweep()
    fleet.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/upstream-user", {"password": "upstream-pass"}
    )
    fixed = fleet.sweep()
    assert fixed["flagsCleared"] == 1
    recovered = [e for e in fleet.topic_events() if e["type"] == "ArtifactCache.RuleRecovered"]
    assert [e["subject"] for e in recovered] == [f"{DEMO_RG}/registries/{REGISTRY}/cacheRules/upstream"]
    assert (REGISTRY, "upstream") not in _failing(fleet.health(status="Unhealthy"))
    fleet.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/upstream-user", {"password": "rotated-upstream"}
    )


def test_a_registry_the_app_cannot_read_is_reported_while_the_others_complete(fleet: Fleet) -> None:
    fault = {"method": "GET", "pathRegex": "registries/fleetb0002/cacheRules", "status": 403, "count": 1000}
    fleet.control("PUT", "/_emulator/faults", [fault])
    try:
        result = fleet.sweep()
    finally:
        fleet.control("PUT", "/_emulator/faults", [])
    assert result["status"] == "Completed"
    assert [f["registry"] for f in result["failures"]] == ["fleetb0002"]
    assert result["rules"] == 24 + len(DEMO_EXPECTED) - 2


def test_the_fan_out_path_gives_the_in_process_result(fleet: Fleet) -> None:
    expected = fleet.sweep()
    started = requests.post(f"{fleet.fanout.url}/api/sweeps", timeout=60)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    deadline = time.monotonic() + WAIT_SECONDS
    result = started.json()
    while result["status"] != "Completed" and time.monotonic() < deadline:
        time.sleep(0.5)
        result = requests.get(f"{fleet.fanout.url}{location}", timeout=30).json()
    assert result["status"] == "Completed"
    fields = ("registries", "rules", "unhealthyRules", "flagsRaised", "flagsCleared", "failures")
    assert {f: result[f] for f in fields} == {f: expected[f] for f in fields}
    assert "Executed 'Functions.sweep_registry' (Succeeded" in fleet.fanout.logs() + fleet.inproc.logs()


def test_a_registry_of_1000_rules_costs_what_one_of_10_costs(fleet: Fleet) -> None:
    for prefix, rules in (("costbig", 1000), ("costsmall", 10)):
        fleet.control(
            "POST",
            "/_emulator/fleet",
            {"resourceGroup": f"{prefix}-rg", "registries": 1, "rulesPerRegistry": rules, "prefix": prefix},
        )
    before = len(fleet.emulator.requests_log())
    result = fleet.sweep()
    assert result["rules"] >= 1010
    log = fleet.emulator.requests_log()[before:]
    # Key Vault's 401 auth handshake is paid once per vault host by whichever client asks first: not a cost of rules
    big = sum(1 for r in log if "costbig" in r["path"] and r["status"] != 401)
    small = sum(1 for r in log if "costsmall" in r["path"] and r["status"] != 401)
    assert big == small > 0
    azure = [r for r in log if not r["path"].startswith("/eventgrid/")]  # flags published are not Azure reads
    challenges = sum(
        1 for r in azure if r["status"] == 401
    )  # Key Vault's auth handshake, re-sent inside the SDK
    assert len(azure) - challenges <= result["azureRequests"] <= len(azure)


def test_health_pages_follow_next_link_and_bad_input_is_a_4xx(fleet: Fleet) -> None:
    fleet.sweep()
    whole = fleet.health()
    seen: list[str] = []
    url: str | None = f"{fleet.inproc.url}/api/health?top=150"
    while url:
        page = requests.get(url, timeout=60).json()
        assert page["summary"] == whole["summary"] and len(page["rules"]) <= 150
        seen.extend(r["id"] for r in page["rules"])
        url = f"{fleet.inproc.url}{page['nextLink']}" if "nextLink" in page else None
    assert len(seen) == len(set(seen)) == whole["summary"]["rules"]
    assert seen[: len(whole["rules"])] == [r["id"] for r in whole["rules"]]  # the same order, page after page
    refused = requests.get(f"{fleet.inproc.url}/api/health", params={"status": "Sick"}, timeout=30)
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "status"
    unknown = requests.get(f"{fleet.inproc.url}/api/sweeps/20260101000000-0123456789ab", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("sweep-not-found")
    assert requests.get(f"{fleet.inproc.url}/api/sweeps/nope", timeout=30).status_code == 400
