"""`modelgate serve`: run the gateway."""

from __future__ import annotations

import argparse
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    # Imported here: settings pull in every state backend, seconds the client commands skip.
    from functools import partial

    from modelgate.app import run
    from modelgate.config import load_settings
    from modelgate.config_cli import settings_or_exit
    from modelgate.telemetry.logs import configure_logging
    from modelgate.workers import run_workers

    flags = {"host": args.host, "port": args.port}
    server = {name: value for name, value in flags.items() if value is not None}
    overrides = {"server": server} if server else {}
    settings = settings_or_exit(args.config, **overrides)
    configure_logging(settings.log_level, settings.log_format)
    # SIGHUP reloads from the same sources, flags included (a partial: workers pickle it).
    load = partial(load_settings, args.config, **overrides)
    if args.workers > 1:
        return run_workers(settings, args.workers, load)
    return run(settings, load=load)


def _port(text: str) -> int:
    from modelgate.config import PORT_RANGE  # only when `serve` is parsed: config is heavy

    low, high = PORT_RANGE
    if not text.isdigit() or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port ({low}-{high})")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _host(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty bind address")
    return text


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` to the `modelgate` command."""
    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument(
        "--config", type=Path, default=None, help="YAML config (env: MODELGATE_CONFIG)"
    )
    serve.add_argument("--host", type=_host, default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=None, help="port (default 50051)")
    serve.add_argument("--workers", type=_workers, default=1, help="processes sharing the port")
    serve.set_defaults(func=_serve)
