"""Start Azurite (the repo's pinned npm package) on free ports for a test."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from devhost.azurite import connection_string
from tests.support.devhost import REPO_ROOT
from tests.support.process import ManagedProcess, free_port

AZURITE = REPO_ROOT / "node_modules" / ".bin" / "azurite"
READY_TIMEOUT_SECONDS = 30


class Azurite(ManagedProcess):
    def __init__(
        self, process: subprocess.Popen[bytes], blob_port: int, queue_port: int, table_port: int
    ) -> None:
        self.process = process
        self.blob_port, self.queue_port, self.table_port = blob_port, queue_port, table_port
        self.connection_string = connection_string(blob_port, queue_port, table_port)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_azurite(tmp_path: Path) -> Azurite:
    """Azurite with in-memory storage on three free ports; returns once the table port answers."""
    ports = [free_port(), free_port(), free_port()]
    while len(set(ports)) < 3:
        ports = [free_port(), free_port(), free_port()]
    blob, queue, table = ports
    workspace = Path(tmp_path) / "azurite"
    workspace.mkdir(parents=True, exist_ok=True)
    command = [
        str(AZURITE),
        "--silent",
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        "--blobPort",
        str(blob),
        "--queuePort",
        str(queue),
        "--tablePort",
        str(table),
    ]
    log = (workspace / "azurite.log").open("wb")
    # cwd: Azurite refuses --location with in-memory storage, so keep any stray files in tmp_path.
    process = subprocess.Popen(command, cwd=workspace, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    azurite = Azurite(process, blob, queue, table)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not _port_open(table):
        if process.poll() is not None or time.monotonic() > deadline:
            azurite.stop()
            output = (workspace / "azurite.log").read_text(errors="replace")
            raise RuntimeError(f"Azurite did not start (exit {process.returncode}):\n{output}")
        time.sleep(0.1)
    return azurite
