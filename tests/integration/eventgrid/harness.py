"""Test-only servers: a recording webhook (both handshakes) and a minimal HTTPS front for publish().

The front uses the emulator's own certificates (emulator.tls), so the SDK trusts the same CA it does there.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from emulator.eventgrid import EventGrid
from emulator.tls import CA_FILE, ensure_certificates


class OffsetClock:
    """Real time plus an offset, like the emulator clock."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Received:
    headers: dict[str, str]  # lower-cased names
    body: Any


class Webhook:
    """A subscriber that answers handshakes and replies to notifications from a script of statuses."""

    def __init__(self, *, answer_handshake: bool = True) -> None:
        self.answer_handshake = answer_handshake
        self.statuses: list[int] = []  # consumed per notification; 200 once empty
        self.handshakes: list[Received] = []
        self.notifications: list[Received] = []
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/updates?code=secret-function-key"

    def __enter__(self) -> Webhook:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.notifications) >= count, timeout)
            return list(self.notifications)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_OPTIONS(self) -> None:
                origin = self.headers.get("WebHook-Request-Origin", "")
                with hook._cond:
                    hook.handshakes.append(Received({k.lower(): v for k, v in self.headers.items()}, None))
                if hook.answer_handshake:
                    self._reply(200, headers={"WebHook-Allowed-Origin": origin})
                else:
                    self._reply(200)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received = Received({k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
                if received.headers.get("aeg-event-type") == "SubscriptionValidation":
                    with hook._cond:
                        hook.handshakes.append(received)
                    if not hook.answer_handshake:
                        self._reply(404)
                        return
                    code = received.body[0]["data"]["validationCode"]
                    self._reply(200, json.dumps({"validationResponse": code}).encode())
                    return
                with hook._cond:
                    status = hook.statuses.pop(0) if hook.statuses else 200
                    hook.notifications.append(received)
                    hook._cond.notify_all()
                self._reply(status)

        return Handler


@contextmanager
def https_publish_front(eventgrid: EventGrid, directory: Path) -> Iterator[tuple[str, Path]]:
    """Serve POST /eventgrid/topics/{topic}/api/events over HTTPS; yields (base URL, CA file)."""
    cert_path, key_path = ensure_certificates(directory)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0].strip("/").split("/")
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if len(path) == 5 and path[:2] == ["eventgrid", "topics"] and path[3:] == ["api", "events"]:
                status, headers, payload = eventgrid.publish(path[2], dict(self.headers.items()), body)
            else:
                status, headers, payload = 404, {}, b""
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", directory / CA_FILE
    finally:
        server.shutdown()
        server.server_close()
