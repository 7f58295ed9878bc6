"""Event Grid: typed read-only views of the events the app reacts to (both schemas), with no Azure import.

``functions/`` turns a trigger's input into envelopes (``from_function_events``) or a webhook body into them
(``parse_events``), then asks ``view_of`` for each; handlers take the views.
"""

from shared.events._fields import EventParseError
from shared.events.envelope import (
    MAX_BATCH_EVENTS,
    MAX_BODY_BYTES,
    EventEnvelope,
    Schema,
    from_function_event,
    from_function_events,
    parse_events,
)
from shared.events.keyvault import (
    SecretEvent,
    SecretExpired,
    SecretNearExpiry,
    SecretNewVersionCreated,
    VaultAccessPolicyChanged,
    VaultEvent,
)
from shared.events.resources import (
    AcrKind,
    AcrResource,
    Principal,
    ResourceActionSuccess,
    ResourceDeleteSuccess,
    ResourceEvent,
    ResourceWriteSuccess,
    acr_resource,
)
from shared.events.views import VIEWS, EventView, view_of

__all__ = [
    "MAX_BATCH_EVENTS",
    "MAX_BODY_BYTES",
    "VIEWS",
    "AcrKind",
    "AcrResource",
    "EventEnvelope",
    "EventParseError",
    "EventView",
    "Principal",
    "ResourceActionSuccess",
    "ResourceDeleteSuccess",
    "ResourceEvent",
    "ResourceWriteSuccess",
    "Schema",
    "SecretEvent",
    "SecretExpired",
    "SecretNearExpiry",
    "SecretNewVersionCreated",
    "VaultAccessPolicyChanged",
    "VaultEvent",
    "acr_resource",
    "from_function_event",
    "from_function_events",
    "parse_events",
    "view_of",
]
