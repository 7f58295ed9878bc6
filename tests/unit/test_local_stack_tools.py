"""scripts/az-local finds the emulator port `make run` used, and a second devhost joins the same stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devhost import stack

ROOT = Path(__file__).resolve().parents[2]


def _stack_port(stack_file: Path) -> str:
    script = ROOT / "scripts" / "az_local.py"
    command = [sys.executable, str(script), "stack-port", "--stack-file", str(stack_file)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def test_az_local_reads_the_port_make_run_recorded(tmp_path: Path) -> None:
    recorded = tmp_path / "stack.json"
    recorded.write_text(json.dumps({"devhost": 7171, "emulator": 9443, "azurite": 11000}))

    assert _stack_port(recorded) == "9443"
    assert _stack_port(tmp_path / "absent.json") == "8443"


def test_a_second_devhost_uses_the_recorded_emulator_and_azurite(tmp_path: Path) -> None:
    env = stack.devhost_env(9443, 11000, tmp_path / "emulator")

    assert env["AZURE_LOCAL_ENDPOINT"] == "https://127.0.0.1:9443"
    assert "TableEndpoint=http://127.0.0.1:11002/" in env["AzureWebJobsStorage"]


def test_a_second_devhost_without_a_running_stack_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))

    assert stack.second(7072) == 2
    assert "make run" in capsys.readouterr().err
