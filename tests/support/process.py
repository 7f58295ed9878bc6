"""What every server a test starts shares: a free loopback port and a stop that cannot hang the run."""

from __future__ import annotations

import socket
import subprocess
from types import TracebackType
from typing import Self


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Terminate, and kill what ignores it, so a stuck child never outlives its test."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


class ManagedProcess:
    """Base of the started servers: `with start_x(...) as x:` stops the child process on exit."""

    process: subprocess.Popen[bytes]
    stop_timeout: float = 10

    def stop(self, timeout: float | None = None) -> None:
        stop_process(self.process, self.stop_timeout if timeout is None else timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
