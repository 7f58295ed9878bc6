"""Schemathesis 4.32 (`--checks all`, every phase: examples, coverage, fuzzing, stateful through the document's
links) against the devhost serving GET /api/openapi.json, with a function key and the demo registry as test data.
0 failures. Skipped when schemathesis is not installed next to this interpreter (requirements-dev.txt).
SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES vary the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, Stack, app_env
from tests.support.devhost import Devhost, start_devhost

KEY = "schemathesis-key"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261203")  # another seed: SCHEMATHESIS_SEED=... pytest ...
CONFIG = """
[parameters]
"path.registry" = "demoregistry"
"""


def _schemathesis() -> str | None:
    found = os.environ.get("SCHEMATHESIS_BIN") or shutil.which(
        "schemathesis", path=str(Path(sys.executable).parent)
    )
    return found


@pytest.fixture(scope="module")
def keyed(stack: Stack) -> Iterator[Devhost]:
    env = app_env(stack.emulator, stack.azurite, HEALTH_WAIT_SECONDS="2", LEASE_WAIT_SECONDS="1")
    with start_devhost(REPO_ROOT, env=env, function_key=KEY) as devhost:
        yield devhost


def test_schemathesis_finds_no_failure(clean: Stack, keyed: Devhost, tmp_path: Path) -> None:
    binary = _schemathesis()
    if binary is None:
        pytest.skip("schemathesis is not installed: pip install -r requirements-dev.txt")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        binary,
        "--config-file",
        str(config),
        "run",
        f"{keyed.url}/api/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--header",
        f"x-functions-key: {KEY}",
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--seed",
        SEED,
        # The rule bodies' cross-field rules (credential policy, wildcard pairing) are anyOf/not over patterns,
        # which Hypothesis meets by filtering: a generator-efficiency check, not an API failure.
        "--suppress-health-check",
        "filter_too_much",
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    print(run.stdout[-700:])  # the summary (cases, failures, seed): shown with `pytest -rP`
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
