"""Rotation while Azure misbehaves: the Key Vault events of rotated secrets, duplicated and shuffled, delivered to
two instances during 429 storms with Retry-After, 500s, 503s on reads, slow answers, PATCHes whose operation ends
Failed and connections reset before or after a PATCH is applied. Event Grid redelivers every batch not answered 2xx;
once the faults stop, every credential set must be on its secret's latest version and Succeeded, its grants as they
were, and each set's move to that version flagged ``CredentialSetRotated``: no update lost."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.reliability.conftest import SOAK, TOPIC, Pair
from tests.reliability.world import (
    azure_state,
    deliver_all,
    faults_settled,
    make_rotation_group,
    rotation_end_state,
    rotation_events,
    set_faults,
    until,
)

SECRETS, VERSIONS = (12, 3) if SOAK else (4, 2)
PATCH = {"method": "PATCH", "pathRegex": "/credentialSets/"}
READ = {"method": "GET", "pathRegex": "/credentialSets/"}

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "429-storm": [
        {**PATCH, "status": 429, "retryAfter": 1, "count": 2 * SECRETS},
        {**READ, "status": 429, "retryAfter": 1, "count": 2 * SECRETS},
    ],
    "500": [{**PATCH, "status": 500, "count": 3 * SECRETS}],
    "503-reads": [{**READ, "status": 503, "count": 3 * SECRETS}],
    "slow": [{"pathRegex": "/subscriptions/", "delayMs": 300, "count": 10 * SECRETS}],
    "lro-failed": [{**PATCH, "lroResult": "Failed", "count": SECRETS}],
    "reset-before": [{**PATCH, "reset": "before", "count": SECRETS}],
    "reset-after": [{**PATCH, "reset": "after", "count": SECRETS}],
}


def _rotated_to(fresh: Pair) -> set[tuple[str, str]]:
    """(set name, version) of every CredentialSetRotated flag on the health topic."""
    stored = fresh.stack.emulator.control("GET", f"/_emulator/topics/{TOPIC}/events").json()
    return {
        (r["event"]["data"]["credentialSet"], r["event"]["data"]["version"])
        for r in stored
        if r["event"].get("type") == "ArtifactCache.CredentialSetRotated"
    }


@pytest.mark.parametrize("faults", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_rotation_under_faults_loses_no_update(fresh: Pair, faults: list[dict[str, Any]]) -> None:
    stack = fresh.stack
    versions = make_rotation_group(fresh, "rot", secrets=SECRETS, versions=VERSIONS)
    before = azure_state(stack)
    events = rotation_events(versions)
    storm = events + [random.Random(5).choice(events) for _ in range(len(events))]  # every one, plus repeats
    random.Random(11).shuffle(storm)

    set_faults(stack, faults)
    deliver_all(fresh, [storm[i : i + 3] for i in range(0, len(storm), 3)], workers=4, pause=1.0)
    hits = [f["count"] - f["remaining"] for f in stack.emulator.control("GET", "/_emulator/faults").json()]
    set_faults(stack, [])
    until(lambda: faults_settled(stack), "the delayed requests finish")

    assert all(hits), "every injected fault was hit"
    latest = [versions[f"rot-pass-{i}"][-1] for i in range(SECRETS)]
    assert rotation_end_state(fresh, "rot", secrets=SECRETS)[0] == latest, "every set on its latest version"
    after = azure_state(stack)
    left = {cs["name"]: cs["properties"]["provisioningState"] for cs in after.sets.values()}
    assert {name: state for name, state in left.items() if state != "Succeeded"} == {}
    assert (after.policies, after.assignments) == (before.policies, before.assignments), "grants as they were"
    assert {(f"rotset{i}", latest[i]) for i in range(SECRETS)} <= _rotated_to(fresh)
