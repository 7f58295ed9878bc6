"""Mapping SDK exceptions to the product's own, once, so services never see ``azure.core`` types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from shared.domain.errors import AzureRejected, Throttled, UpstreamServiceError

T = TypeVar("T")


def _details(exc: Any) -> tuple[int, str | None, str]:
    status = int(getattr(exc, "status_code", 0) or 0)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(getattr(exc, "message", "") or exc)
    return status, code, message.splitlines()[0] if message else ""


def retry_after(exc: Any) -> int | None:
    """Azure's ``Retry-After`` (whole seconds, as ARM sends it) from a failed response, if it gave one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(int(float(str(raw))), 0) if raw is not None else None
    except ValueError:
        return None


@contextmanager
def azure_call(action: str) -> Iterator[None]:
    """Raise :class:`AzureRejected` (4xx) or :class:`UpstreamServiceError` (throttled/5xx after retries)."""
    from azure.core.exceptions import AzureError, HttpResponseError

    try:
        yield
    except HttpResponseError as exc:
        status, code, message = _details(exc)
        if status == 429:
            raise Throttled(
                f"{action}: Azure is throttling this app ({code}): {message}", retry_after=retry_after(exc)
            ) from exc
        if status >= 500 or status == 0:
            raise UpstreamServiceError(
                f"{action}: Azure answered {status or 'no response'} ({code}): {message}",
                retry_after=retry_after(exc),
            ) from exc
        raise AzureRejected(f"{action}: {message}", http_status=status, code=code) from exc
    except AzureError as exc:
        raise UpstreamServiceError(f"{action}: {type(exc).__name__}: {exc}") from exc


def not_found_as_none(action: str, call: Callable[[], T]) -> T | None:
    """Run a read; a 404 means "does not exist" rather than a failure."""
    try:
        with azure_call(action):
            return call()
    except AzureRejected as exc:
        if exc.http_status == 404:
            return None
        raise
