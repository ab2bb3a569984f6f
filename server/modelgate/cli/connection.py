"""How a client command reaches a gateway: target, TLS and API key, from flags or environment.

The environment variables match the other clients (`MODELGATE_TARGET` in the polyglot
programs, `MODELGATE_API_KEY` in the TypeScript example), so one exported pair serves them all.
Keys are better given by environment than by flag: a flag shows in `ps` and shell history.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import grpc

from modelgate.cli.output import UsageError
from modelgate.client import ModelGate

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50051
# gRPC target schemes (name resolvers and socket kinds) that carry no "host:port" to complete.
_SCHEME = re.compile(r"^(dns|unix|unix-abstract|vsock|ipv4|ipv6|xds|google-c2p):")


def options() -> argparse.ArgumentParser:
    """A parent parser with the connection flags every client command takes."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--target",
        metavar="HOST[:PORT]",
        help=f"gateway host[:port] or gRPC target (env: MODELGATE_TARGET; default "
        f"{DEFAULT_HOST}:{DEFAULT_PORT}; default port {DEFAULT_PORT})",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="deadline in seconds (default: per method, e.g. 60 s for chat, 300 s for a stream)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help="sent as `authorization: Bearer <key>` (env: MODELGATE_API_KEY, which stays out "
        "of `ps` and shell history)",
    )
    group.add_argument("--tls", action="store_true", help="connect with TLS (system CA roots)")
    for flag, help_text in (
        ("--ca-cert", "CA bundle that signed the gateway's certificate (implies --tls)"),
        ("--cert", "client certificate, for mutual TLS (with --key; implies --tls)"),
        ("--key", "private key of --cert"),
    ):
        group.add_argument(flag, type=Path, metavar="PEM", help=help_text)
    return parser


def target_of(args: argparse.Namespace) -> str:
    """--target, else MODELGATE_TARGET, else the local default; a bare host gets port 50051."""
    target = args.target or os.environ.get("MODELGATE_TARGET") or DEFAULT_HOST
    return with_default_port(target)


def with_default_port(target: str) -> str:
    """`host` -> `host:50051` (also `[::1]` and bare IPv6); ports and gRPC URIs stay as given."""
    if "/" in target or _SCHEME.match(target):
        return target
    if target.startswith("["):
        return target if "]:" in target else f"{target}:{DEFAULT_PORT}"
    colons = target.count(":")
    if colons == 0:
        return f"{target}:{DEFAULT_PORT}"
    if colons > 1:  # a bare IPv6 address
        return f"[{target}]:{DEFAULT_PORT}"
    return target


def _read(path: Path | None, flag: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {flag} {path}: {exc.strerror}") from None


def credentials(args: argparse.Namespace) -> grpc.ChannelCredentials | None:
    """TLS credentials when any TLS flag is given, else None (plaintext)."""
    if (args.cert is None) != (args.key is None):
        raise UsageError("--cert and --key go together (mutual TLS needs both)")
    if not (args.tls or args.ca_cert or args.cert):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=_read(args.ca_cert, "--ca-cert"),
        private_key=_read(args.key, "--key"),
        certificate_chain=_read(args.cert, "--cert"),
    )


def connect(args: argparse.Namespace) -> ModelGate:
    """The shipped sync client, configured from the command line and environment."""
    return ModelGate(
        target_of(args),
        credentials=credentials(args),
        api_key=args.api_key or os.environ.get("MODELGATE_API_KEY") or None,
        timeout=args.timeout,
    )
