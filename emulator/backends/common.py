"""Helpers shared by the backends: resource ids, timestamps, name rules."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Protocol

from emulator.http import ServiceError


def iso(ts: float) -> str:
    """ARM timestamp with 7 fractional digits, as the spec examples show (2022-11-07T18:20:33.8374968+00:00)."""
    moment = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"


def iso_z(ts: float) -> str:
    """Timestamp in the systemData form of the examples (2020-01-01T12:00:00.0000000Z)."""
    return iso(ts).removesuffix("+00:00") + "Z"


@dataclass(slots=True)
class SystemData:
    """ARM `systemData`: who created and last changed a resource, and when (the recordings show it on cache
    rules and credential sets). Callers are service principals or managed identities: "Application"."""

    created_by: str
    created_at: float
    modified_by: str
    modified_at: float

    @classmethod
    def new(cls, principal: str | None, now: float) -> SystemData:
        return cls(principal or "", now, principal or "", now)

    def touch(self, principal: str | None, now: float) -> None:
        self.modified_by, self.modified_at = principal or "", now

    def to_json(self) -> dict[str, str]:
        return {
            "createdBy": self.created_by,
            "createdByType": "Application",
            "createdAt": iso(self.created_at),
            "lastModifiedBy": self.modified_by,
            "lastModifiedByType": "Application",
            "lastModifiedAt": iso(self.modified_at),
        }


def rg_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def check_name(kind: str, name: str, low: int, high: int, pattern: str) -> None:
    if not (low <= len(name) <= high) or not re.fullmatch(pattern, name):
        raise ServiceError(
            400,
            "InvalidResourceName",
            f"The {kind} name '{name}' is invalid: it must be {low}-{high} characters matching {pattern}.",
        )


def not_found(resource_type: str, name: str, group: str | None = None) -> ServiceError:
    where = f" under resource group '{group}'" if group else ""
    return ServiceError(
        404, "ResourceNotFound", f"The Resource '{resource_type}/{name}'{where} was not found."
    )


class Placed(Protocol):
    subscription: str  # stored lower-cased
    group: str


def in_scope(resource: Placed, subscription: str, group: str | None = None) -> bool:
    """Registry and vault names are global, yet ARM addresses each under one subscription and group
    (`group` None: any group of the subscription)."""
    return resource.subscription == subscription.lower() and (
        group is None or resource.group.lower() == group.lower()
    )
