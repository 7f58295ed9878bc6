"""Fault injection: PUT /_emulator/faults [{"method", "pathRegex", "status", "retryAfter", "count", "delayMs"}].

A fault hits matching requests (method, or any when absent/"*"; `pathRegex` searched in the path with its
query string) `count` times and is then spent (no count = every time). `delayMs` delays the answer; without
`status` the request then proceeds normally. Extension: `"lroResult": "Failed"` lets a matching write be
accepted and its long-running operation end Failed. `"reset": "before"` drops the connection (TCP RST) before the
request is served, so nothing happens and nothing is logged; `"reset": "after"` serves it (a write is applied and
logged) and then drops the connection instead of answering: the client cannot tell whether it happened.
GET /_emulator/faults lists each fault with `remaining` hits and `inFlight` (requests it hit still being served),
so a test can wait for a delayed request to land before it resets the emulator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.http import ServiceError

_KEYS = {
    "method",
    "pathRegex",
    "status",
    "retryAfter",
    "count",
    "delayMs",
    "lroResult",
    "code",
    "message",
    "reset",
}
RESETS = ("before", "after")


@dataclass
class Fault:
    method: str | None
    pattern: re.Pattern[str]
    status: int | None
    retry_after: int | None
    count: int | None
    delay_ms: int
    lro_failed: bool
    code: str | None
    message: str | None
    raw: dict[str, Any]
    reset: str | None = None  # "before" or "after" serving the request
    in_flight: int = 0  # requests it hit that are still being served (delayed or slow)

    def error(self) -> ServiceError:
        assert self.status is not None
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        default_code = {429: "TooManyRequests", 503: "ServiceUnavailable", 500: "InternalServerError"}
        code = self.code or default_code.get(self.status, "InjectedFault")
        return ServiceError(
            self.status, code, self.message or f"Injected fault ({self.status}).", headers=headers
        )


def _parse(item: Any) -> Fault:
    if not isinstance(item, dict) or not isinstance(item.get("pathRegex", ".*"), str):
        raise ServiceError(400, "InvalidFault", "each fault must be an object with a string pathRegex")
    unknown = set(item) - _KEYS
    if unknown:
        raise ServiceError(400, "InvalidFault", f"unknown fault fields: {sorted(unknown)}")
    try:
        pattern = re.compile(item.get("pathRegex") or ".*")
    except re.error as exc:
        raise ServiceError(400, "InvalidFault", f"pathRegex does not compile: {exc}") from exc
    status = item.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ServiceError(400, "InvalidFault", "status must be an HTTP status code")
    retry_after = item.get("retryAfter")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ServiceError(400, "InvalidFault", "retryAfter must be whole seconds")
    reset = item.get("reset")
    if reset is not None and reset not in RESETS:
        raise ServiceError(400, "InvalidFault", f"reset must be one of {list(RESETS)}")
    if reset is not None and status is not None:
        raise ServiceError(
            400, "InvalidFault", "a reset fault sends no answer: give reset or status, not both"
        )
    method = item.get("method")
    return Fault(
        None if method in (None, "*") else str(method).upper(),
        pattern,
        status,
        retry_after,
        item.get("count"),
        int(item.get("delayMs") or 0),
        item.get("lroResult") == "Failed",
        item.get("code"),
        item.get("message"),
        dict(item),
        reset,
    )


class Faults:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def reset(self) -> None:
        self.faults = []

    def put(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, list):
            raise ServiceError(400, "InvalidFault", "the body must be a list of faults")
        self.faults = [_parse(item) for item in body]
        return self.listing()

    def listing(self) -> list[dict[str, Any]]:
        return [dict(f.raw, remaining=f.count, inFlight=f.in_flight) for f in self.faults]

    def take(self, method: str, path_with_query: str) -> Fault | None:
        """The first live fault matching the request, consuming one of its hits."""
        for fault in self.faults:
            if fault.method not in (None, method) or not fault.pattern.search(path_with_query):
                continue
            if fault.count is not None:
                if fault.count <= 0:
                    continue
                fault.count -= 1
            fault.in_flight += 1
            return fault
        return None
