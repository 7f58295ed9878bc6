"""`python -m emulator serve --port P --data-dir D [--seed demo|showcase]`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from emulator.seed import SEEDS
from emulator.server import PortInUse, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "serve", help="serve ARM, Key Vault, managed identity and Event Grid over HTTPS"
    )
    run.add_argument("--port", type=int, default=8443)
    run.add_argument("--data-dir", type=Path, default=Path(".local/emulator"))
    run.add_argument("--seed", choices=sorted(SEEDS), default=None)
    run.add_argument(
        "--enforce-infra",
        type=Path,
        default=os.environ.get("EMULATOR_ENFORCE_INFRA") or None,
        metavar="DIR",
        help="enforcing mode: the app's principal may do only what DIR/main.bicep grants it (403 otherwise); "
        "default: $EMULATOR_ENFORCE_INFRA",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(args.port, args.data_dir.resolve(), args.seed, args.enforce_infra)
    except PortInUse as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
