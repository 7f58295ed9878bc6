"""One emulator for the whole session; each test starts from the demo seed with fast LRO settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emulator import Emulator, start_emulator

FAST = {"throttling": False}


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with start_emulator(tmp_path_factory.mktemp("emulator-core")) as emu:
        yield emu


@pytest.fixture
def emu(emulator_server: Emulator) -> Emulator:
    emulator_server.reset()
    emulator_server.settings(**FAST)
    return emulator_server
