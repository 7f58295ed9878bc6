"""An event storm: every Key Vault SecretNewVersionCreated event of many rotated secrets, duplicated and shuffled,
delivered in concurrent batches to two instances (failed batches redelivered, as Event Grid does). The end state
must equal that of a clean single in-order delivery to an identical twin group of credential sets, with the same
number of Azure writes: a duplicate or a late, older event costs nothing.

`make test`: 5 secrets, 100 events; `make soak`: 50 secrets, 1,000 events."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.reliability.conftest import SOAK, Pair
from tests.reliability.world import deliver, new_version, secret_event

SECRETS, EVENTS, VERSIONS = (50, 1000, 3) if SOAK else (5, 100, 3)
VAULT = "demo-kv"
BATCH = 10


def _make_group(fresh: Pair, group: str) -> dict[str, list[str]]:
    """SECRETS credential sets ``<group>set<i>`` pinned to their secret's first version; returns the versions."""
    stack = fresh.stack
    stack.emulator.control("PUT", f"/_emulator/secrets/{VAULT}/{group}-user", json={"value": "demo-user"})
    versions: dict[str, list[str]] = {}
    for i in range(SECRETS):
        secret = f"{group}-pass-{i}"
        first = new_version(stack, VAULT, secret, "demo-password")
        body = {
            "loginServer": "docker.io",
            "usernameSecretUri": f"https://{VAULT}.vault.azure.net/secrets/{group}-user",
            "passwordSecretUri": f"https://{VAULT}.vault.azure.net/secrets/{secret}/{first}",
        }
        url = f"{fresh.instances[i % 2].url}/api/registries/demoregistry/credential-sets/{group}set{i}"
        answer = requests.put(url, json=body, timeout=120)
        assert answer.status_code == 201, answer.text
        versions[secret] = [first]
    for _ in range(VERSIONS):
        for secret in versions:
            versions[secret].append(new_version(stack, VAULT, secret, "demo-password"))
    return versions


def _events(versions: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        secret_event(VAULT, secret, version, event_id=f"{secret}-{version}")
        for secret, listed in versions.items()
        for version in listed[1:]
    ]


def _deliver_all(fresh: Pair, batches: list[list[dict[str, Any]]], *, workers: int) -> None:
    """Deliver every batch, redelivering failed ones (Event Grid retries a batch that did not answer 2xx)."""
    pending = batches
    for _ in range(30):
        if not pending:
            return

        def send(item: tuple[int, list[dict[str, Any]]]) -> bool:
            return deliver(fresh.instances[item[0] % 2].url, item[1]).status_code < 300

        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(send, enumerate(pending)))
        pending = [batch for batch, ok in zip(pending, done, strict=True) if not ok]
    raise AssertionError(f"{len(pending)} batches never accepted")


def _end_state(fresh: Pair, group: str) -> tuple[list[str], Counter[str]]:
    """Each set's password secret version, and the Azure writes per set (index, not name, so groups compare)."""
    versions = []
    for i in range(SECRETS):
        url = f"{fresh.stack.api}/registries/demoregistry/credential-sets/{group}set{i}"
        versions.append(requests.get(url, timeout=30).json()["passwordSecretUri"].rsplit("/", 1)[-1])
    writes: Counter[str] = Counter()
    for r in fresh.stack.arm_writes():
        marker = f"/credentialSets/{group}set"
        if marker in r["path"] and r["status"] < 300 and r["method"] != "PUT":
            writes[r["path"].split(marker)[1].split("?")[0]] += 1
    return versions, writes


def test_a_storm_of_duplicated_reordered_events_ends_as_one_clean_delivery(fresh: Pair) -> None:
    clean, storm = _make_group(fresh, "clean"), _make_group(fresh, "storm")

    _deliver_all(fresh, [[e] for e in _events(clean)], workers=1)  # once each, in order
    distinct = _events(storm)
    shuffled = [random.Random(13).choice(distinct) for _ in range(EVENTS - len(distinct))] + distinct
    random.Random(7).shuffle(shuffled)
    _deliver_all(fresh, [shuffled[i : i + BATCH] for i in range(0, len(shuffled), BATCH)], workers=4)

    clean_versions, clean_writes = _end_state(fresh, "clean")
    storm_versions, storm_writes = _end_state(fresh, "storm")
    assert clean_versions == [clean[f"clean-pass-{i}"][-1] for i in range(SECRETS)]  # the latest version
    assert storm_versions == [storm[f"storm-pass-{i}"][-1] for i in range(SECRETS)]
    assert storm_writes == clean_writes
