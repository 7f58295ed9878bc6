"""Event type -> view: the one place that knows which class reads which event."""

from __future__ import annotations

from types import MappingProxyType

from shared.events.envelope import EventEnvelope
from shared.events.keyvault import (
    SecretExpired,
    SecretNearExpiry,
    SecretNewVersionCreated,
    VaultAccessPolicyChanged,
    VaultEvent,
)
from shared.events.resources import (
    ResourceActionSuccess,
    ResourceDeleteSuccess,
    ResourceEvent,
    ResourceWriteSuccess,
)

EventView = VaultEvent | ResourceEvent

VIEWS: MappingProxyType[str, type[VaultEvent] | type[ResourceEvent]] = MappingProxyType(
    {
        view.event_type.casefold(): view
        for view in (
            SecretNewVersionCreated,
            SecretNearExpiry,
            SecretExpired,
            VaultAccessPolicyChanged,
            ResourceWriteSuccess,
            ResourceDeleteSuccess,
            ResourceActionSuccess,
        )
    }
)


def view_of(envelope: EventEnvelope) -> EventView | None:
    """The typed view of a known event type (matched case-insensitively), None for any other type.

    Raises :class:`EventParseError` when a known type lacks what its view needs.
    """
    view = VIEWS.get(envelope.type.casefold())
    return view.from_envelope(envelope) if view is not None else None
