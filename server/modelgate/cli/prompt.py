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


def utf8(text: str, what: str = "prompt") -> str:
    """`text`, checked to be UTF-8 (protobuf strings must be): Python hands over bytes that
    are not as lone surrogates, which would fail deep in the client with a traceback."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"the {what} is not UTF-8 text") from None
    return text


def read_prompt(given: str | None, what: str = "prompt") -> str:
    """The argument, or all of stdin (its trailing newlines dropped: `echo` adds one)."""
    if given is not None and given != STDIN:
        return utf8(given, what)
    if sys.stdin is None or (given is None and sys.stdin.isatty()):
        raise UsageError(f"no {what}: give it as an argument, or pipe it on stdin")
    try:
        text = sys.stdin.read().rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError(f"the {what} read from stdin is not UTF-8 text") from None
    if not text:
        raise UsageError(f"the {what} read from stdin is empty")
    return utf8(text, f"{what} read from stdin")
