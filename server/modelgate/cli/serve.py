"""`modelgate serve`: run the gateway."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    # Imported here: settings pull in every state backend, seconds the client commands skip.
    from modelgate.app import run
    from modelgate.config import load_settings
    from modelgate.telemetry.logs import configure_logging
    from modelgate.workers import run_workers

    try:
        settings = load_settings(args.config)
    except (FileNotFoundError, ValueError) as exc:  # ValidationError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.host:
        settings.server.host = args.host
    if args.port is not None:
        settings.server.port = args.port
    configure_logging(settings.log_level, settings.log_format)
    if args.workers > 1:
        return run_workers(settings, args.workers)
    return run(settings)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` to the `modelgate` command."""
    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument(
        "--config", type=Path, default=None, help="YAML config (env: MODELGATE_CONFIG)"
    )
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 50051)")
    serve.add_argument("--workers", type=int, default=1, help="processes sharing the port")
    serve.set_defaults(func=_serve)
