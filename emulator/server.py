"""The HTTPS server: one EmulatorState, requests dispatched to the control API, token endpoint, Event Grid
publish endpoint, Key Vault data plane or ARM (with auth, throttling, faults, latency and the request log)."""

from __future__ import annotations

import contextlib
import errno
import json
import socket
import ssl
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulator import control, dataplane, enforcement, identity_endpoint
from emulator.arm import authorization, containerregistry, keyvault, resources
from emulator.arm.framework import operation_result, operation_status
from emulator.faults import Fault
from emulator.http import Request, Response, Router, ServiceError
from emulator.state import EmulatorState
from emulator.tls import ensure_certificates

EVENTGRID_PREFIX = "/eventgrid/topics/"
WRITE_METHODS = {"PUT", "PATCH", "DELETE", "POST"}


def build_arm_router() -> Router:
    router = Router()
    router.add("GET", r"/subscriptions/.+/operationStatuses/(?P<op>[^/]+)", operation_status)
    router.add(
        "GET",
        r"/subscriptions/[^/]+(?:/providers/[^/]+/locations/[^/]+)?/operationResults/(?P<op>[^/]+)",
        operation_result,
    )
    authorization.register(router)  # any scope: before the providers whose paths it may contain
    resources.register(router)
    containerregistry.register(router)
    keyvault.register(router)
    return router


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, port: int, data_dir: Path, seed: str | None, enforce_infra: Path | None = None
    ) -> None:
        super().__init__(("127.0.0.1", port), EmulatorRequestHandler)
        cert, key = ensure_certificates(data_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.state = EmulatorState(data_dir, seed)
        self.arm = build_arm_router()
        self.dataplane = Router()
        dataplane.register(self.dataplane)
        self.control = Router()
        control.register(self.control)
        self.enforcement = (
            enforcement.Enforcement()
        )  # off unless --enforce-infra or PUT /_emulator/enforcement
        enforcement.register(self.control, self.enforcement)
        self.enforcement.enable(enforce_infra)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="emulator-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        """Background clock work: unpolled LROs settle, secret expiry events fire."""
        while not self._stop.wait(1.0):
            with self.state.lock:
                self.state.operations.settle()
            self.state.check_secret_expiry()

    def server_close(self) -> None:
        # Also called by socketserver when binding fails, before __init__ set anything up.
        if hasattr(self, "_stop"):
            self._stop.set()
            self.state.events.close()
        super().server_close()


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 64 * 1024  # one send per response: headers and body apart hit Nagle + delayed ACK (40 ms)
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # never log requests: they carry tokens and secret values

    def do_GET(self) -> None:
        self._dispatch()

    do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_GET

    # plumbing ---------------------------------------------------------------------------------------
    def _read_request(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return Request(
            method=self.command.upper(),
            path=parts.path or "/",
            raw_query=parts.query,
            headers={k: v for k, v in self.headers.items()},
            body=body,
            base_url=f"https://{host}",
        )

    def _send(self, response: Response, extra: dict[str, str] | None = None) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        headers = {**(extra or {}), **response.headers}
        if payload:
            headers.setdefault("Content-Type", response.content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _dispatch(self) -> None:
        state = self.server.state
        try:
            request = self._read_request()
        except (ValueError, OSError):
            return
        if request.path.startswith("/_emulator/"):
            locked = not request.path.startswith(control.UNLOCKED_PREFIXES)
            self._send(
                self._run(self.server.control, request, not_found="UnknownControlRoute", locked=locked)
            )
            return
        if state.settings.latencyMs:
            time.sleep(state.settings.latencyMs / 1000)
        with state.lock:
            fault = state.faults.take(request.method, request.path_with_query)
        try:
            self._serve(request, fault)
        finally:
            if fault is not None:
                with state.lock:
                    fault.in_flight -= 1

    def _serve(self, request: Request, fault: Fault | None) -> None:
        state = self.server.state
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.reset == "before":
            self._reset_connection()
            return
        reset_after = fault is not None and fault.reset == "after"
        if request.path == identity_endpoint.PATH:
            if fault is not None and fault.status:
                self._send(fault_response(fault))
                return
            with state.lock:
                token = identity_endpoint.token(state, request)
            self._reset_connection() if reset_after else self._send(token)
            return
        if fault is not None and fault.lro_failed:
            request.params["lro_failed"] = "1"
        headers: dict[str, str] = {}
        if request.path.startswith(EVENTGRID_PREFIX):
            response = fault_response(fault) if fault and fault.status else self._publish(request)
        elif request.path.startswith(dataplane.PREFIX):
            response = fault_response(fault) if fault and fault.status else self._dataplane(request)
        else:
            response, headers = self._arm(request, fault)
        self._log(request, response.status)
        self._reset_connection() if reset_after else self._send(response, headers)

    def _reset_connection(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _log(self, request: Request, status: int) -> None:
        with self.server.state.lock:
            self.server.state.requests.append(
                {
                    "method": request.method,
                    "path": request.path_with_query,
                    "status": status,
                    "principalId": request.principal_id,
                }
            )

    def _run(self, router: Router, request: Request, *, not_found: str, locked: bool = True) -> Response:
        state = self.server.state
        try:
            with state.lock if locked else contextlib.nullcontext():
                matched = router.match(request.method, request.path)
                if matched is None:
                    raise ServiceError(404, not_found, f"No route for {request.method} {request.path}.")
                handler, params = matched
                return handler(state, request, **params)
        except ServiceError as exc:
            return Response(exc.status, exc.body(), exc.headers)
        except Exception as exc:  # an emulator bug: answer like a service would, keep serving
            return Response(500, {"error": {"code": "InternalServerError", "message": type(exc).__name__}})

    def _publish(self, request: Request) -> Response:
        topic = request.path[len(EVENTGRID_PREFIX) :].split("/", 1)[0]
        status, headers, body = self.server.state.events.publish(topic, request.headers, request.body)
        return Response(status, body, dict(headers))

    def _dataplane(self, request: Request) -> Response:
        try:
            dataplane.authenticate(self.server.state, request)
        except ServiceError as exc:
            return Response(exc.status, exc.body(), exc.headers)
        with self.server.state.lock:
            denied = self.server.enforcement.check_dataplane(self.server.state, request)
        return denied or self._run(self.server.dataplane, request, not_found="NotFound")

    def _arm(self, request: Request, fault: Any) -> tuple[Response, dict[str, str]]:
        state = self.server.state
        headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": str(uuid.uuid4())}
        if request.path.lstrip("/").lower() != "metadata/endpoints":
            try:
                claims = state.identity.verify(request.header("Authorization"))
            except ServiceError as exc:
                challenge = {
                    "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common"'
                }
                return Response(exc.status, exc.body(), {**exc.headers, **challenge}), headers
            request.principal_id, request.tenant_id = claims["oid"], claims.get("tid")
            kind = _bucket(request.method)
            segments = request.path.split("/")
            subscription = (
                segments[2] if len(segments) > 2 and segments[1].lower() == "subscriptions" else "tenant"
            )
            with state.lock:
                remaining, retry = state.throttle.take(
                    request.principal_id or "", subscription, kind, state.settings.throttling
                )
            headers[f"x-ms-ratelimit-remaining-subscription-{kind}"] = str(remaining)
            if retry is not None:
                error = ServiceError(
                    429,
                    "SubscriptionRequestsThrottled",
                    f"Number of '{kind[:-1]}' requests for subscription '{subscription}' actor "
                    f"'{request.principal_id}' exceeded. Please try again after '{retry}' seconds after "
                    f"additional tokens are available.",
                )
                return Response(429, error.body(), {"Retry-After": str(retry)}), headers
        if fault is not None and fault.status:
            return fault_response(fault), headers
        with state.lock:
            denied = self.server.enforcement.check_arm(state, request)
            state.operations.settle()
        if denied is not None:
            return denied, headers
        return self._run(self.server.arm, request, not_found="InvalidResourceType"), headers


def _bucket(method: str) -> str:
    """The ARM rate-limit bucket of a request: deletes, writes or reads."""
    if method == "DELETE":
        return "deletes"
    return "writes" if method in WRITE_METHODS else "reads"


def fault_response(fault: Any) -> Response:
    error: ServiceError = fault.error()
    return Response(error.status, error.body(), error.headers)


class PortInUse(Exception):
    """Another process already listens on the port."""


def serve(port: int, data_dir: Path, seed: str | None, enforce_infra: Path | None = None) -> None:
    try:
        server = EmulatorServer(port, data_dir, seed, enforce_infra)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} on 127.0.0.1 is already in use (another emulator?); stop it or pass --port"
            ) from exc
        raise
    print(json.dumps({"url": f"https://127.0.0.1:{port}", "ca": str(data_dir / "ca.pem")}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(Exception):
            server.server_close()
