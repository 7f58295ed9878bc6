"""Microsoft's Event Grid samples, loaded as JSON (never edited: variations are derived here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "azure-reference" / "events"
SCHEMAS = ("event-grid-schema", "cloud-events-schema")


def sample(provider: str, schema: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / provider / schema / f"{name}.json").read_text())
    return loaded


def retyped(event: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The same event under another type, in whichever schema it is written."""
    key = "type" if "source" in event else "eventType"
    return {**event, key: event_type}
