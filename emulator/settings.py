"""Runtime knobs set through PUT /_emulator/settings (fields left out keep their value)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from emulator.http import ServiceError


@dataclass
class Settings:
    latencyMs: int = 0
    pageSize: int = 100
    healthRefreshSeconds: float = 0
    roleAssignmentDelaySeconds: float = 0
    throttling: bool = True
    # LRO pacing (emulator extensions): Retry-After sent on 201/202 and status polls (0 = no header, the
    # client's polling_interval applies); how many status polls answer InProgress before the operation
    # finishes; and after how many clock seconds an unpolled operation finishes on its own.
    lroRetryAfterSeconds: int = 1
    lroPolls: int = 0
    lroSeconds: float = 1

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ServiceError(400, "InvalidSettings", "settings must be a JSON object")
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(body) - set(known))
        if unknown:
            raise ServiceError(400, "InvalidSettings", f"unknown settings: {', '.join(unknown)}")
        for name, value in body.items():
            current = getattr(self, name)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ServiceError(400, "InvalidSettings", f"{name} must be a boolean")
            elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ServiceError(400, "InvalidSettings", f"{name} must be a non-negative number")
            if name == "pageSize" and value < 1:
                raise ServiceError(400, "InvalidSettings", "pageSize must be at least 1")
            if isinstance(current, int) and not isinstance(current, bool):
                value = int(value)
            setattr(self, name, value)
