"""Shared content helpers: Struct <-> JSON without float artefacts, text of messages.

Struct stores every number as a double, so `{"n": 1}` comes back as
`{"n": 1.0}`; upstreams and schemas expect the integer. Integral doubles are
turned back into ints on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from google.protobuf import json_format, struct_pb2

from modelgate.v1 import content_pb2


def plain(value: Any) -> Any:
    """JSON-like `value` with integral doubles as ints (Struct stores every number as double)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as a plain dict, integral numbers as ints."""
    result: dict[str, Any] = plain(json_format.MessageToDict(message))
    return result


def struct_to_json(message: struct_pb2.Struct) -> str:
    """A Struct as compact JSON text, integral numbers as ints."""
    return orjson.dumps(struct_to_dict(message)).decode()


def tool_result_text(result: content_pb2.ToolResult) -> str:
    """A tool result as the text upstreams take: its text, or its JSON as compact text."""
    if result.WhichOneof("result") == "json":
        return struct_to_json(result.json)
    return result.text


RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Where tool-call arguments that are not a JSON object are kept verbatim."""


def arguments_struct(raw: str) -> struct_pb2.Struct:
    """Tool-call arguments JSON as a Struct; anything but a JSON object is kept verbatim."""
    arguments = struct_pb2.Struct()
    try:
        parsed = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        arguments.update(parsed)
    else:
        arguments.update({RAW_ARGUMENTS_KEY: raw})
    return arguments


def content_text(parts: Iterable[content_pb2.ContentPart]) -> str:
    """The concatenated text parts of a message or answer."""
    return "".join(part.text for part in parts if part.WhichOneof("data") == "text")


def message_text(messages: Iterable[content_pb2.Message]) -> str:
    """All text of messages (and text tool results) joined by newlines: what gets tokenized."""
    pieces: list[str] = []
    for message in messages:
        for part in message.parts:
            kind = part.WhichOneof("data")
            if kind == "text":
                pieces.append(part.text)
            elif kind == "tool_result" and part.tool_result.WhichOneof("result") == "text":
                pieces.append(part.tool_result.text)
    return "\n".join(pieces)
