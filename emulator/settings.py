"""Runtime knobs set through PUT /_emulator/settings (fields left out keep their value)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from emulator.http import ServiceError

NULLABLE = frozenset({"operationRetryAfter"})  # settings where null means "off"
WHOLE = frozenset({"latencyMs", "pageSize", "lroPolls", "operationRetryAfter"})


@dataclass
class Settings:
    latencyMs: int = 0
    pageSize: int = 100
    healthRefreshSeconds: float = 0
    roleAssignmentDelaySeconds: float = 0
    throttling: bool = True
    # LRO pacing (emulator extensions). operationRetryAfter: whole seconds sent as Retry-After on 201/202
    # answers and status polls; null (the default) sends none, as the service does in the azure-cli
    # recordings, so the client's own polling_interval applies. lroPolls: how many status polls answer the
    # pending state before the operation finishes; lroSeconds: clock seconds after which an unpolled
    # operation finishes on its own.
    operationRetryAfter: int | None = None
    lroPolls: int = 0
    lroSeconds: float = 1

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, body: Any) -> None:
        """Apply the fields given; every field is checked first, so a refused body changes nothing."""
        if not isinstance(body, dict):
            raise ServiceError(400, "InvalidSettings", "settings must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ServiceError(400, "InvalidSettings", f"unknown settings: {', '.join(unknown)}")
        checked = {name: self._checked(name, value) for name, value in body.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def _checked(self, name: str, value: Any) -> Any:
        if name in NULLABLE and value is None:
            return None
        if isinstance(getattr(self, name), bool):
            if not isinstance(value, bool):
                raise ServiceError(400, "InvalidSettings", f"{name} must be a boolean")
            return value
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ServiceError(400, "InvalidSettings", f"{name} must be a non-negative number")
        if name == "pageSize" and value < 1:
            raise ServiceError(400, "InvalidSettings", "pageSize must be at least 1")
        if name in WHOLE:
            if value != int(value):
                raise ServiceError(400, "InvalidSettings", f"{name} must be a whole number")
            return int(value)
        return value
