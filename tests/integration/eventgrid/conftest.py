from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.eventgrid import EventGrid
from tests.integration.eventgrid.harness import OffsetClock, Webhook


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
def eventgrid(clock: OffsetClock) -> Iterator[EventGrid]:
    grid = EventGrid(now=clock, handshake_timeout=5.0, delivery_timeout=5.0)
    yield grid
    grid.close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as hook:
        yield hook
