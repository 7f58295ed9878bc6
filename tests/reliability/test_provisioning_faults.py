"""Provisioning through two instances while Azure misbehaves (429 storms with Retry-After, 500, 503, slow answers,
operations ending Failed, connection resets before and after a write is applied). Every failed request must be a
problem response; once the faults stop, repeating the failed requests must converge: no rule lost, no credential set
orphaned or left Failed, no grant missing or extra."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.reliability.conftest import SOAK, Pair
from tests.reliability.world import (
    azure_state,
    convergence_problems,
    is_problem,
    put_until_done,
    rule_specs,
    seed_secrets,
    set_faults,
)

RULES, PAIRS = (40, 10) if SOAK else (8, 3)
WRITES = "/credentialSets/|/cacheRules/|/accessPolicies/|/roleAssignments/"

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "429-storm": [{"pathRegex": "/subscriptions/", "status": 429, "retryAfter": 1, "count": 4 * RULES}],
    "500": [{"method": "PUT", "pathRegex": "/credentialSets/", "status": 500, "count": 4 * RULES}],
    "503": [
        {"method": "PUT", "pathRegex": "/accessPolicies/|/roleAssignments/", "status": 503, "count": RULES}
    ],
    "slow": [{"pathRegex": "/subscriptions/", "delayMs": 300, "count": 10 * RULES}],
    "lro-failed": [
        {"method": "PUT", "pathRegex": "/credentialSets/", "lroResult": "Failed", "count": RULES // 2},
        {"method": "PUT", "pathRegex": "/cacheRules/", "lroResult": "Failed", "count": RULES // 2},
    ],
    "reset-before": [{"method": "PUT", "pathRegex": WRITES, "reset": "before", "count": RULES}],
    "reset-after": [{"method": "PUT", "pathRegex": WRITES, "reset": "after", "count": RULES}],
}


@pytest.mark.parametrize("faults", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_provisioning_under_faults_converges_once_they_stop(
    fresh: Pair, faults: list[dict[str, Any]]
) -> None:
    stack = fresh.stack
    seed_secrets(stack, PAIRS)
    baseline = azure_state(stack)
    specs = rule_specs(RULES, pairs=PAIRS)
    urls = [
        f"{fresh.instances[i % 2].url}/api/registries/demoregistry/cache-rules/{spec.target}"
        for i, spec in enumerate(specs)
    ]
    other = [
        f"{fresh.instances[(i + 1) % 2].url}/api/registries/demoregistry/cache-rules/{spec.target}"
        for i, spec in enumerate(specs)
    ]
    set_faults(stack, faults)

    def first_try(i: int) -> requests.Response:
        return requests.put(urls[i], json=specs[i].body(), timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(first_try, range(len(specs))))
    hits = [f["count"] - f["remaining"] for f in stack.emulator.control("GET", "/_emulator/faults").json()]
    set_faults(stack, [])

    assert all(hits), "every injected fault was hit"

    invisible = [(a.status_code, a.text[:200]) for a in answers if a.status_code >= 400 and not is_problem(a)]
    assert invisible == [], "a failure that is not a problem response"
    # The next request (through the other instance) finishes or repairs what the failed one left.
    retried = [
        put_until_done(other[i], spec.body()) for i, spec in enumerate(specs) if answers[i].status_code >= 400
    ]
    assert [(a.status_code, a.text[-400:]) for a in retried if a.status_code >= 400] == []
    assert convergence_problems(azure_state(stack), specs, baseline) == []
