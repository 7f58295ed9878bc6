"""`func.Context` for invocations: the library only ships the abstract classes, the worker the rest."""

from __future__ import annotations

import secrets
import threading

import azure.functions as func
from azure.functions import _abc


class TraceContext(_abc.TraceContext):
    def __init__(self, trace_parent: str, trace_state: str, attributes: dict[str, str]) -> None:
        self._trace_parent, self._trace_state, self._attributes = trace_parent, trace_state, attributes

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes


class RetryContext(_abc.RetryContext):
    def __init__(self, retry_count: int = 0, max_retry_count: int = 0) -> None:
        self._retry_count, self._max_retry_count = retry_count, max_retry_count

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max_retry_count

    @property
    def exception(self) -> _abc.RpcException:  # the worker passes the previous failure; none here
        return None  # type: ignore[return-value]


class Context(func.Context):
    """What the Python worker hands a function that declares a `context` parameter."""

    _thread_local = threading.local()

    def __init__(
        self,
        invocation_id: str,
        function_name: str,
        function_directory: str,
        trace_parent: str | None = None,
        trace_state: str = "",
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        parent = trace_parent or f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"
        self._trace_context = TraceContext(parent, trace_state, {})
        self._retry_context = RetryContext()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:
        return self._trace_context

    @property
    def retry_context(self) -> RetryContext:
        return self._retry_context
