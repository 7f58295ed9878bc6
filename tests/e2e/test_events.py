"""Event-driven automation end to end: the emulator's event subscriptions (as `make run` makes them) deliver real
Key Vault and Resources events to the devhost, and the app follows them with no HTTP call."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import requests

from devhost.stack import subscribe
from tests.e2e.conftest import KV, REPO_ROOT, SUBSCRIPTION, Stack, app_env, put
from tests.support.devhost import start_devhost

TOPIC = "acr-cache-health"
SAMPLES = REPO_ROOT / "tests" / "fixtures" / "azure-reference" / "events"
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, *, attempts: int = 120) -> T:
    """Poll until ``probe`` answers something (bounded by attempts, not asserted on time)."""
    for _ in range(attempts):
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"never saw {what}")


@pytest.fixture(scope="module")
def events_stack(stack: Stack) -> Iterator[Stack]:
    """A second devhost on the same emulator and Azurite, publishing flags to the emulator's health topic."""
    env = app_env(
        stack.emulator,
        stack.azurite,
        HEALTH_TOPIC_ENDPOINT=f"{stack.emulator.url}/eventgrid/topics/{TOPIC}/api/events",
        HEALTH_TOPIC_KEY="local-key",
        STATE_TABLE_PREFIX="evt",
        AUTO_HEAL="true",
        ARM_RETRY_TOTAL="0",  # an injected 500 fails the handler at once (Event Grid's redelivery is the retry)
    )
    with start_devhost(REPO_ROOT, env=env) as devhost:
        yield Stack(emulator=stack.emulator, azurite=stack.azurite, devhost=devhost)


@pytest.fixture
def wired(events_stack: Stack) -> Stack:
    events_stack.reset()
    subscribe(events_stack.emulator.url, events_stack.emulator.ca_path, events_stack.devhost.url)
    return events_stack


def docker_rule(pinned_version: str | None = None) -> dict[str, Any]:
    """The demo Docker Hub rule; its password pinned to a version when one is given."""
    password = f"{KV}/secrets/dockerhub-password"
    if pinned_version:
        password += "/" + pinned_version
    return {
        "sourceRepository": "docker.io/library/ubuntu",
        "targetRepository": "ubuntu",
        "credentials": {
            "usernameSecretUri": f"{KV}/secrets/dockerhub-username",
            "passwordSecretUri": password,
        },
    }


def flags(stack: Stack, type_: str) -> list[dict[str, Any]]:
    answer = stack.emulator.control("GET", f"/_emulator/topics/{TOPIC}/events")
    answer.raise_for_status()
    events = [received["event"] for received in answer.json()]
    return [e for e in events if (e.get("type") or e.get("eventType")) == type_]


def credential_set(stack: Stack, name: str) -> dict[str, Any]:
    answer = requests.get(stack.sets_url(name), timeout=30)
    answer.raise_for_status()
    return dict(answer.json())


def test_a_rotated_secret_reaches_the_credential_set_and_is_flagged(wired: Stack) -> None:
    created = put(wired.rules_url("ubuntu"), docker_rule())
    assert created.status_code == 201, created.text
    set_name = created.json()["credentialSet"]["name"]
    # A new Docker Hub token: the upstream accepts it, Key Vault gets it as a new version.
    wired.emulator.control(
        "PUT", "/_emulator/upstreams/docker.io/accounts/demo-user", json={"password": "rotated"}
    ).raise_for_status()
    wired.emulator.control(
        "PUT", "/_emulator/secrets/demo-kv/dockerhub-password", json={"value": "rotated"}
    ).raise_for_status()
    (rotated,) = eventually(lambda: flags(wired, "ArtifactCache.CredentialSetRotated"), "a rotation flag")
    assert rotated["subject"].endswith(f"/credentialSets/{set_name}")
    assert credential_set(wired, set_name)["health"]["status"] == "Healthy"
    audit = requests.get(f"{wired.api}/audit", timeout=30).json()["value"]
    causes = {(e["action"], e["cause"]["kind"]) for e in audit}
    assert ("credentialSet.update", "event") in causes and ("credentialSet.create", "http") in causes


def test_a_recreated_set_is_granted_again_and_its_old_principal_loses_its_grant(wired: Stack) -> None:
    created = put(
        wired.sets_url("dockerhub"),
        {
            "loginServer": "docker.io",
            "usernameSecretUri": f"{KV}/secrets/dockerhub-username",
            "passwordSecretUri": f"{KV}/secrets/dockerhub-password",
        },
    )
    assert created.status_code == 201, created.text
    cs = created.json()
    old_principal = cs["principalId"]
    path = _set_path(wired, cs["name"])
    params = {"api-version": "2025-11-01"}
    body = wired.arm("GET", path, params=params)
    # Recreated by hand (as `az acr credential-set delete` + `create` would): a new identity, no grant.
    wired.arm("DELETE", path, params=params)

    def recreate() -> bool:
        try:
            wired.arm(
                "PUT",
                path,
                params=params,
                json={
                    "identity": {"type": "SystemAssigned"},
                    "properties": {
                        "loginServer": body["properties"]["loginServer"],
                        "authCredentials": [
                            {
                                "name": "Credential1",
                                "usernameSecretIdentifier": cs["usernameSecretUri"],
                                "passwordSecretIdentifier": cs["passwordSecretUri"],
                            }
                        ],
                    },
                },
            )
        except requests.HTTPError:
            return False  # the delete is still running (ARM answers 409 meanwhile)
        return True

    eventually(recreate, "the set recreated")
    new_principal = wired.arm("GET", path, params=params)["identity"]["principalId"]
    assert new_principal != old_principal

    def policies() -> set[str]:
        vault = wired.arm("GET", _vault_path(), params={"api-version": "2023-07-01"})
        return {p["objectId"] for p in vault["properties"]["accessPolicies"]}

    eventually(lambda: new_principal in policies() and old_principal not in policies(), "the grant move")
    eventually(lambda: credential_set(wired, cs["name"])["health"]["status"] == "Healthy", "a healthy set")


def _sample(provider: str, schema: str, name: str, **names: str) -> dict[str, Any]:
    """Microsoft's sample with its placeholder names replaced by the test's."""
    text = (SAMPLES / provider / schema / f"{name}.json").read_text()
    for old, new in names.items():
        text = text.replace(old, new)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _post(stack: Stack, function: str, event: dict[str, Any]) -> requests.Response:
    cloud = "specversion" in event
    return requests.post(
        f"{stack.devhost.url}/runtime/webhooks/eventgrid",
        params={"functionName": function},
        data=json.dumps(event if cloud else [event]),
        headers={
            "Content-Type": "application/cloudevents+json" if cloud else "application/json",
            "aeg-event-type": "Notification",
        },
        timeout=120,
    )


def test_microsofts_samples_in_both_schemas_rotate_once(events_stack: Stack) -> None:
    events_stack.reset()  # no event subscriptions: the events are posted by hand, as Event Grid would

    def new_version() -> str:
        # Key Vault's `created` counts whole seconds: versions a second apart have an order.
        events_stack.emulator.control("POST", "/_emulator/clock", json={"advanceSeconds": 2})
        answer = events_stack.emulator.control(
            "PUT", "/_emulator/secrets/demo-kv/dockerhub-password", json={"value": "demo-password"}
        )
        answer.raise_for_status()
        return str(answer.json()["version"])

    created = put(events_stack.rules_url("ubuntu"), docker_rule(new_version()))
    assert created.status_code == 201, created.text
    version = new_version()
    names = {
        "{subscription-id}": SUBSCRIPTION,
        "sample-rg": "demo-rg",
        "sample-kv": "demo-kv",
        "newsecret": "dockerhub-password",
        "ee059b2bb5bc48398a53b168c6cdcb10": version,
    }
    events_stack.emulator.control("DELETE", "/_emulator/requests")
    # The same event five times, in both schemas (Event Grid delivers at least once).
    for schema in ("cloud-events-schema", *["event-grid-schema"] * 4):
        event = _sample("keyvault", schema, "secret_new_version_created", **names)
        answer = _post(events_stack, "on_keyvault_event", event)
        assert answer.status_code in (200, 202, 204), answer.text
    writes = [r for r in events_stack.arm_writes() if "/credentialSets/" in r["path"]]
    assert len(writes) == 1  # one set of writes however often and in whichever schema it came
    set_name = created.json()["credentialSet"]["name"]
    assert credential_set(events_stack, set_name)["passwordSecretUri"].endswith(f"/{version}")


def test_an_unrelated_resource_event_costs_no_azure_call(events_stack: Stack) -> None:
    events_stack.reset()
    for schema in ("cloud-events-schema", "event-grid-schema"):
        event = _sample("resources", schema, "resource_write_success", **{"{subscription-id}": SUBSCRIPTION})
        answer = _post(events_stack, "on_resource_event", event)
        assert answer.status_code in (200, 202, 204), answer.text
    assert events_stack.emulator.requests_log() == []


def _set_body(name: str = "") -> dict[str, Any]:
    return {
        "loginServer": "docker.io",
        "usernameSecretUri": f"{KV}/secrets/dockerhub-username",
        "passwordSecretUri": f"{KV}/secrets/dockerhub-password",
    }


def _patches(stack: Stack, name: str) -> list[int]:
    return [
        r["status"]
        for r in stack.emulator.requests_log()
        if r["method"] == "PATCH" and f"/credentialSets/{name}?" in r["path"]
    ]


def test_a_failure_mid_rotation_then_redelivery_converges_without_double_writes(wired: Stack) -> None:
    for name in ("setone", "settwo"):
        assert put(wired.sets_url(name), _set_body()).status_code == 201
    wired.emulator.control(
        "PUT",
        "/_emulator/faults",
        json=[{"method": "PATCH", "pathRegex": "credentialSets/settwo", "status": 500, "count": 1}],
    ).raise_for_status()
    wired.emulator.control("DELETE", "/_emulator/requests")
    wired.emulator.control(
        "PUT", "/_emulator/secrets/demo-kv/dockerhub-password", json={"value": "demo-password"}
    ).raise_for_status()
    eventually(lambda: 500 in _patches(wired, "settwo"), "the injected failure")
    # Event Grid retries a failed delivery after 10 s (of the emulator's clock).
    wired.emulator.control("POST", "/_emulator/clock", json={"advanceSeconds": 15}).raise_for_status()
    eventually(lambda: _patches(wired, "settwo") == [500, 200], "the redelivery's write")
    # A re-sent flag keeps its id (subscribers drop the repeat): one distinct flag per set.
    eventually(
        lambda: len({f["id"] for f in flags(wired, "ArtifactCache.CredentialSetRotated")}) == 2,
        "a rotation flag per set",
    )
    assert _patches(wired, "setone") == [200]  # done before the failure, not repeated


def test_a_deleted_set_loses_only_its_own_grant(wired: Stack) -> None:
    principals = {}
    for name in ("setone", "settwo"):
        answer = put(wired.sets_url(name), _set_body())
        assert answer.status_code == 201, answer.text
        principals[name] = answer.json()["principalId"]
    assert set(principals.values()) <= _policies(wired)
    wired.arm(
        "DELETE", _set_path(wired, "setone"), params={"api-version": "2025-11-01"}
    )  # by hand, not the API
    eventually(lambda: principals["setone"] not in _policies(wired), "the deleted set's grant removed")
    assert principals["settwo"] in _policies(wired)


def test_a_deleted_registrys_grants_are_removed(wired: Stack) -> None:
    created = put(wired.rules_url("ubuntu"), docker_rule())
    assert created.status_code == 201, created.text
    principal = created.json()["credentialSet"]["principalId"]
    registry_id = _set_path(wired, "x").split("/credentialSets/")[0]
    assert principal in _policies(wired)
    wired.arm("DELETE", registry_id, params={"api-version": "2025-11-01"})
    eventually(lambda: principal not in _policies(wired), "the grant removed")


def test_a_switch_to_rbac_is_healed_with_a_role_assignment(wired: Stack) -> None:
    created = put(wired.rules_url("ubuntu"), docker_rule())
    assert created.status_code == 201, created.text
    set_id = created.json()["credentialSet"]
    wired.arm(
        "PATCH",
        _vault_path(),
        params={"api-version": "2023-07-01"},
        json={"properties": {"enableRbacAuthorization": True}},
    )
    (granted,) = eventually(lambda: flags(wired, "ArtifactCache.AccessGranted"), "an AccessGranted flag")
    assert granted["data"]["principalId"] == set_id["principalId"]
    audit = requests.get(f"{wired.api}/audit", params={"resource": _vault_path()}, timeout=30).json()["value"]
    # Two events race here, both legitimately: the switch's VaultAccessPolicyChanged and, when it is delivered after
    # the switch, the Resources event of the PUT's own credential set write. Whichever runs first grants; the
    # other finds the grant in place. One role assignment, caused by one of them.
    created = [e for e in audit if e["action"] == "roleAssignment.create"]
    assert len(created) == 1, created
    assert created[0]["cause"].get("eventType", "").endswith(("PolicyChanged", "ResourceWriteSuccess"))


def _policies(stack: Stack) -> set[str]:
    vault = stack.arm("GET", _vault_path(), params={"api-version": "2023-07-01"})
    return {p["objectId"] for p in vault["properties"].get("accessPolicies") or []}


def _vault_path() -> str:
    return (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-rg"
        "/providers/Microsoft.KeyVault/vaults/demo-kv"
    )


def _set_path(stack: Stack, name: str) -> str:
    registries = stack.arm(
        "GET",
        "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.ContainerRegistry/registries",
        params={"api-version": "2025-11-01"},
    )["value"]
    registry = next(r for r in registries if r["name"] == "demoregistry")
    return f"{registry['id']}/credentialSets/{name}"
