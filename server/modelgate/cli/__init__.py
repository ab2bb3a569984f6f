"""`modelgate` command line: serve the gateway, or call one (chat, complete, embed, ...).

Each command group is a module with `register(commands)`; list a new group in
COMMAND_GROUPS. Client commands share the connection flags (`connection.options()`) and
report failures here, once: one line on stderr with the gRPC code and the ErrorInfo reason.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from modelgate.cli import admin, config, generation, info, media, serve
from modelgate.cli.output import UsageError, report, stdout
from modelgate.client import ModelGateError
from modelgate.version import version

COMMAND_GROUPS = (serve, config, generation, media, info, admin)
DESCRIPTION = "Serve the modelgate gateway, or call one."

EXIT_FAILED = 1
"""The call failed (the error line says why), or `health` found the gateway not SERVING."""
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: the reader of stdout went away (`modelgate models | head -1`)."""
EXIT_INTERRUPTED = 130
"""128 + SIGINT: what a shell reports for Ctrl-C."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="modelgate", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def _leave_on_ctrl_c(_signum: int, _frame: object) -> None:
    """Ctrl-C in a client command: finish the cut line and leave at once. Unwinding instead
    (KeyboardInterrupt through the gRPC client, its stream and its channel's close) could
    wait on a busy machine, seen as a 60 s hang; the OS closes the connection either way,
    and stdout is flushed on every write, so nothing shown is lost."""
    if stdout.line_open:
        os.write(sys.stdout.fileno(), b"\n")
    os._exit(EXIT_INTERRUPTED)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `modelgate` command."""
    args = build_parser().parse_args(argv)
    # The server drains on SIGINT by its own handler; signals reach only the main thread
    # (tests and embedders may call `main` from another one).
    if args.command != "serve" and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _leave_on_ctrl_c)
    try:
        result: int = args.func(args)
    except (ModelGateError, UsageError) as exc:
        report(exc)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED
    except KeyboardInterrupt:
        stdout.end_line()  # a cut-short stream; the shell prompt then starts on its own line
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return result
