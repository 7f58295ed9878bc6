"""An instance killed mid-request (between provisioning steps) or mid-rotation: the other instance, sharing Azurite,
converges on the next request or redelivery once the dead one's lease runs out."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest
import requests

from tests.e2e.conftest import REPO_ROOT, app_env
from tests.reliability.conftest import INSTANCE_ENV, Pair, topic_env
from tests.reliability.world import (
    azure_state,
    convergence_problems,
    deliver,
    fault_spent,
    faults_settled,
    new_version,
    put_until_done,
    rule_specs,
    secret_event,
    seed_secrets,
    set_faults,
    until,
)
from tests.support.devhost import Devhost, start_devhost

STALL_MS = 8_000  # longer than the test needs to kill the instance


def _doomed(fresh: Pair) -> Devhost:
    """A third instance on the same emulator and Azurite, to be killed with SIGKILL."""
    return start_devhost(
        REPO_ROOT,
        env=app_env(
            fresh.stack.emulator, fresh.stack.azurite, **INSTANCE_ENV, **topic_env(fresh.stack.emulator.url)
        ),
    )


def _in_background(url: str, body: object) -> threading.Thread:
    thread = threading.Thread(target=_quietly, args=(requests.put, url), kwargs={"json": body}, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "step",
    ["/credentialSets/", "/accessPolicies/|/roleAssignments/", "/cacheRules/"],
    ids=["creating-the-set", "granting", "creating-the-rule"],
)
def test_an_instance_killed_between_provisioning_steps_is_finished_by_the_next_request(
    fresh: Pair, step: str
) -> None:
    stack = fresh.stack
    seed_secrets(stack, 1)
    baseline = azure_state(stack)
    specs = rule_specs(2, pairs=1)  # one rule per vault (access policies and RBAC)
    path = "/api/registries/demoregistry/cache-rules/"
    for spec in specs:
        doomed = _doomed(fresh)
        try:
            set_faults(stack, [{"method": "PUT", "pathRegex": step, "delayMs": STALL_MS, "count": 1}])
            thread = _in_background(doomed.url + path + spec.target, spec.body())
            until(lambda: fault_spent(stack), "the stalled step reach Azure")
            doomed.process.kill()
            thread.join()
        finally:
            doomed.stop()
        until(
            lambda: faults_settled(stack), "the dead instance's stalled request land in Azure", attempts=200
        )
        answer = put_until_done(fresh.instances[0].url + path + spec.target, spec.body())
        assert answer.status_code in (200, 201), answer.text
    # A write the dead instance sent is still finishing in Azure: the state converges once it has.
    until(lambda: not convergence_problems(azure_state(stack), specs, baseline), "convergence", attempts=30)


def test_an_instance_killed_mid_rotation_is_finished_by_the_redelivery(fresh: Pair) -> None:
    stack = fresh.stack
    seed_secrets(stack, 1)
    (spec,) = rule_specs(1, pairs=1)
    version = new_version(stack, spec.vault, "pass-0", "demo-password")
    body = spec.body()
    body["credentials"]["passwordSecretUri"] += f"/{version}"  # pinned: a rotation must move the pin
    created = requests.put(
        f"{fresh.instances[0].url}/api/registries/demoregistry/cache-rules/{spec.target}",
        json=body,
        timeout=120,
    )
    assert created.status_code == 201, created.text
    set_name = created.json()["credentialSet"]["name"]
    rotated = new_version(stack, spec.vault, "pass-0", "demo-password")
    event = secret_event(spec.vault, "pass-0", rotated, event_id="rotation-1")

    doomed = _doomed(fresh)
    try:
        set_faults(
            stack,
            [
                {
                    "method": "PATCH",
                    "pathRegex": "/credentialSets/",
                    "delayMs": STALL_MS,
                    "status": 500,
                    "count": 1,
                }
            ],
        )
        thread = threading.Thread(target=lambda: _quietly(deliver, doomed.url, [event]), daemon=True)
        thread.start()
        until(lambda: fault_spent(stack), "the rotation's PATCH reach Azure")
        doomed.process.kill()
        thread.join()
    finally:
        doomed.stop()

    until(lambda: faults_settled(stack), "the dead instance's PATCH fail in Azure", attempts=200)
    # The dead worker's claim on the event refuses an early redelivery as retryable, writing nothing.
    writes = len(stack.arm_writes())
    early = deliver(fresh.second.url, [event])
    assert early.status_code >= 500 and len(stack.arm_writes()) == writes
    # Nobody extends a dead worker's claim: once it runs out (EVENT_CLAIM_SECONDS), a redelivery finishes the work,
    # as Event Grid's retry after a minute would in Azure (the claim was a fixed 5 minutes before).
    until(
        lambda: deliver(fresh.second.url, [event]).status_code < 300,
        "a redelivery after the dead worker's claim ran out",
        attempts=30,
        pause=1.0,
    )
    shown = requests.get(
        f"{fresh.second.url}/api/registries/demoregistry/credential-sets/{set_name}", timeout=30
    )
    assert shown.json()["passwordSecretUri"].endswith(f"/{rotated}")


def _quietly(call: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Call, ignoring the connection error of an instance killed under the call."""
    with contextlib.suppress(requests.RequestException):
        call(*args, **kwargs)
