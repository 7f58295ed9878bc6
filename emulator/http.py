"""Transport-neutral request/response objects and the Azure error shape every handler raises."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class ServiceError(Exception):
    """An Azure error answer: `{"error": {"code", "message"}}` with an HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.inner_code = inner_code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner_code:
            error["innererror"] = {"code": self.inner_code}
        return {"error": error}


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes
    base_url: str
    principal_id: str | None = None
    tenant_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Query names are case-insensitive in ARM ($filter, $skipToken, api-version).
        self.query = {k.lower(): v for k, v in parse_qsl(self.raw_query, keep_blank_values=True)}

    @property
    def path_with_query(self) -> str:
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ServiceError(
                400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}"
            ) from exc

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ServiceError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return body


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Ordered (method, regex) table; ARM paths are matched case-insensitively, as ARM does."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append(Route(method.upper(), re.compile(f"^{pattern}$", re.IGNORECASE), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """Return the handler and path parameters; raise 405 when only the method is wrong."""
        path_matched = False
        for route in self._routes:
            found = route.pattern.match(path)
            if not found:
                continue
            path_matched = True
            if route.method == method or (route.method == "GET" and method == "HEAD"):
                return route.handler, {k: v for k, v in found.groupdict().items() if v is not None}
        if path_matched:
            raise ServiceError(405, "MethodNotAllowed", f"The method '{method}' is not allowed on '{path}'.")
        return None
