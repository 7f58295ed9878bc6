"""Event Grid trigger for Key Vault events: trigger input -> envelopes -> dispatch (the work is in shared/)."""

from __future__ import annotations

import azure.functions as func

from shared.logs import quiet_sdk_loggers

quiet_sdk_loggers()
bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves __init__ unannotated


@bp.function_name(name="on_keyvault_event")
@bp.event_grid_trigger(arg_name="event")
def on_keyvault_event(event: func.EventGridEvent) -> None:
    """Accepts ``func.EventGridEvent`` or ``func.CloudEvent``, one or a batch; raises so Event Grid redelivers.

    The event modules and the container are imported here, when an event arrives, not when the app starts."""
    from shared.events.dispatch import dispatch
    from shared.events.envelope import from_function_events
    from shared.services.container import get_services

    dispatch(from_function_events(event), get_services().events)
