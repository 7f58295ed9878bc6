"""Request/response types, body parsing and problem details shared by every route."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.api.problems import problem_type, retry_after_of, status_of, to_problem
from shared.domain.errors import (
    AutopilotError,
    MalformedBody,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.logs import event

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiRequest:
    method: str
    path: str
    route_params: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    params: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiResponse:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()


def json_body(request: ApiRequest, *, max_bytes: int) -> Any:
    if len(request.body) > max_bytes:
        raise PayloadTooLarge(f"the body has {len(request.body)} bytes; at most {max_bytes} are accepted")
    content_type = (request.header("content-type") or "application/json").split(";", 1)[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type '{content_type}' is not supported; send application/json")
    if not request.body.strip():
        raise MalformedBody("the request needs a JSON body")
    try:
        return json.loads(
            request.body.decode("utf-8"), parse_constant=_reject_constant, object_pairs_hook=_unique_keys
        )
    except RecursionError:
        raise MalformedBody("the body nests arrays or objects too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 8259 leaves duplicate names to the parser; refusing them means no field is silently overridden."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the name '{key}' appears twice in one object")
        found[key] = value
    return found


def problem(error: AutopilotError, request: ApiRequest) -> ApiResponse:
    status = status_of(error)
    wait = retry_after_of(error)
    headers = {"Retry-After": str(wait)} if wait is not None else {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return ApiResponse(
        status=status,
        body=to_problem(error, instance=request.path),
        headers=headers,
        content_type=PROBLEM_JSON,
    )


def handle(request: ApiRequest, action: Callable[[ApiRequest], ApiResponse]) -> ApiResponse:
    """Run a route; every product error becomes a problem response, anything else a logged 500 problem."""
    try:
        return action(request)
    except AutopilotError as error:
        status = status_of(error)
        event(
            log,
            logging.ERROR if status >= 500 else logging.INFO,
            "RequestRefused" if status < 500 else "RequestFailed",
            status=status,
            problemType=problem_type(error).slug,
            method=request.method,
            path=request.path,
            detail=error.detail,
        )
        return problem(error, request)
    except Exception:
        event(log, logging.ERROR, "UnhandledError", exc_info=True, method=request.method, path=request.path)
        return problem(AutopilotError("an unexpected error occurred; it has been logged"), request)
