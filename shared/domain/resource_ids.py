"""Parsing ARM resource IDs (case-insensitive, as ARM is)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceId:
    subscription_id: str
    resource_group: str
    provider: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def parent_name(self) -> str:
        return self.names[0]


def parse_resource_id(resource_id: str) -> ResourceId:
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        sub = parts[lowered.index("subscriptions") + 1]
        rg = parts[lowered.index("resourcegroups") + 1]
        provider_at = lowered.index("providers")
        provider = parts[provider_at + 1]
    except (ValueError, IndexError) as exc:
        raise ValueError(f"not an ARM resource ID: {resource_id!r}") from exc
    rest = parts[provider_at + 2 :]
    if len(rest) < 2 or len(rest) % 2:
        raise ValueError(f"not an ARM resource ID: {resource_id!r}")
    return ResourceId(
        subscription_id=sub,
        resource_group=rg,
        provider=provider,
        types=tuple(rest[0::2]),
        names=tuple(rest[1::2]),
    )
