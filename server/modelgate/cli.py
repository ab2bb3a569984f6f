"""`modelgate` command line: serve, chat, models, config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelgate.config import PORT_RANGE
from modelgate.config_cli import add_config_commands, settings_or_exit

DEFAULT_TARGET = "127.0.0.1:50051"


def _serve(args: argparse.Namespace) -> int:
    from modelgate.app import run
    from modelgate.telemetry.logs import configure_logging
    from modelgate.workers import run_workers

    flags = {"host": args.host, "port": args.port}
    server = {name: value for name, value in flags.items() if value is not None}
    settings = settings_or_exit(args.config, **({"server": server} if server else {}))
    configure_logging(settings.log_level, settings.log_format)
    if args.workers > 1:
        return run_workers(settings, args.workers)
    return run(settings)


def _chat(args: argparse.Namespace) -> int:
    from modelgate.client import ModelGateError, SyncModelGateClient

    with SyncModelGateClient(args.target, timeout=args.timeout) as client:
        try:
            if args.stream:
                for text in client.stream_text(args.model, args.prompt, system=args.system):
                    sys.stdout.write(text)
                    sys.stdout.flush()
                sys.stdout.write("\n")
            else:
                response = client.chat(args.model, args.prompt, system=args.system)
                print("".join(p.text for p in response.content if p.WhichOneof("data") == "text"))
        except ModelGateError as exc:
            print(f"error: {exc.code.name}: {exc.message}", file=sys.stderr)
            return 1
    return 0


def _models(args: argparse.Namespace) -> int:
    from modelgate.client import ModelGateError, SyncModelGateClient

    caps = ("chat", "completion", "embedding", "streaming", "tools", "vision", "json_schema")
    rows = [("ID", "PROVIDER", "RUNTIME", "CAPABILITIES", "AVAILABLE")]
    with SyncModelGateClient(args.target, timeout=args.timeout) as client:
        try:
            for model in client.list_models():
                have = ",".join(c for c in caps if getattr(model.capabilities, c))
                available = (
                    "yes" if model.availability.available else f"no ({model.availability.reason})"
                )
                rows.append((model.id, model.provider, model.runtime, have, available))
        except ModelGateError as exc:
            print(f"error: {exc.code.name}: {exc.message}", file=sys.stderr)
            return 1
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _port(text: str) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="modelgate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument(
        "--config", type=Path, default=None, help="YAML config (env: MODELGATE_CONFIG)"
    )
    serve.add_argument("--host", type=_host, default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=None, help="port (default 50051)")
    serve.add_argument("--workers", type=_workers, default=1, help="processes sharing the port")
    serve.set_defaults(func=_serve)
    add_config_commands(commands)

    for name, func, help_text in (
        ("chat", _chat, "send one chat message"),
        ("models", _models, "list models"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--target", default=DEFAULT_TARGET, help="gateway address")
        sub.add_argument("--timeout", type=float, default=60.0, help="deadline in seconds")
        sub.set_defaults(func=func)
        if name == "chat":
            sub.add_argument("prompt")
            sub.add_argument("--model", default="echo")
            sub.add_argument("--system", default=None)
            sub.add_argument("--stream", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `modelgate` command."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
