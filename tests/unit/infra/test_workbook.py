"""The Azure Monitor workbook charts events the code still emits, with the dimensions those events carry."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
WORKBOOK = ROOT / "infra" / "modules" / "workbook.json"


def emitted_events() -> dict[str, set[str]]:
    """``{event name: its dimension names}`` from every ``event(log, level, "Name", **dims)`` call in the app."""
    found: dict[str, set[str]] = {}
    for path in [*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "event":
                for name in _names(node.args[2]) if len(node.args) >= 3 else []:
                    found.setdefault(name, set()).update(k.arg for k in node.keywords if k.arg)
    return found


def _names(node: ast.expr) -> list[str]:
    """An event name given as a literal, or as ``"A" if ... else "B"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _names(node.body) + _names(node.orelse)
    return []


def queries() -> dict[str, str]:
    document: dict[str, Any] = json.loads(WORKBOOK.read_text(encoding="utf-8"))
    assert document["version"] == "Notebook/1.0"
    return {i["name"]: i["content"]["query"] for i in document["items"] if i["type"] == 3}


def test_it_charts_flags_rotations_sweeps_and_failures() -> None:
    assert {"flags", "rotations", "sweep-cost", "failures"} <= set(queries())


def test_every_charted_event_and_dimension_is_emitted_by_the_app() -> None:
    events = emitted_events()
    assert "SweepCompleted" in events and "durationMs" in events["SweepCompleted"]  # the scan itself works
    for name, kql in queries().items():
        charted = re.findall(r'message startswith "(\w+)"', kql)
        assert charted, f"{name} reads no event"
        for event_name in charted:
            assert event_name in events, f"{name}: no code emits {event_name}"
        dimensions = set(re.findall(r"\bd\.(\w+)", kql))
        carried = set().union(*(events[e] for e in charted))
        assert dimensions <= carried, f"{name}: {sorted(dimensions - carried)} not carried by {charted}"


def test_the_bicep_deploys_the_json_against_the_app_insights_component() -> None:
    bicep = (ROOT / "infra" / "modules" / "workbook.bicep").read_text(encoding="utf-8")
    assert "loadTextContent('workbook.json')" in bicep and "sourceId: appInsights.id" in bicep
    assert "module workbook 'modules/workbook.bicep'" in (ROOT / "infra" / "main.bicep").read_text(
        encoding="utf-8"
    )
