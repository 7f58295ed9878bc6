"""ARM resource IDs as events carry them (any casing, sometimes placeholders): parsed or None, never an error."""

from __future__ import annotations

from shared.domain.resource_ids import ResourceId, parse_resource_id


def resource_id_or_none(value: str | None) -> ResourceId | None:
    """The parsed ID, or None for anything that is not one (a resource group topic, a vault name, junk)."""
    if not value:
        return None
    try:
        return parse_resource_id(value)
    except ValueError:
        return None


def types_of(resource: ResourceId) -> tuple[str, ...]:
    """Provider and resource types, lower-cased, as ARM compares them."""
    return (resource.provider.lower(), *(t.lower() for t in resource.types))


def arm_id(resource: ResourceId, provider: str, *types: str) -> str:
    """The canonical ID of ``resource`` spelled with Azure's casing for ``provider`` and ``types``."""
    path = "/".join(f"{t}/{n}" for t, n in zip(types, resource.names, strict=True))
    return (
        f"/subscriptions/{resource.subscription_id}/resourceGroups/{resource.resource_group}"
        f"/providers/{provider}/{path}"
    )
