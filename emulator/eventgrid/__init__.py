"""Local Event Grid: system events to webhooks (at least once, with retries) and custom topics."""

from emulator.eventgrid.service import EventGrid

__all__ = ["EventGrid"]
