"""Request dispatch with Core Tools' URLs, independent of the socket server.

- `/{routePrefix}/{route}`: HTTP functions (a known route with a method it does not accept is a
  404, as the Functions host answers; see azure-functions-host#10098).
- `POST|OPTIONS /runtime/webhooks/eventgrid?functionName=NAME`: Event Grid functions.
- `POST /admin/functions/{name}`: any non-HTTP function (202); `GET /admin/host/status`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import azure.functions as func

from devhost import auth, eventgrid
from devhost.invoker import HOST_API_REASON, Invoker
from devhost.loader import EVENT_GRID_TRIGGER, HTTP_TRIGGER, QUEUE_TRIGGER, TIMER_TRIGGER, FunctionSpec
from devhost.queues import admin_message
from devhost.routes import Route, RouteTable, RouteTemplate
from devhost.scheduler import timer_request

log = logging.getLogger("devhost")

ALL_METHODS = ("GET", "POST", "DELETE", "HEAD", "PATCH", "PUT", "OPTIONS")
EVENTGRID_WEBHOOK = "/runtime/webhooks/eventgrid"
ADMIN_FUNCTIONS = "/admin/functions/"
ADMIN_STATUS = "/admin/host/status"


@dataclass
class Request:
    method: str
    path: str  # percent-encoded, without the query string
    query: str
    headers: Mapping[str, str]
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us

    @property
    def params(self) -> dict[str, str]:
        """Query parameters; repeated names are joined with commas like ASP.NET's StringValues."""
        joined: dict[str, list[str]] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            joined.setdefault(name, []).append(value)
        return {name: ",".join(values) for name, values in joined.items()}

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def _json(status: int, document: Any) -> Response:
    return Response(
        status, json.dumps(document).encode(), [("Content-Type", "application/json; charset=utf-8")]
    )


def read_route_prefix(app_dir: Path) -> str:
    """host.json extensions.http.routePrefix, default "api"."""
    try:
        document = json.loads((app_dir / "host.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return "api"
    prefix = (document.get("extensions") or {}).get("http", {}).get("routePrefix", "api")
    return str(prefix).strip("/")


def http_response(value: Any) -> Response:
    """Translate a function's return value into the HTTP answer, as the worker and host do."""
    if value is None:
        return Response(204)
    if isinstance(value, func.HttpResponse):
        headers = list(value.headers.items())
        if not any(k.lower() == "content-type" for k, _ in headers):
            mimetype = value.mimetype
            content_type = (
                f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/") else mimetype
            )
            headers.append(("Content-Type", content_type))
        return Response(value.status_code, value.get_body(), headers)
    if isinstance(value, str):
        return Response(200, value.encode(), [("Content-Type", "text/plain; charset=utf-8")])
    if isinstance(value, bytes | bytearray):
        return Response(200, bytes(value), [("Content-Type", "application/octet-stream")])
    raise TypeError(
        f"an HTTP function must return func.HttpResponse, str or bytes, not {type(value).__name__}"
    )


class FunctionHost:
    def __init__(
        self,
        specs: list[FunctionSpec],
        invoker: Invoker,
        route_prefix: str = "api",
        function_key: str | None = None,
    ) -> None:
        self.specs = specs
        self.route_prefix = route_prefix
        self._invoker = invoker
        self._key = function_key
        self._by_name = {spec.name.lower(): spec for spec in specs}
        self._routes: RouteTable[FunctionSpec] = RouteTable(
            Route(RouteTemplate(self.full_route(spec)), spec.methods, spec)
            for spec in specs
            if spec.trigger_type == HTTP_TRIGGER
        )

    def full_route(self, spec: FunctionSpec) -> str:
        return "/".join(p for p in (self.route_prefix, spec.route.strip("/")) if p)

    def listing(self, base_url: str) -> str:
        """The `Functions:` block `func start` prints."""
        lines = ["Functions:", ""]
        for spec in sorted(self.specs, key=lambda s: s.name.lower()):
            if spec.trigger_type == HTTP_TRIGGER:
                methods = ",".join(sorted(spec.methods) if spec.methods else ALL_METHODS)
                lines.append(f"\t{spec.name}: [{methods}] {base_url}/{self.full_route(spec)}")
            else:
                lines.append(f"\t{spec.name}: {spec.trigger_type}")
            lines.append("")
        return "\n".join(lines)

    def handle(self, request: Request) -> Response:
        path = request.path.lower().rstrip("/")
        if path == EVENTGRID_WEBHOOK:
            return self._system(request, ("POST", "OPTIONS"), self._eventgrid)
        if path.startswith(ADMIN_FUNCTIONS):
            return self._system(request, ("POST",), self._admin_invoke)
        if path == ADMIN_STATUS:
            return self._system(
                request, ("GET",), lambda _: _json(200, {"state": "Running", "version": "devhost"})
            )
        if path.startswith(("/admin/", "/runtime/")) or path in ("/admin", "/runtime"):
            return Response(404)
        return self._http_function(request)

    def _system(self, request: Request, methods: tuple[str, ...], handler: Any) -> Response:
        if not auth.is_authorized(self._key, "admin", request.headers, request.params):
            return Response(401)
        if request.method not in methods:
            return Response(405, headers=[("Allow", ", ".join(methods))])
        response: Response = handler(request)
        return response

    def _http_function(self, request: Request) -> Response:
        found = self._routes.resolve(request.path, request.method)
        if found is None:
            if request.path.strip("/") == "" and request.method in ("GET", "HEAD"):
                return Response(
                    200, b"Your Functions app is up and running (devhost).", [("Content-Type", "text/plain")]
                )
            return Response(404)
        spec, route_params = found
        params = request.params
        if not auth.is_authorized(self._key, spec.auth_level, request.headers, params):
            return Response(401)
        http_request = func.HttpRequest(
            request.method,
            request.base_url + request.path + (f"?{request.query}" if request.query else ""),
            headers=dict(request.headers),
            params=params,
            route_params=route_params,
            body=request.body,
        )
        outcome = self._invoker.invoke(
            spec,
            http_request,
            HOST_API_REASON,
            request.header("traceparent"),
            request.header("tracestate") or "",
        )
        if not outcome.succeeded:
            return Response(500)
        try:
            response = http_response(outcome.value)
        except TypeError as error:
            log.error("Function %s: %s", spec.name, error)
            return Response(500)
        if request.method == "HEAD":
            response.body = b""
        return response

    def _eventgrid(self, request: Request) -> Response:
        origin = request.header("WebHook-Request-Origin")
        if request.method == "OPTIONS":
            if origin is None:
                return Response(400)
            headers = [("WebHook-Allowed-Origin", origin)]
            if request.header("WebHook-Request-Rate") is not None:
                headers.append(("WebHook-Allowed-Rate", "*"))
            return Response(200, headers=headers)
        name = request.params.get("functionName")
        if not name:
            return Response(400, b"functionName query parameter is required")
        spec = self._by_name.get(name.lower())
        if spec is None or spec.trigger_type != EVENT_GRID_TRIGGER:
            return Response(404)
        try:
            delivery = eventgrid.parse_delivery(
                request.body, request.header("Content-Type") or "", request.header("aeg-event-type")
            )
        except eventgrid.PayloadError as error:
            return Response(400, str(error).encode())
        if delivery.validation_code is not None:
            return _json(200, {"validationResponse": delivery.validation_code})
        failed = 0
        for event in delivery.events:
            value = eventgrid.to_trigger_value(event, spec.trigger_annotation)
            reason = f"EventGrid trigger fired at {datetime.now(UTC).isoformat()}"
            if not self._invoker.invoke(spec, value, reason).succeeded:
                failed += 1
        return Response(500 if failed else 200)

    def _admin_invoke(self, request: Request) -> Response:
        name = request.path.rstrip("/")[len(ADMIN_FUNCTIONS) :]
        spec = self._by_name.get(name.lower())
        if spec is None:
            return Response(404)
        if spec.trigger_type == HTTP_TRIGGER:
            return Response(400, b"HTTP functions are invoked at their route, not through the admin API")
        try:
            document = json.loads(request.body or b"{}")
            raw_input = document.get("input", "") if isinstance(document, dict) else ""
            value = self._admin_trigger_value(spec, raw_input)
        except (ValueError, eventgrid.PayloadError) as error:
            return Response(400, str(error).encode())
        threading.Thread(
            target=self._invoker.invoke,
            args=(spec, value, HOST_API_REASON),
            name=f"admin-{spec.name}",
            daemon=True,
        ).start()
        return Response(202)

    def _admin_trigger_value(self, spec: FunctionSpec, raw_input: Any) -> Any:
        if spec.trigger_type == TIMER_TRIGGER:
            now = datetime.now(UTC).replace(tzinfo=None)
            return timer_request(spec, None, now)
        if spec.trigger_type == EVENT_GRID_TRIGGER:
            event = json.loads(raw_input) if isinstance(raw_input, str) else raw_input
            batch = event if isinstance(event, list) else [event]
            delivery = eventgrid.parse_delivery(json.dumps(batch).encode(), "", "Notification")
            if len(delivery.events) != 1:
                raise ValueError("input must be exactly one event")
            return eventgrid.to_trigger_value(delivery.events[0], spec.trigger_annotation)
        if spec.trigger_type == QUEUE_TRIGGER:  # Core Tools passes the input as the message body
            body = raw_input if isinstance(raw_input, str) else json.dumps(raw_input)
            return admin_message(body)
        return raw_input
