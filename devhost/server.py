"""The socket side: a ThreadingHTTPServer (concurrent requests, like the host) over FunctionHost."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from devhost.host import FunctionHost, Request, Response

log = logging.getLogger("devhost")

MAX_BODY_BYTES = 100 * 1024 * 1024  # the host's default request body limit (100 MB)


class BodyTooLarge(Exception):
    pass


class DevhostServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], function_host: FunctionHost) -> None:
        super().__init__(address, Handler)
        self.function_host = function_host


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DevhostServer

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except BodyTooLarge:
            self.close_connection = True
            self._send(Response(413))
            return
        except ValueError:
            self.close_connection = True
            self._send(Response(400))
            return
        target = urlsplit(self.path)
        bound_host, bound_port = str(self.server.server_address[0]), self.server.server_address[1]
        host_header = self.headers.get("Host") or f"{bound_host}:{bound_port}"
        request = Request(
            method=self.command.upper(),
            path=target.path or "/",
            query=target.query,
            headers={k: ", ".join(self.headers.get_all(k) or []) for k in dict.fromkeys(self.headers.keys())},
            body=body,
            base_url=f"http://{host_header}",
        )
        try:
            response = self.server.function_host.handle(request)
        except Exception:
            log.exception("devhost: unhandled error for %s %s", request.method, request.path)
            response = Response(500)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib access log (it would print query strings, which may carry `code`)."""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        """Any other method token (TRACE, QUERY, ...) is routed too, as Kestrel does, instead of the stdlib 501."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)
