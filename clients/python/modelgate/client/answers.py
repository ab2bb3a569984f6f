"""Reading answers: text, reasoning, tool calls and JSON, and an answer turned back into a turn.

Chat answers are the generated `ChatResponse` protos; these helpers read them
(and messages, or a list of parts) without walking the `oneof` by hand:

    reply = await client.chat("claude", messages, tools=tools, reasoning={"effort": "high"})
    print(reasoning_text_of(reply), text_of(reply))
    messages.append(message_of(reply))  # reasoning, signatures and tool calls unchanged
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeAlias

from google.protobuf import json_format

from modelgate.client.transcript import Transcript
from modelgate.v1 import chat_pb2, content_pb2, stream_pb2

__all__ = [
    "AnswerLike",
    "arguments_of",
    "message_of",
    "reasoning_of",
    "reasoning_text_of",
    "structured_output_of",
    "text_of",
    "tool_calls_of",
]

AnswerLike: TypeAlias = (
    chat_pb2.ChatResponse | content_pb2.Message | Transcript | Iterable[content_pb2.ContentPart]
)
"""Content to read: a response, a message, a stream's `Transcript`, or parts."""


def _parts(value: AnswerLike) -> Iterable[content_pb2.ContentPart]:
    if isinstance(value, chat_pb2.ChatResponse):
        return value.content
    if isinstance(value, content_pb2.Message):
        return value.parts
    if isinstance(value, Transcript):
        return value.content()
    return value


def text_of(value: AnswerLike) -> str:
    """The concatenated text parts of a response or message (reasoning never included)."""
    return "".join(p.text for p in _parts(value) if p.WhichOneof("data") == "text")


def reasoning_of(value: AnswerLike) -> list[content_pb2.Reasoning]:
    """The reasoning parts of a response or message, in order: `text`, `signature`,
    `encrypted` (redacted or encrypted reasoning has no text), `format`, `id`, `summary`."""
    return [p.reasoning for p in _parts(value) if p.WhichOneof("data") == "reasoning"]


def reasoning_text_of(value: AnswerLike) -> str:
    """The reasoning text of a response or message, its parts a blank line apart (redacted
    and encrypted reasoning has no text and adds none)."""
    return "\n\n".join(r.text for r in reasoning_of(value) if r.text)


def tool_calls_of(value: AnswerLike) -> list[content_pb2.ToolCall]:
    """The tool calls a response or message asks for, in order."""
    return [p.tool_call for p in _parts(value) if p.WhichOneof("data") == "tool_call"]


def message_of(value: chat_pb2.ChatResponse | Transcript) -> content_pb2.Message:
    """The answer as the conversation's next assistant turn, every part unchanged and in
    order (reasoning with its signatures and encrypted data, text, tool calls): what
    providers require back in a tool-use loop."""
    return content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=_parts(value))


def arguments_of(call: content_pb2.ToolCall) -> dict[str, Any]:
    """A tool call's arguments as plain Python: dicts in the model's key order, integers
    as ints (exact beyond 2^53)."""
    if call.arguments_json:
        arguments: dict[str, Any] = json.loads(call.arguments_json)
        return arguments
    return json_format.MessageToDict(call.arguments)  # a gateway older than arguments_json


def structured_output_of(value: chat_pb2.ChatResponse | stream_pb2.StreamEnd) -> Any:
    """The validated JSON answer of a response (or a stream's end) as plain Python:
    dicts in the model's key order, integers as ints; None without a JSON response format."""
    if value.structured_output_json:
        return json.loads(value.structured_output_json)
    if value.HasField("structured_output"):  # a gateway older than structured_output_json
        return json_format.MessageToDict(value.structured_output)
    return None
