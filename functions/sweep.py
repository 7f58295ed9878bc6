"""The health sweep's triggers: ``health_sweep`` on its schedule, ``sweep_registry`` for each fanned-out registry.

Both only hand the binding's input to :class:`shared.services.sweep.SweepService`. The schedule and the queue name are
app settings read when the app is indexed (``SWEEP_SCHEDULE``, ``SWEEP_QUEUE``), with the contract's defaults.
"""

from __future__ import annotations

import azure.functions as func

from shared.config import get_settings
from shared.logs import quiet_sdk_loggers

quiet_sdk_loggers()
bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves __init__ unannotated
_settings = get_settings()


@bp.function_name(name="health_sweep")
@bp.timer_trigger(arg_name="timer", schedule=_settings.sweep_schedule, run_on_startup=False, use_monitor=True)
def health_sweep(timer: func.TimerRequest) -> None:
    from shared.services.container import get_services  # on first run, not at app import (cold start)

    get_services().sweeps.start(trigger="timer")


@bp.function_name(name="sweep_registry")
@bp.queue_trigger(arg_name="message", queue_name=_settings.sweep_queue, connection="AzureWebJobsStorage")
def sweep_registry(message: func.QueueMessage) -> None:
    """A failure raises, so the host retries the message and, after ``maxDequeueCount``, moves it to poison."""
    from shared.services.container import get_services  # on first run, not at app import (cold start)

    get_services().sweeps.check_message(message.get_body().decode("utf-8"))
