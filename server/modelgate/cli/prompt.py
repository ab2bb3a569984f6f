"""The text a command sends: its argument, or stdin for `-` or a pipe (`echo hi | modelgate chat`).

A prompt argument wins over stdin, so a script's stray pipe never replaces what it typed.
"""

from __future__ import annotations

import argparse
import sys

from modelgate.cli.output import UsageError

STDIN = "-"


def add_prompt(parser: argparse.ArgumentParser, what: str = "prompt") -> None:
    """The optional positional text argument."""
    parser.add_argument(
        what,
        nargs="?",
        help=f"the {what}; `-` or omitted with stdin not a terminal: read it from stdin",
    )


def read_prompt(given: str | None, what: str = "prompt") -> str:
    """The argument, or all of stdin (its trailing newlines dropped: `echo` adds one)."""
    if given is not None and given != STDIN:
        return given
    if sys.stdin is None or (given is None and sys.stdin.isatty()):
        raise UsageError(f"no {what}: give it as an argument, or pipe it on stdin")
    text = sys.stdin.read().rstrip("\r\n")
    if not text:
        raise UsageError(f"the {what} read from stdin is empty")
    return text
