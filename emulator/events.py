"""The Event Grid side of the core: builds emulator.eventgrid.EventGrid, or a stand-in while it is absent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class UnavailableEventGrid:
    """Same interface as emulator.eventgrid.EventGrid; drops system events, answers 501 to its control calls."""

    def __init__(self, *, now: Callable[[], float]) -> None:
        self._now = now

    def reset(self) -> None:
        return None

    def close(self) -> None:
        return None

    def clock_advanced(self) -> None:
        return None

    def _unavailable(self) -> tuple[int, Any]:
        return 501, {"error": {"code": "NotImplemented", "message": "emulator.eventgrid is not installed"}}

    def put_subscription(self, name: str, body: Any) -> tuple[int, Any]:
        return self._unavailable()

    def delete_subscription(self, name: str) -> tuple[int, Any]:
        return self._unavailable()

    def list_subscriptions(self) -> tuple[int, Any]:
        return self._unavailable()

    def topic_events(self, topic: str) -> tuple[int, Any]:
        return self._unavailable()

    def deliveries(self) -> tuple[int, Any]:
        return self._unavailable()

    def publish(
        self, topic: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        return 501, {"Content-Type": "application/json"}, b'{"error": {"code": "NotImplemented"}}'

    def emit_keyvault(self, **kwargs: Any) -> None:
        return None

    def emit_resource(self, **kwargs: Any) -> None:
        return None


def make_event_grid(now: Callable[[], float]) -> Any:
    try:
        from emulator.eventgrid import EventGrid
    except ImportError:
        return UnavailableEventGrid(now=now)
    return EventGrid(now=now)
