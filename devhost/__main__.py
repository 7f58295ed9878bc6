"""`python -m devhost`: run function_app.py like `func start` does.

App settings come from --settings, else local.settings.json, else local.settings.sample.json in
the app directory; variables already set in the environment win (as app settings do in Azure).
The app directory becomes the working directory, as it is for the Python worker, so relative
paths in settings resolve against it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from devhost import loader
from devhost.host import FunctionHost, read_route_prefix
from devhost.invoker import Invoker
from devhost.queues import QueueListener, QueueOptions
from devhost.scheduler import TimerScheduler
from devhost.server import DevhostServer
from devhost.settings import SettingsError, apply_settings, find_settings_file, read_settings

log = logging.getLogger("devhost")

DEFAULT_PORT = 7071
SHUTDOWN_GRACE_SECONDS = 10
# Azure SDK request logging at INFO is a line per HTTP call; the host's default filter keeps it, but
# locally it drowns the invocation lines. Warnings and errors still show.
QUIET_LOGGERS = ("azure.core.pipeline.policies.http_logging_policy", "azure.identity", "urllib3")


class _CoreToolsFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_CoreToolsFormatter("[%(asctime)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: Host.LocalHttpPort or 7071)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--app-dir", type=Path, default=Path.cwd(), help="directory holding function_app.py")
    parser.add_argument("--settings", type=Path, default=None, help="local.settings.json-style file")
    parser.add_argument("--function-key", default=None, help="require this key (x-functions-key or ?code=)")
    parser.add_argument(
        "--no-timers", action="store_true", help="do not run timer triggers on their schedules"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    app_dir = args.app_dir.resolve()
    try:
        settings = read_settings(find_settings_file(app_dir, args.settings and args.settings.resolve()))
    except SettingsError as error:
        log.error("%s", error)
        return 2
    apply_settings(settings)
    if settings.path:
        log.info("App settings from %s (variables already set in the environment win)", settings.path)
    os.chdir(app_dir)
    try:
        specs = loader.index(app_dir)
    except Exception as error:  # an import error in the app is reported, not a traceback dump
        log.exception("Worker failed to index functions: %s", error)
        return 1
    port = args.port or settings.local_http_port or DEFAULT_PORT
    invoker = Invoker(str(app_dir))
    host = FunctionHost(specs, invoker, read_route_prefix(app_dir), args.function_key)
    try:
        server = DevhostServer((args.host, port), host)
    except OSError as error:
        log.error("Cannot listen on %s:%d: %s", args.host, port, error)
        invoker.close()
        return 1
    timers = [s for s in specs if s.trigger_type == loader.TIMER_TRIGGER]
    scheduler = TimerScheduler(timers, invoker) if timers and not args.no_timers else None
    queue_options = QueueOptions.from_host_json(app_dir)
    listeners = [
        listener
        for spec in specs
        if spec.trigger_type == loader.QUEUE_TRIGGER
        and (listener := QueueListener.for_spec(spec, invoker, queue_options)) is not None
    ]

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    print(host.listing(f"http://localhost:{server.server_address[1]}"), flush=True)
    if scheduler is not None:
        scheduler.start()
    for listener in listeners:
        listener.start()
    log.info("Host started (devhost) on http://%s:%d", args.host, server.server_address[1])
    while not stop.wait(0.5):
        pass
    log.info("Stopping host...")
    server.shutdown()
    if scheduler is not None:
        scheduler.stop(SHUTDOWN_GRACE_SECONDS)
    for listener in listeners:
        listener.stop(SHUTDOWN_GRACE_SECONDS)
    started = time.monotonic()
    if not invoker.drain(SHUTDOWN_GRACE_SECONDS):
        log.warning("Invocations still running after %.0fs; exiting anyway", time.monotonic() - started)
    server.server_close()
    invoker.close()
    log.info("Host stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
