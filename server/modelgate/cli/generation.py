"""`modelgate chat`, `complete` and `embed`: the calls that run a model on some text."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from google.protobuf.message import Message

from modelgate.cli import connection
from modelgate.cli.output import add_json_flag, stdout
from modelgate.cli.prompt import STDIN, add_prompt, read_prompt, utf8
from modelgate.client import text_of
from modelgate.v1 import chat_pb2, completion_pb2

StreamEvent = chat_pb2.StreamChatResponse | completion_pb2.StreamCompleteResponse


def _streaming(args: argparse.Namespace) -> bool:
    """--stream/--no-stream, else stream when a person watches (stdout is a terminal)."""
    return bool(args.stream) if args.stream is not None else sys.stdout.isatty()


def _print_stream(events: Iterable[StreamEvent], as_json: bool) -> None:
    """Text deltas as they come, or every event (attempt, deltas, end) as a JSON line."""
    for event in events:
        if as_json:
            stdout.json(event)
        elif event.WhichOneof("event") == "text_delta":
            stdout.write(event.text_delta.text)
    stdout.end_line()


def _print_answer(reply: Message, text: str, as_json: bool) -> None:
    if as_json:
        stdout.json(reply)
    else:
        stdout.write(text)
        stdout.end_line()


def _chat(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        prompt = read_prompt(args.prompt)
        if _streaming(args):
            with client.stream_chat(args.model, prompt, system=args.system) as events:
                _print_stream(events, args.json)
        else:
            reply = client.chat(args.model, prompt, system=args.system)
            _print_answer(reply, text_of(reply), args.json)
    return 0


def _complete(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        prompt = read_prompt(args.prompt)
        if _streaming(args):
            with client.stream_complete(args.model, prompt) as events:
                _print_stream(events, args.json)
        else:
            reply = client.complete(args.model, prompt)
            _print_answer(reply, reply.text, args.json)
    return 0


def _embed(args: argparse.Namespace) -> int:
    inputs = [utf8(text, "input") for text in args.texts]
    with connection.connect(args) as client:
        if not inputs or inputs == [STDIN]:  # a lone `-`, or nothing: one text from stdin
            inputs = [read_prompt(inputs[0] if inputs else None, "input")]
        reply = client.embed(args.model, inputs, dimensions=args.dimensions)
    if args.json:
        stdout.json(reply)
    else:  # one line of values per input, in input order
        for embedding in reply.embeddings:
            stdout.line(" ".join(f"{value:.8g}" for value in embedding.values))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `chat`, `complete` and `embed` to the `modelgate` command."""
    for name, func, help_text in (
        ("chat", _chat, "send one chat message and print the answer"),
        ("complete", _complete, "complete a prompt (legacy completion) and print the text"),
    ):
        sub = commands.add_parser(name, parents=[connection.options()], help=help_text)
        add_prompt(sub)
        sub.add_argument("--model", default="echo", help="model or alias (default: echo)")
        if name == "chat":
            sub.add_argument("--system", default=None, help="system prompt")
        sub.add_argument(
            "--stream",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="print the answer as it is generated (default: when stdout is a terminal)",
        )
        add_json_flag(sub, "print the response as protobuf JSON (streams: one event per line)")
        sub.set_defaults(func=func)

    embed = commands.add_parser(
        "embed", parents=[connection.options()], help="embed texts, one line of numbers each"
    )
    embed.add_argument(
        "texts", nargs="*", help="texts to embed; `-` or none with stdin not a terminal: stdin"
    )
    embed.add_argument("--model", default="echo", help="embedding model (default: echo)")
    embed.add_argument("--dimensions", type=int, default=None, help="output dimensions")
    add_json_flag(embed)
    embed.set_defaults(func=_embed)
