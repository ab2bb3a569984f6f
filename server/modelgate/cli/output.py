"""What the client commands print: text or protobuf JSON on stdout, one-line errors on stderr.

stdout remembers whether its last line is unfinished (a stream cut short mid-sentence), so an
error or Ctrl-C that follows starts on a line of its own instead of being glued to the text.
"""

from __future__ import annotations

import argparse
import sys

from google.protobuf import json_format
from google.protobuf.message import Message

from modelgate.client import ModelGateError


class UsageError(Exception):
    """A mistake in the command line the parser could not see (exit code 2)."""


class Output:
    """stdout, flushed on every write (streams show as they come), tracking the open line."""

    def __init__(self) -> None:
        self.line_open = False

    def write(self, text: str) -> None:
        """Write `text` as it is."""
        if not text:
            return
        # Open before writing: Ctrl-C lands right after the flush as often as anywhere, and
        # an extra newline then beats a shell prompt glued to the text.
        self.line_open = True
        sys.stdout.write(text)
        sys.stdout.flush()
        self.line_open = not text.endswith("\n")

    def line(self, text: str) -> None:
        """Write `text` as one whole line."""
        self.end_line()
        self.write(text + "\n")

    def end_line(self) -> None:
        """Finish the current line, if one is open."""
        if self.line_open:
            self.write("\n")

    def json(self, message: Message) -> None:
        """One protobuf message as one line of JSON (proto3 JSON mapping, as `buf curl`)."""
        self.line(json_format.MessageToJson(message, indent=None, ensure_ascii=False))


def add_json_flag(
    parser: argparse.ArgumentParser, help_text: str = "print the response as protobuf JSON"
) -> None:
    """--json: machine-readable output, the proto3 JSON mapping of the responses."""
    parser.add_argument("--json", action="store_true", help=help_text)


stdout = Output()
"""The process's stdout; one per process, so that main can finish its line on any exit."""


def error_line(error: ModelGateError | UsageError) -> str:
    """`error: CODE (REASON): message` on one line, for stderr."""
    if isinstance(error, UsageError):
        return f"error: {error}"
    head = error.code.name if error.reason is None else f"{error.code.name} ({error.reason})"
    message = " ".join(error.message.split())
    return f"error: {head}: {message}" if message else f"error: {head}"


def report(error: ModelGateError | UsageError) -> None:
    """Print `error` on stderr, on a line of its own even after partial output."""
    stdout.end_line()
    print(error_line(error), file=sys.stderr, flush=True)
