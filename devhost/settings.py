"""App settings for local runs, read the way Core Tools reads local.settings.json.

`Values` become environment variables before function_app.py is imported. A variable that is
already set in the environment wins over the file, just as Azure's app settings are the process
environment and Core Tools never overrides an existing variable. Relative paths in values (for
example REQUESTS_CA_BUNDLE=.local/emulator/ca.pem) stay as given: the devhost runs the app with the
app directory as its working directory, as the Python worker does, so they resolve against it.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

SETTINGS_FILE = "local.settings.json"
SAMPLE_SETTINGS_FILE = "local.settings.sample.json"


class SettingsError(Exception):
    """The settings file cannot be used (encrypted, malformed)."""


@dataclass
class LocalSettings:
    path: Path | None
    values: dict[str, str] = field(default_factory=dict)
    local_http_port: int | None = None


def find_settings_file(app_dir: Path, explicit: Path | None = None) -> Path | None:
    """The explicit file, else local.settings.json, else local.settings.sample.json, else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise SettingsError(f"settings file {explicit} does not exist")
        return explicit
    for name in (SETTINGS_FILE, SAMPLE_SETTINGS_FILE):
        candidate = app_dir / name
        if candidate.is_file():
            return candidate
    return None


def _as_setting(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def read_settings(path: Path | None) -> LocalSettings:
    """Parse a local.settings.json; encrypted files are refused (the devhost has no machine key)."""
    if path is None:
        return LocalSettings(None)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    if not isinstance(document, dict):
        raise SettingsError(f"{path} must hold a JSON object")
    if document.get("IsEncrypted") is True:
        raise SettingsError(
            f"{path} is encrypted (IsEncrypted: true). Decrypt it with `func settings decrypt` "
            "or write the values in plain text; the devhost cannot decrypt machine-bound settings."
        )
    values = document.get("Values") or {}
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: Values must be an object")
    host = document.get("Host") or {}
    port = host.get("LocalHttpPort") if isinstance(host, dict) else None
    return LocalSettings(
        path,
        {str(k): _as_setting(v) for k, v in values.items()},
        int(port) if port not in (None, "") else None,
    )


def apply_settings(settings: LocalSettings, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Export values not already in the environment; return the names that were set."""
    target = os.environ if environ is None else environ
    applied = []
    for name, value in settings.values.items():
        if name not in target:
            target[name] = value
            applied.append(name)
    return applied
