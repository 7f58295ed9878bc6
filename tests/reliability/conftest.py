"""The reliability suite's stack: the seeded emulator, Azurite and TWO devhost instances sharing both, so every
scenario runs across instances as a scaled-out Function App would.

Scenario sizes are small under `make test`; `make soak` sets RELIABILITY_SOAK=1 for the issue's full sizes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.conftest import REPO_ROOT, Stack, app_env
from tests.support.azurite import start_azurite
from tests.support.devhost import Devhost, start_devhost
from tests.support.emulator import start_emulator

SOAK = os.environ.get("RELIABILITY_SOAK") == "1"
TOPIC = "acr-cache-health"

# Settings every instance shares: short waits so a fault's retries and a crashed lease play out quickly.
INSTANCE_ENV = {
    "LEASE_TTL_SECONDS": "3",
    "LEASE_WAIT_SECONDS": "10",
    "ARM_RETRY_TOTAL": "3",
    "ARM_RETRY_BACKOFF_MAX_SECONDS": "2",
    # Longer than test_crash's stalled PATCH (8 s), so the dead worker still holds its event when it is redelivered
    # early; short enough that the redelivery after it finishes the rotation within the test.
    "EVENT_CLAIM_SECONDS": "12",
}


def topic_env(emulator_url: str) -> dict[str, str]:
    """Flags go to the emulator's health topic (else to make run's default port, which is not running)."""
    return {
        "HEALTH_TOPIC_ENDPOINT": f"{emulator_url}/eventgrid/topics/{TOPIC}/api/events",
        "HEALTH_TOPIC_KEY": "local-key",
    }


@dataclass
class Pair:
    """Two instances of the app on one emulator and one Azurite; ``stack`` addresses the first."""

    stack: Stack
    second: Devhost

    @property
    def instances(self) -> tuple[Devhost, Devhost]:
        return (self.stack.devhost, self.second)


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("reliability")
    with start_azurite(tmp) as azurite, start_emulator(tmp / "emulator", seed="demo") as emulator:
        env = app_env(emulator, azurite, **INSTANCE_ENV, **topic_env(emulator.url))
        with start_devhost(REPO_ROOT, env=env) as first, start_devhost(REPO_ROOT, env=env) as second:
            yield Pair(stack=Stack(emulator=emulator, azurite=azurite, devhost=first), second=second)


@pytest.fixture
def fresh(pair: Pair) -> Pair:
    """A freshly seeded emulator (no faults, empty request log) for each test."""
    pair.stack.reset()
    return pair
